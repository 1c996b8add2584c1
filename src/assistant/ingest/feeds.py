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

import ipaddress
import json
import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
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
    sitemaps: list[str] = field(default_factory=list)  # a sitemap index's sitemaps, read again on a 304
    children: dict[str, dict] = field(default_factory=dict)  # each of those: etag, last_modified, links
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
def feeds_lock(corpus_dir: Path, wait: float | None = None) -> Iterator[None]:
    """One fetch (or feed change) at a time per corpus, across processes (flock). ``wait``: give up
    after that many seconds with FeedListError (a change to the list while a long fetch runs)."""
    import fcntl

    folder = corpus_dir / FEEDS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as handle:
        deadline = None if wait is None else time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (fcntl.LOCK_NB if deadline is not None else 0))
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() > deadline:
                    raise FeedListError("a fetch of the feeds is running; try again when it ends",
                                        "đang lấy tin từ các nguồn; hãy thử lại khi xong") from None
                time.sleep(0.2)
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
FEED_ROOTS = {"rss": "rss", "feed": "atom", "RDF": "rss", "urlset": "sitemap", "sitemapindex": "sitemap index"}


def feed_kind(text: str) -> str | None:
    """"rss", "atom", "sitemap", "sitemap index" or "json" by the document's root; None for anything else
    (a web page, an error page): lxml reads the root, entities unresolved and nothing fetched."""
    from lxml import etree

    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith("{"):
        try:
            data = json.loads(body)
        except ValueError:
            return None
        return "json" if isinstance(data, dict) and isinstance(data.get("items"), list) else None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(body.encode("utf-8"), parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None or not isinstance(root.tag, str):
        return None
    return FEED_ROOTS.get(etree.QName(root).localname)


def _absolute(base: str, link: str) -> str | None:
    """``link`` made absolute against ``base``: an http(s) page address, or None (a bad or other link)."""
    try:
        url = urljoin(base, link.strip())
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def feed_links(url: str, text: str) -> tuple[list[str], list[str]]:
    """The page links a feed lists, and the sitemaps a sitemap index lists (absolute, in order,
    once); FetchError when ``text`` is neither an RSS/Atom/JSON feed nor a sitemap."""
    from trafilatura.feeds import FeedParameters, find_links
    from trafilatura.sitemaps import SitemapObject

    kind = feed_kind(text)
    if kind is None:
        raise FetchError("not an RSS/Atom feed or a sitemap", "không phải nguồn tin RSS/Atom hay sơ đồ trang (sitemap)")
    found: list[str] = []
    if kind.startswith("sitemap"):
        class _Collect(SitemapObject):
            __slots__ = ()

            def handle_link(self, link: str) -> None:  # every location, no host filter (see module doc)
                found.append(link)

        sitemap = _Collect(url, urlsplit(url).netloc, [])
        sitemap.current_url, sitemap.content = url, text.lstrip("\ufeff")
        sitemap.extract_sitemap_links()
    else:
        found = find_links(text.lstrip("\ufeff").strip(), FeedParameters(url, urlsplit(url).netloc, url))
    links = [u for u in (_absolute(url, link) for link in found) if u and u != url]
    if kind == "sitemap index":
        return [], list(dict.fromkeys(links))
    # a page's address, not the site's home page (an RSS channel's own <link>)
    return [u for u in dict.fromkeys(links) if urlsplit(u).path not in ("", "/")], []


def private_address(url: str) -> bool:
    """Whether ``url``'s host is (or resolves to) a loopback, private, link-local or unspecified address."""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False  # not resolvable: the request fails on its own
    for info in infos:
        try:
            ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        except ValueError:
            continue
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_reserved:
            return True
    return False


# --- polite HTTP ----------------------------------------------------------------------------
@dataclass
class Response:
    url: str  # after redirects
    status: int
    content: bytes
    content_type: str
    etag: str = ""
    last_modified: str = ""
    location: str = ""  # a redirect's target
    retry_after: str = ""


_UNREACHABLE = "unreachable"  # a host whose robots.txt could not be read (5xx, no answer): not fetched this run
MAX_REDIRECTS = 5


class Fetcher:
    """GET with robots.txt, a per-host delay, retries with back-off, and a time and size limit.

    Redirects are followed one hop at a time, each hop checked against its host's robots.txt
    (and, for a feed on a public host, refused when it leads to a private address). Each request
    runs on a worker thread and is abandoned (its connection closed) at ``timeout`` seconds,
    headers and body together: a server trickling bytes cannot hold a fetch."""

    def __init__(self, *, timeout: float = 20.0, delay: float = 1.0, retries: int = 2, max_bytes: int = 10_000_000,
                 user_agent: str = USER_AGENT, sleep: Callable[[float], None] = time.sleep) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.timeout, self.delay, self.retries, self.max_bytes = timeout, delay, retries, max_bytes
        self.user_agent = user_agent
        self._sleep = sleep
        self._client = self._new_client()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assistant-fetch")
        self._robots: dict[str, Any] = {}  # host -> Protego, None (no rules) or _UNREACHABLE
        self._last: dict[str, float] = {}  # host -> when its last request ended
        self.requested: list[str] = []  # every URL asked for, in order (robots.txt included)

    def _new_client(self):
        import httpx

        return httpx.Client(follow_redirects=False, headers={"User-Agent": self.user_agent},
                            timeout=httpx.Timeout(self.timeout))

    def close(self) -> None:
        self._client.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _host(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    def _wait(self, host: str) -> None:
        robots = self._robots.get(host)
        crawl = robots.crawl_delay(self.user_agent) if robots not in (None, _UNREACHABLE) else None
        gap = max(self.delay, min(float(crawl or 0), 30.0))
        last = self._last.get(host)
        if last is not None and time.monotonic() - last < gap:
            self._sleep(gap - (time.monotonic() - last))

    def refusal(self, url: str) -> FetchError | None:
        """Why the host's robots.txt keeps us from ``url`` (read once per host), or None.

        No robots.txt (4xx) states no rule; one that cannot be read (5xx, no answer) keeps the
        whole host out for this fetch, as RFC 9309 asks."""
        from protego import Protego

        host = self._host(url)
        if host not in self._robots:
            self._robots[host] = None
            try:
                r = self._one(f"{host}/robots.txt", {}, retries=1)
            except FetchError:
                r = None
            if r is None or r.status >= 500 or r.status == 429:
                self._robots[host] = _UNREACHABLE
            elif r.status == 200:
                self._robots[host] = Protego.parse(r.content.decode("utf-8-sig", "replace"))
        robots = self._robots[host]
        if robots == _UNREACHABLE:
            return FetchError("the site's robots.txt could not be read; the site is left alone this time",
                              "không đọc được robots.txt của trang; lần này không lấy")
        if robots is not None and not robots.can_fetch(url, self.user_agent):
            return FetchError("disallowed by the site's robots.txt", "robots.txt của trang không cho phép lấy")
        return None

    def get(self, url: str, headers: dict[str, str] | None = None, *, private_ok: bool = True) -> Response:
        """``url``'s response (200 or 304), following redirects hop by hop; FetchError with the reason."""
        for _ in range(MAX_REDIRECTS + 1):
            if not private_ok and private_address(url):
                raise FetchError("leads to a private or local address", "dẫn tới địa chỉ nội bộ")
            refused = self.refusal(url)
            if refused is not None:
                raise refused
            r = self._one(url, headers or {}, self.retries)
            if r.status in (301, 302, 303, 307, 308) and r.location:
                nxt = _absolute(url, r.location)
                if nxt is None:
                    raise FetchError(f"a redirect to a bad address ({r.location[:80]})",
                                     "chuyển hướng tới một địa chỉ không hợp lệ")
                url = nxt
                continue
            if r.status not in (200, 304):
                raise FetchError(f"HTTP {r.status}", f"máy chủ trả về lỗi HTTP {r.status}")
            return r
        raise FetchError(f"more than {MAX_REDIRECTS} redirects", f"chuyển hướng quá {MAX_REDIRECTS} lần")

    def _one(self, url: str, headers: dict[str, str], retries: int) -> Response:
        """One URL (no redirect followed), retried with back-off on a timeout, a lost connection, 429 or 5xx."""
        host = self._host(url)
        why = FetchError("no attempt", "chưa thử")
        pause = 0.0
        for attempt in range(retries + 1):
            if attempt:
                self._sleep(max(pause, max(self.delay, 0.2) * 2 ** (attempt - 1)))  # back-off: 1x, 2x, 4x the delay
            self._wait(host)
            self.requested.append(url)
            try:
                r = self._bounded(url, headers)
            except FetchError as exc:
                why = exc
                if exc.args[0].startswith(("over ", "request failed")):
                    raise  # too large, or not a request that can succeed: no retry
                continue
            finally:
                self._last[host] = time.monotonic()
            if r.status == 429 or r.status >= 500:
                why = FetchError(f"HTTP {r.status}", f"máy chủ trả về lỗi HTTP {r.status}")
                pause = min(float(r.retry_after), 30.0) if r.retry_after.isdigit() else 0.0
                if attempt < retries:
                    continue
            return r
        raise why

    def _bounded(self, url: str, headers: dict[str, str]) -> Response:
        """One request on the worker thread, abandoned (its connection closed) after ``timeout`` s."""
        from concurrent.futures import TimeoutError as Late

        future = self._pool.submit(self._read, self._client, url, headers)
        try:
            return future.result(timeout=self.timeout)
        except Late:
            self._client.close()  # the worker's read fails now; later requests get a fresh client
            self._client = self._new_client()
            from concurrent.futures import ThreadPoolExecutor

            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assistant-fetch")
            raise FetchError(f"timed out after {self.timeout:g} s",
                             f"quá thời gian chờ ({self.timeout:g} giây)") from None

    def _read(self, client, url: str, headers: dict[str, str]) -> Response:
        import httpx

        try:
            with client.stream("GET", url, headers=headers) as r:
                body = bytearray()
                for chunk in r.iter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise FetchError(f"over {self.max_bytes / 1e6:g} MB", f"lớn hơn {self.max_bytes / 1e6:g} MB")
                return Response(str(r.url), r.status_code, bytes(body), r.headers.get("content-type", ""),
                                r.headers.get("etag", ""), r.headers.get("last-modified", ""),
                                r.headers.get("location", ""), r.headers.get("retry-after", "").strip())
        except httpx.TimeoutException:
            raise FetchError(f"timed out after {self.timeout:g} s", f"quá thời gian chờ ({self.timeout:g} giây)") from None
        except httpx.TransportError as exc:
            raise FetchError(f"connection failed ({type(exc).__name__})",
                             f"không kết nối được ({type(exc).__name__})") from None
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            raise FetchError(f"request failed ({type(exc).__name__})",
                             f"yêu cầu không thực hiện được ({type(exc).__name__})") from None


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
