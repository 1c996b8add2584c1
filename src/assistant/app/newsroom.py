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

import os
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..config import Settings
from ..ingest.adding import place_files, record_metadata
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
    save_state,
)
from ..ingest.loading import make_document
from ..pipeline import BuildReport, build_index, read_limits
from ..store.disk import live_documents

MAX_SITEMAPS = 20  # sitemaps read from one sitemap index per fetch


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
        return f"{self.name}: " + ", ".join(parts)

    def summary(self) -> dict:
        return {"at": time.time(), "status": self.status, "new": len(self.added), "copies": len(self.copies),
                "failed": [[u, why] for u, why, _ in self.failed], "reason": self.reason, "line": self.line_vi()}


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
    with feeds_lock(settings.corpus_dir):
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
    with feeds_lock(settings.corpus_dir):
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
def _listing(fetcher: Fetcher, feed: Feed, result: FeedResult) -> list[str]:
    """The page links ``feed`` lists now (its last listing when it answers 304 Not Modified)."""
    headers = {}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    r = fetcher.get(feed.url, headers)
    if r.status == 304:
        result.conditional = True
        return list(feed.links)
    text = r.content.decode("utf-8", "replace")
    pages, sitemaps = feed_links(r.url, text)
    if not pages and not sitemaps and not text.lstrip().startswith(("<", "{")):
        raise FetchError("not an RSS/Atom feed or a sitemap", "không phải nguồn tin RSS/Atom hay sơ đồ trang (sitemap)")
    seen = {r.url}
    for sm in sitemaps[:MAX_SITEMAPS]:  # a sitemap index: its sitemaps' pages (one level)
        if sm in seen:
            continue
        seen.add(sm)
        try:
            more, _ = feed_links(sm, fetcher.get(sm).content.decode("utf-8", "replace"))
        except FetchError as exc:
            result.failed.append((sm, exc.args[0], exc.vi))
            continue
        pages.extend(u for u in more if u not in pages)
    feed.etag, feed.last_modified, feed.links = r.etag, r.last_modified, pages
    return pages


def _known(settings: Settings, state: State) -> set[str]:
    """URLs the archive has: pages fetched before, and articles (and their copies) by their URL."""
    known = set(state.pages)
    for d in live_documents(settings.index_dir) or []:
        known.update(u for u in (d.url, *(c.url for c in d.copies)) if u)
    return known


def fetch_feeds(settings: Settings, keys: list[str] | None = None, *, show_progress: bool = False,
                log: Callable[[str], None] | None = None) -> FetchReport:
    """Fetch the new pages of every feed (or of those named by ``keys``) and update the index once."""
    corpus = settings.corpus_dir
    with feeds_lock(corpus):
        state = load_state(corpus)
        feeds = state.feeds if not keys else [f for f in state.feeds if f.name in keys or f.url in keys]
        missing = [k for k in keys or [] if state.feed(k) is None]
        if missing:
            raise ValueError(f"no feed is named {missing[0]!r} or has that address")
        known = _known(settings, state)
        results: list[FeedResult] = []
        with tempfile.TemporaryDirectory(prefix="feeds-") as tmp, closing(fetcher_for(settings)) as fetcher:
            pages: dict[str, tuple[str, FeedResult, str]] = {}  # temporary file -> (URL asked, feed, final URL)
            for feed in feeds:
                result = FeedResult(feed.name, feed.url)
                results.append(result)
                try:
                    links = _listing(fetcher, feed, result)
                except FetchError as exc:
                    result.status, result.reason, result.reason_vi = "failed", exc.args[0], exc.vi
                    feed.last = result.summary()
                    continue
                for url in links:
                    tries = state.failed.get(url, {}).get("attempts", 0)
                    if url in known or tries >= RETRY_FETCHES:
                        continue
                    known.add(url)
                    try:
                        r = fetcher.get(url)
                        if not is_html(r):
                            kind = r.content_type.split(";")[0].strip() or "no content type"
                            raise FetchError(f"not an HTML page ({kind})", f"không phải trang HTML ({kind})")
                    except FetchError as exc:
                        result.failed.append((url, exc.args[0], exc.vi))
                        state.failed[url] = {"reason": exc.args[0], "vi": exc.vi, "attempts": tries + 1,
                                             "at": time.time(), "feed": feed.name}
                        if log:
                            log(f"  failed: {url} ({exc.args[0]})")
                        continue
                    if r.url != url and r.url in known:  # a redirect to a page the archive has
                        state.pages[url] = {"name": "", "at": time.time(), "feed": feed.name, "status": "known"}
                        continue
                    known.add(r.url)
                    path = Path(tmp) / _free(Path(tmp), page_name(r.url))
                    path.write_bytes(r.content)
                    pages[path.name] = (url, result, r.url)
            placed = place_files([Path(tmp) / n for n in pages], corpus, max_bytes=int(settings.max_file_mb * 1e6),
                                 limits=read_limits(settings)) if pages else []
            entries: dict[str, dict] = {}
            for p in placed:
                url, result, final = pages[Path(p.source).name]
                if p.status == "skipped":
                    result.failed.append((url, p.reason, p.reason_vi))
                    continue
                state.pages[url] = {"name": p.name, "at": time.time(), "feed": result.name, "status": p.status}
                state.failed.pop(url, None)
                if p.status == "added":
                    result.added.append((url, p.name))
                    entries[p.name] = _entry(Path(tmp) / Path(p.source).name, final)
        record_metadata(corpus, entries)
        save_state(corpus, state)  # the pages are in the corpus: never fetched again, even if the build fails
        build = build_index(settings, show_progress=show_progress) if entries else None
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


def _free(folder: Path, name: str) -> str:
    stem, suffix = os.path.splitext(name)
    n, candidate = 1, name
    while (folder / candidate).exists():
        n += 1
        candidate = f"{stem}-{n}{suffix}"
    return candidate


def _entry(path: Path, url: str) -> dict:
    """The metadata a fetched page gets: its URL, and its host as outlet when the page names no site."""
    entry: dict = {"url": url}
    try:
        doc = make_document(path, path.read_bytes(), {})
    except (OSError, ValueError):
        return entry
    if not doc.outlet:
        entry["outlet"] = urlsplit(url).netloc.removeprefix("www.")
    return entry
