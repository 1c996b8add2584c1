"""Feeds -> corpus -> index: ``assistant feeds`` and the chat server's scheduled fetch.

``fetch_feeds`` reads each feed (``ingest.feeds``), fetches the pages it lists that the archive
does not have, saves each as an ``.html`` file of the corpus with its URL (and its host as
outlet when the page names none) in ``metadata.json``, then updates the index once, as
``assistant add`` does: the page's text, title, date and outlet come from trafilatura and
htmldate (``formats.read_html``), and a page that republishes an article already there is
recorded as another publication of it by the build. The pages are recorded as fetched once
they are in the corpus, so a crash before the build never fetches them again (the next
build indexes them).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, closing, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..documents import Document
from ..errors import AssistantError
from ..ingest.adding import metadata_for_update, place_files, record_metadata
from ..ingest.feeds import (
    RETRY_FETCHES,
    Feed,
    FeedListError,
    Fetcher,
    FetchError,
    State,
    check_feed_url,
    default_name,
    feed_links,
    feeds_lock,
    is_html,
    load_state,
    page_name,
    private_address,
    save_state,
)
from ..pipeline import BuildReport, build_index, read_limits
from ..store.disk import live_documents

MAX_SITEMAPS = 20  # sitemaps read from one sitemap index per fetch
log = logging.getLogger(__name__)


@dataclass
class FeedResult:
    name: str
    url: str
    status: str = "unchanged"  # "new", "unchanged" or "failed" (the feed itself)
    added: list[tuple[str, str]] = field(default_factory=list)  # (page URL, corpus file)
    copies: list[tuple[str, str, str]] = field(default_factory=list)  # (page URL, corpus file, article it repeats)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (page URL, reason, reason in Vietnamese)
    reason: str = ""  # why the feed failed
    reason_vi: str = ""
    conditional: bool = False  # the feed answered 304 Not Modified
    deferred: int = 0  # new pages left for the next fetch (feeds_max_pages)

    def line(self) -> str:
        """The one line ``feeds fetch`` prints for this feed."""
        if self.status == "failed":
            return f"{self.name}: failed ({self.reason})"
        new = len(self.added) + len(self.copies)
        parts = [f"{new} new article{'s' * (new != 1)}" if new else "unchanged"]
        if self.copies:
            parts.append(f"{len(self.copies)} of them another publication of an article already there")
        if self.failed:
            parts.append(f"{len(self.failed)} page{'s' * (len(self.failed) != 1)} failed")
        if self.deferred:
            parts.append(f"{self.deferred} left for the next fetch")
        return f"{self.name}: " + ", ".join(parts)

    def line_vi(self) -> str:
        if self.status == "failed":
            return f"{self.name}: lỗi ({self.reason_vi})"
        new = len(self.added) + len(self.copies)
        parts = [f"{new} bài mới" if new else "không có bài mới"]
        if self.copies:
            parts.append(f"{len(self.copies)} bài là bản đăng lại")
        if self.failed:
            parts.append(f"{len(self.failed)} trang lỗi")
        if self.deferred:
            parts.append(f"{self.deferred} trang để lần sau")
        return f"{self.name}: " + ", ".join(parts)

    def summary(self) -> dict:
        """What ``feeds list`` and the admin panel show of this fetch (the reasons in Vietnamese)."""
        return {"at": time.time(), "status": self.status, "new": len(self.added), "copies": len(self.copies),
                "failed": [[u, vi or why] for u, why, vi in self.failed], "reason": self.reason,
                "reason_vi": self.reason_vi, "deferred": self.deferred, "line": self.line_vi()}


@dataclass(frozen=True)
class FetchReport:
    feeds: tuple[FeedResult, ...]
    build: BuildReport | None  # None when nothing new reached the corpus


def fetcher_for(settings: Settings) -> Fetcher:
    return Fetcher(timeout=settings.feeds_timeout, delay=settings.feeds_delay, retries=settings.feeds_retries,
                   max_bytes=int(settings.max_file_mb * 1e6))


# --- the feed list ------------------------------------------------------------------------
def add_feed(settings: Settings, url: str, name: str | None = None, who: str = "") -> Feed:
    """Follow the feed at ``url``; ValueError when the address is not http(s) or is followed already."""
    url = check_feed_url(url)
    with feeds_lock(settings.corpus_dir, wait=10):
        state = load_state(settings.corpus_dir)
        name = (name or "").strip() or default_name(url)
        for f in state.feeds:
            if f.url == url:
                raise FeedListError(f"already followed, as {f.name!r}", f"nguồn tin này đã được theo dõi, tên «{f.name}»")
            if f.name == name:
                raise FeedListError(f"another feed is named {name!r} ({f.url})", f"đã có nguồn tin khác tên «{name}»")
        feed = Feed(url=url, name=name, added_by=who, added_at=time.time())
        state.feeds.append(feed)
        save_state(settings.corpus_dir, state)
    return feed


def remove_feed(settings: Settings, key: str) -> Feed:
    """Stop following the feed named ``key`` (or at URL ``key``); its articles stay in the corpus."""
    with feeds_lock(settings.corpus_dir, wait=10):
        state = load_state(settings.corpus_dir)
        feed = state.feed(key)
        if feed is None:
            raise FeedListError(f"no feed is named {key!r} or has that address",
                                "không có nguồn tin nào mang tên hay địa chỉ này")
        state.feeds.remove(feed)
        save_state(settings.corpus_dir, state)
    return feed


def list_feeds(settings: Settings) -> list[Feed]:
    return load_state(settings.corpus_dir).feeds


# --- fetching -------------------------------------------------------------------------------
def _read_listing(fetcher: Fetcher, url: str, memo: dict, private_ok: bool) -> tuple[list[str], list[str], bool]:
    """(pages, sitemaps, unchanged) of the feed or sitemap at ``url``: asked conditionally with the
    validators ``memo`` keeps (and updates), its last listing when it answers 304."""
    headers = {}
    if memo.get("etag"):
        headers["If-None-Match"] = memo["etag"]
    if memo.get("last_modified"):
        headers["If-Modified-Since"] = memo["last_modified"]
    r = fetcher.get(url, headers, private_ok=private_ok)
    if r.status == 304:
        return list(memo.get("links", [])), list(memo.get("sitemaps", [])), True
    pages, sitemaps = feed_links(r.url, r.content.decode("utf-8", "replace"))
    memo.update(etag=r.etag, last_modified=r.last_modified, links=pages, sitemaps=sitemaps)
    return pages, sitemaps, False


def _listing(fetcher: Fetcher, feed: Feed, result: FeedResult, private_ok: bool) -> list[str]:
    """The page links ``feed`` lists now; a sitemap index's sitemaps are read (conditionally) each
    time, even when the index itself has not changed: new pages appear in them, not in it."""
    memo: dict[str, Any] = {"etag": feed.etag, "last_modified": feed.last_modified, "links": feed.links,
                            "sitemaps": feed.sitemaps}
    pages, sitemaps, result.conditional = _read_listing(fetcher, feed.url, memo, private_ok)
    feed.etag, feed.last_modified = memo["etag"], memo["last_modified"]
    feed.links, feed.sitemaps = memo["links"], memo["sitemaps"]
    feed.children = {sm: feed.children.get(sm, {}) for sm in sitemaps[:MAX_SITEMAPS]}
    for sm, child in feed.children.items():
        try:
            more, _, _ = _read_listing(fetcher, sm, child, private_ok)
        except FetchError as exc:
            result.failed.append((sm, exc.args[0], exc.vi))
            continue
        pages.extend(u for u in more if u not in pages)
    return pages


def _known(live: list[Document] | None, state: State) -> set[str]:
    """URLs the archive has: pages fetched before, and articles (and their copies) by their URL."""
    known = set(state.pages)
    for d in live or []:
        known.update(u for u in (d.url, *(c.url for c in d.copies)) if u)
    return known


def _unindexed(settings: Settings, live: list[Document] | None, state: State) -> bool:
    """Whether a page the feeds brought is in the corpus but not in ``live`` (the build live when
    the fetch began): a fetch that stopped before its build is built by the next one."""
    if live is None:
        return True
    ids = {d.doc_id for d in live} | {c.doc_id for d in live for c in d.copies}
    for page in state.pages.values():
        name = page.get("name", "")
        if name and (settings.corpus_dir / name).is_file() and Path(name).stem not in ids and name not in ids:
            return True
    return False


def _failed(state: State, result: FeedResult, url: str, exc: FetchError, tries: int) -> None:
    result.failed.append((url, exc.args[0], exc.vi))
    state.failed[url] = {"reason": exc.args[0], "vi": exc.vi, "attempts": tries + 1, "at": time.time(),
                         "feed": result.name}


def fetch_feeds(settings: Settings, keys: list[str] | None = None, *, show_progress: bool = False,
                building: AbstractContextManager | None = None,
                built: Callable[[BuildReport | None], None] | None = None) -> FetchReport:
    """Fetch the new pages of every feed (or of those named by ``keys``) and update the index once.

    Each page is placed in the corpus, its ``metadata.json`` entry written and the record saved
    as soon as it is fetched, so a crash loses at most the page being fetched. ``building`` (the
    chat server's lock) is held around the build only, and ``built`` hears the build (None when
    nothing was built) while it is held: the server answers from it from then on."""
    corpus = settings.corpus_dir
    metadata_for_update(corpus)  # a metadata.json that cannot be read: stop before fetching anything
    with feeds_lock(corpus):
        state = load_state(corpus)
        missing = [k for k in keys or [] if state.feed(k) is None]
        if missing:
            raise FeedListError(f"no feed is named {missing[0]!r} or has that address",
                                "không có nguồn tin nào mang tên hay địa chỉ này")
        feeds = state.feeds if not keys else [f for f in state.feeds if f.name in keys or f.url in keys]
        live = live_documents(settings.index_dir)  # read once: its URLs, then whether a build is due
        known = _known(live, state)
        budget = settings.feeds_max_pages
        results: list[FeedResult] = []
        with tempfile.TemporaryDirectory(prefix="feeds-") as tmp, closing(fetcher_for(settings)) as fetcher:
            for feed in feeds:
                result = FeedResult(feed.name, feed.url)
                results.append(result)
                try:
                    private_ok = private_address(feed.url)  # a feed on the intranet may link there; others not
                    for url in _listing(fetcher, feed, result, private_ok):
                        tries = state.failed.get(url, {}).get("attempts", 0)
                        if url in known or tries >= RETRY_FETCHES:
                            continue
                        if budget <= 0:
                            result.deferred += 1
                            continue
                        budget -= 1
                        known.add(url)
                        _fetch_page(settings, fetcher, state, result, url, tries, Path(tmp), known, private_ok)
                except FetchError as exc:
                    result.status, result.reason, result.reason_vi = "failed", exc.args[0], exc.vi
                except (OSError, ValueError, AssistantError) as exc:  # one feed's trouble never stops the others
                    log.exception("fetching the feed %s failed", feed.url)
                    result.status, result.reason = "failed", f"{type(exc).__name__}: {exc}"
                    result.reason_vi = f"lỗi khi lấy tin ({type(exc).__name__})"
                feed.last = result.summary()
                save_state(corpus, state)
        with building if building is not None else nullcontext():
            build = build_index(settings, show_progress=show_progress) if _unindexed(settings, live, state) else None
            if built is not None:
                built(build)
        if build is not None:
            of = dict(build.copies)
            for result in results:
                for url, name in list(result.added):
                    article = of.get(Path(name).stem) or of.get(name)
                    if article:
                        result.added.remove((url, name))
                        result.copies.append((url, name, article))
        for feed, result in zip(feeds, results):
            if result.status != "failed":
                result.status = "new" if result.added or result.copies else "unchanged"
            feed.last = result.summary()
        save_state(corpus, state)
    return FetchReport(tuple(results), build)


def _fetch_page(settings: Settings, fetcher: Fetcher, state: State, result: FeedResult, url: str, tries: int,
                tmp: Path, known: set[str], private_ok: bool) -> None:
    """One page: fetched, placed in the corpus, its metadata entry and the record written."""
    try:
        r = fetcher.get(url, private_ok=private_ok)
        if not is_html(r):
            kind = r.content_type.split(";")[0].strip() or "no content type"
            raise FetchError(f"not an HTML page ({kind})", f"không phải trang HTML ({kind})")
    except FetchError as exc:
        _failed(state, result, url, exc, tries)
        return
    if r.url != url and r.url in known:  # a redirect to a page the archive has
        state.pages[url] = {"name": "", "at": time.time(), "feed": result.name, "status": "known"}
        return
    known.add(r.url)
    path = tmp / page_name(r.url)
    path.write_bytes(r.content)
    try:
        [p] = place_files([path], settings.corpus_dir, max_bytes=int(settings.max_file_mb * 1e6),
                          limits=read_limits(settings))
    finally:
        path.unlink(missing_ok=True)
    if p.status == "skipped":
        _failed(state, result, url, FetchError(p.reason, p.reason_vi or p.reason), tries)
        return
    # its URL; its outlet is the page's own (og:site_name), else the URL's host (loading._host)
    record_metadata(settings.corpus_dir, {p.name: {"url": r.url}})
    state.pages[url] = {"name": p.name, "at": time.time(), "feed": result.name, "status": p.status}
    state.failed.pop(url, None)
    save_state(settings.corpus_dir, state)
    if p.status in ("added", "updated"):
        result.added.append((url, p.name))
