"""News feeds -> new pages for the corpus: the feeds an archive follows, and polite fetching.

A feed is an RSS or Atom feed or a sitemap. Its links are read with trafilatura's own feed
and sitemap parsers (``trafilatura.feeds.find_links``, ``trafilatura.sitemaps.SitemapObject``),
never by hand; courlan's link filter is left out because it drops intranet and loopback
hosts, which a department's own feeds may use.

Fetching is polite: robots.txt is read once per host and obeyed (its Crawl-delay too), one
request at a time with ``delay`` seconds between two requests to one host, conditional
requests (ETag, Last-Modified) for the feeds, retries with back-off on a timeout, a lost
connection, 429 or 5xx, and a time and size limit per page. Every page fetched is recorded by
its URL, so it is never fetched again; a page that failed is retried on later fetches
(``RETRY_FETCHES`` times). The record lives beside the corpus in ``corpus/.feeds/state.json``
(a hidden folder: no build reads it), written atomically.

Not here: extracting and indexing a page (``pipeline.fetch_feeds`` saves each page as an
``.html`` file of the corpus, which ``formats.read_html`` reads like any saved page).
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.robotparser
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

FEEDS_DIR = ".feeds"  # in the corpus folder: hidden, so no build reads it
STATE_FILE = "state.json"
RETRY_FETCHES = 3  # a page that failed this many fetches in a row is not asked for again
USER_AGENT = "assistant-feeds/1.0 (+tro ly doi ngoai; robots.txt respected)"
HTML_TYPES = ("text/html", "application/xhtml+xml")


class FetchError(Exception):
    """Why a URL could not be fetched, in English and in Vietnamese."""

    def __init__(self, reason: str, vi: str) -> None:
        super().__init__(reason)
        self.vi = vi


class FeedListError(ValueError):
    """A change to the feed list refused, in English and in Vietnamese."""

    def __init__(self, reason: str, vi: str) -> None:
        super().__init__(reason)
        self.vi = vi


@dataclass
class Feed:
    url: str
    name: str
    added_by: str = ""
    added_at: float = 0.0
    etag: str = ""  # the validators of the feed's last full response, for conditional requests
    last_modified: str = ""
    links: list[str] = field(default_factory=list)  # the links it listed last time (a 304 lists none)
    last: dict = field(default_factory=dict)  # the last fetch: at, status, new, copies, failed, reason


@dataclass
class State:
    feeds: list[Feed] = field(default_factory=list)
    pages: dict[str, dict] = field(default_factory=dict)  # URL -> {"name", "at", "feed", "status"}
    failed: dict[str, dict] = field(default_factory=dict)  # URL -> {"reason", "vi", "attempts", "at"}

    def feed(self, key: str) -> Feed | None:
        """The feed named ``key`` or at URL ``key``."""
        return next((f for f in self.feeds if key in (f.name, f.url)), None)


def state_path(corpus_dir: Path) -> Path:
    return corpus_dir / FEEDS_DIR / STATE_FILE


def load_state(corpus_dir: Path) -> State:
    """The feeds and the pages fetched; an empty state when there is none yet.

    A state file that cannot be read is an error naming it (never silently reset: it is what
    stops every page being fetched again)."""
    path = state_path(corpus_dir)
    if not path.exists():
        return State()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        feeds = [Feed(**{k: v for k, v in f.items() if k in Feed.__dataclass_fields__}) for f in data.get("feeds", [])]
        return State(feeds, dict(data.get("pages", {})), dict(data.get("failed", {})))
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: cannot read the feeds' record ({exc}); fix or move it away") from exc


def save_state(corpus_dir: Path, state: State) -> None:
    path = state_path(corpus_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".state-{os.getpid()}-{uuid.uuid4().hex[:8]}.json")
    try:
        tmp.write_text(json.dumps({"feeds": [asdict(f) for f in state.feeds], "pages": state.pages,
                                   "failed": state.failed}, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def feeds_lock(corpus_dir: Path) -> Iterator[None]:
    """One fetch (or feed change) at a time per corpus, across processes (flock)."""
    import fcntl

    folder = corpus_dir / FEEDS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def check_feed_url(url: str) -> str:
    """``url`` if it is an http(s) address, else ValueError with the reason."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FeedListError(f"not an http(s) address: {url!r}", "địa chỉ phải bắt đầu bằng http:// hoặc https://")
    return url


def default_name(url: str) -> str:
    """A feed's name when none is given: its host and path, short."""
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/")[:80]


# --- reading a feed's links ------------------------------------------------------------------
def is_sitemap(text: str) -> bool:
    head = text.lstrip()[:500]
    return "<urlset" in head or "<sitemapindex" in head


def feed_links(url: str, text: str) -> tuple[list[str], list[str]]:
    """The page links a feed lists, and the sitemaps a sitemap index lists (absolute, in order, once)."""
    from trafilatura.feeds import FeedParameters, find_links
    from trafilatura.sitemaps import DETECT_SITEMAP_LINK, SitemapObject

    pages: list[str] = []
    more: list[str] = []
    if is_sitemap(text):
        class _Collect(SitemapObject):
            __slots__ = ()

            def handle_link(self, link: str) -> None:  # every location, no host filter (see module doc)
                link = urljoin(url, link.strip())
                (more if DETECT_SITEMAP_LINK.search(link) else pages).append(link)

        sitemap = _Collect(url, urlsplit(url).netloc, [])
        sitemap.current_url, sitemap.content = url, text
        sitemap.process()
    else:
        host = urlsplit(url).netloc
        pages = [urljoin(url, link.strip()) for link in find_links(text.strip(), FeedParameters(url, host, url))]
    # a page's address, not the site's home page (an RSS channel's own <link>) nor the feed itself
    keep = [u for u in dict.fromkeys(pages)
            if urlsplit(u).scheme in ("http", "https") and urlsplit(u).path not in ("", "/") and u != url]
    return keep, list(dict.fromkeys(more))


# --- polite HTTP ----------------------------------------------------------------------------
@dataclass
class Response:
    url: str  # after redirects
    status: int
    content: bytes
    content_type: str
    etag: str = ""
    last_modified: str = ""


class Fetcher:
    """GET with robots.txt, a per-host delay, retries with back-off, and a time and size limit."""

    def __init__(self, *, timeout: float = 20.0, delay: float = 1.0, retries: int = 2, max_bytes: int = 10_000_000,
                 user_agent: str = USER_AGENT, sleep: Callable[[float], None] = time.sleep) -> None:
        import httpx

        self.timeout, self.delay, self.retries, self.max_bytes = timeout, delay, retries, max_bytes
        self.user_agent = user_agent
        self._sleep = sleep
        self._client = httpx.Client(follow_redirects=True, headers={"User-Agent": user_agent},
                                    timeout=httpx.Timeout(timeout))
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._last: dict[str, float] = {}  # host -> when its last request ended
        self.requested: list[str] = []  # every URL asked for, in order (robots.txt included)

    def close(self) -> None:
        self._client.close()

    def _wait(self, host: str) -> None:
        robots = self._robots.get(host)
        crawl = robots.crawl_delay(self.user_agent) if robots is not None else None
        gap = max(self.delay, min(float(crawl or 0), 30.0))
        last = self._last.get(host)
        if last is not None and time.monotonic() - last < gap:
            self._sleep(gap - (time.monotonic() - last))

    def allowed(self, url: str) -> bool:
        """Whether the host's robots.txt lets us fetch ``url`` (read once per host; none = allowed)."""
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}"
        if host not in self._robots:
            self._robots[host] = None
            try:
                r = self._get(f"{host}/robots.txt", {}, retries=0)
            except FetchError:
                r = None  # no robots.txt reachable: the site states no rule
            if r is not None and r.status == 200:
                parser = urllib.robotparser.RobotFileParser()
                parser.parse(r.content.decode("utf-8", "replace").splitlines())
                self._robots[host] = parser
        robots = self._robots[host]
        return robots is None or robots.can_fetch(self.user_agent, url)

    def get(self, url: str, headers: dict[str, str] | None = None) -> Response:
        """``url``'s response (200 or 304), or FetchError with the reason."""
        if not self.allowed(url):
            raise FetchError("disallowed by the site's robots.txt", "robots.txt của trang không cho phép lấy")
        r = self._get(url, headers or {}, self.retries)
        if r.status not in (200, 304):
            raise FetchError(f"HTTP {r.status}", f"máy chủ trả về lỗi HTTP {r.status}")
        return r

    def _get(self, url: str, headers: dict[str, str], retries: int) -> Response:
        import httpx

        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}"
        why = FetchError("no attempt", "chưa thử")
        for attempt in range(retries + 1):
            if attempt:
                self._sleep(max(self.delay, 0.2) * 2 ** (attempt - 1))  # back-off: 1x, 2x, 4x the delay
            self._wait(host)
            self.requested.append(url)
            try:
                r = self._read(url, headers)
            except httpx.TimeoutException:
                why = FetchError(f"timed out after {self.timeout:g} s", f"quá thời gian chờ ({self.timeout:g} giây)")
                continue
            except httpx.TransportError as exc:
                why = FetchError(f"connection failed ({type(exc).__name__})",
                                 f"không kết nối được ({type(exc).__name__})")
                continue
            finally:
                self._last[host] = time.monotonic()
            if r.status == 429 or r.status >= 500:
                why = FetchError(f"HTTP {r.status}", f"máy chủ trả về lỗi HTTP {r.status}")
                if attempt < retries:
                    continue
            return r
        raise why

    def _read(self, url: str, headers: dict[str, str]) -> Response:
        """One request, its body read within the time limit and the size limit."""
        import httpx

        deadline = time.monotonic() + self.timeout
        with self._client.stream("GET", url, headers=headers) as r:
            body = bytearray()
            for chunk in r.iter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise FetchError(f"over {self.max_bytes / 1e6:g} MB", f"lớn hơn {self.max_bytes / 1e6:g} MB")
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("page took too long", request=r.request)
            return Response(str(r.url), r.status_code, bytes(body), r.headers.get("content-type", ""),
                            r.headers.get("etag", ""), r.headers.get("last-modified", ""))


def is_html(r: Response) -> bool:
    kind = r.content_type.split(";")[0].strip().lower()
    return kind in HTML_TYPES or (not kind and r.content.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")))


def page_name(url: str) -> str:
    """A corpus file name for the page at ``url``: its host and path, ``.html``."""
    parts = urlsplit(url)
    path = re.sub(r"\.(html?|php|aspx?)$", "", parts.path, flags=re.IGNORECASE)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{parts.netloc}{path}{'-' + parts.query if parts.query else ''}")
    stem = stem.strip("-.") or "trang"
    return f"{stem[:150]}.html"
