"""`assistant feeds`: RSS, Atom and a sitemap served on loopback by two invented news sites
(tests/newsites.py), fetched by `assistant feeds fetch` in its own process as users run it."""

from __future__ import annotations

import json
import time

import pytest

from assistant.app.newsroom import FeedResult, _listing
from assistant.config import every_seconds
from assistant.errors import ConfigError
from assistant.ingest.feeds import Feed, Fetcher, FetchError, feed_links, page_name, private_address
from newsites import BODY_C2, Sites
from servers import GUNMA, run, write_corpus

POLITE_FAST = {"ASSISTANT_FEEDS_TIMEOUT": "1", "ASSISTANT_FEEDS_DELAY": "0.05", "ASSISTANT_FEEDS_RETRIES": "1"}


@pytest.fixture()
def sites():
    s = Sites()
    yield s
    s.close()


def _docs(where: list[str]) -> dict[str, dict]:
    r = run("docs", "list", "--json", *where)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    return {d["id"]: d for d in rows}


def test_feeds_fetch_adds_exactly_the_new_articles_and_a_second_fetch_nothing(tmp_path, sites):
    corpus = write_corpus(tmp_path / "corpus", GUNMA)
    where = ["--corpus", str(corpus), "--index", str(tmp_path / "index")]
    assert run("index", *where).returncode == 0
    for url, name in ((f"{sites.a_url}/rss.xml", "Báo Phú Yên"), (f"{sites.a_url}/atom.xml", "Khánh Hòa"),
                      (f"{sites.b_url}/sitemap.xml", "Duyên hải")):
        r = run("feeds", "add", url, "--name", name, *where)
        assert r.returncode == 0, r.stderr
    r = run("feeds", "add", f"{sites.a_url}/rss.xml", *where)
    assert r.returncode == 1 and "already followed" in r.stderr

    first = run("feeds", "fetch", *where, env=POLITE_FAST)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert "Báo Phú Yên: 2 new articles, 4 pages failed" in lines
    assert "Khánh Hòa: 2 new articles" in lines
    assert "Duyên hải: 2 new articles, 1 of them another publication of an article already there" in lines
    # the failing pages are named with their reasons
    assert f"failed: {sites.a_url}/tin/tai-cham.html (timed out after 1 s)" in first.stderr
    assert f"failed: {sites.a_url}/tin/loi-may-chu.html (HTTP 500)" in first.stderr
    assert f"failed: {sites.a_url}/tin/anh-su-kien.png (not an HTML page (image/png))" in first.stderr
    assert f"failed: {sites.a_url}/noi-bo/ban-tin-mat.html (disallowed by the site's robots.txt)" in first.stderr
    # the disallowed path is never requested; robots.txt is, once per site; a 500 is retried
    assert not [p for p in sites.requested() if p.startswith("/noi-bo/")]
    assert sites.requested("a").count("/robots.txt") == 1
    assert sites.requested("a").count("/tin/loi-may-chu.html") == 2

    docs = _docs(where)
    fetched = {k: d for k, d in docs.items() if k not in ("gunma_2019", "gunma_2023")}
    by_url = {d["url"]: d for d in fetched.values()}
    assert set(by_url) == {f"{sites.a_url}/tin/phu-yen-gyeonggi.html", f"{sites.a_url}/tin/phu-yen-fdi-quy-1.html",
                           f"{sites.a_url}/thoi-su/khanh-hoa-vladivostok.html", f"{sites.a_url}/thoi-su/khanh-hoa-fdi.html",
                           f"{sites.b_url}/bai/binh-dinh-champasak.html"}
    gyeonggi = by_url[f"{sites.a_url}/tin/phu-yen-gyeonggi.html"]
    assert gyeonggi["title"] == "Phú Yên ký biên bản ghi nhớ với tỉnh Gyeonggi"
    assert gyeonggi["date"] == "2024-03-12" and gyeonggi["outlet"] == "Báo Phú Yên"
    # the copy on the second site is recorded as another publication, not a second article
    [copy] = gyeonggi["copies"]
    assert copy.endswith("bai-phu-yen-gyeonggi-dang-lai") and copy not in docs
    champasak = by_url[f"{sites.b_url}/bai/binh-dinh-champasak.html"]
    assert (champasak["title"], champasak["date"], champasak["outlet"]) == (
        "Bình Định kỷ niệm 10 năm hợp tác với Champasak", "2024-04-22", "Thời báo Duyên hải")
    # menus, teasers and footers stay out of the text; the articles are answerable
    r = run("ask", "Phú Yên ký biên bản ghi nhớ với tỉnh nào?", "--json", *where)
    answer = json.loads(r.stdout)
    assert not answer["refused"] and "Gyeonggi" in answer["answer"]
    cited = [c for c in answer["citations"] if c["doc_id"] == gyeonggi["id"]]
    assert cited and any("Thời báo Duyên hải" in also for also in cited[0]["also"])  # the copy's outlet is named
    r = run("search", BODY_C2[1], "--json", *where)
    assert "Giá xăng" not in r.stdout and "Giấy phép số" not in r.stdout

    n = len(sites.log)
    second = run("feeds", "fetch", *where, env=POLITE_FAST)
    assert second.returncode == 0, second.stderr
    assert "Báo Phú Yên: unchanged, 4 pages failed" in second.stdout.splitlines()
    assert "Khánh Hòa: unchanged" in second.stdout.splitlines()
    assert "Duyên hải: unchanged" in second.stdout.splitlines()
    again = sites.log[n:]
    feeds = [(path, headers) for _, path, headers in again if path.endswith(".xml")]
    assert len(feeds) == 3 and all("If-None-Match" in h and "If-Modified-Since" in h for _, h in feeds)
    assert sorted(code for _, path, code in sites.answered if path.endswith(".xml"))[-3:] == [304, 304, 304]
    assert [code for _, path, code in sites.answered if path.endswith(".xml")].count(304) == 3
    fetched_pages = {path for _, path, _ in again if path.endswith(".html") and not path.startswith("/tin/t")}
    assert fetched_pages == {"/tin/loi-may-chu.html"}  # only the failed ones are tried again; none that was added
    assert _docs(where).keys() == docs.keys()

    r = run("feeds", "list", "--json", *where)
    listed = [json.loads(line) for line in r.stdout.splitlines()]
    assert [f["name"] for f in listed] == ["Báo Phú Yên", "Khánh Hòa", "Duyên hải"]
    assert listed[0]["last"]["status"] == "unchanged" and len(listed[0]["last"]["failed"]) == 4
    r = run("feeds", "remove", "Khánh Hòa", *where)
    assert r.returncode == 0 and "removed: Khánh Hòa" in r.stdout
    assert [json.loads(x)["name"] for x in run("feeds", "list", "--json", *where).stdout.splitlines()] == [
        "Báo Phú Yên", "Duyên hải"]
    assert run("feeds", "remove", "Khánh Hòa", *where).returncode == 1


def test_a_feed_that_cannot_be_read_is_one_line_and_loses_nothing(tmp_path, sites):
    corpus = write_corpus(tmp_path / "corpus", GUNMA)
    where = ["--corpus", str(corpus), "--index", str(tmp_path / "index")]
    assert run("feeds", "add", "ftp://example.org/rss", *where).returncode == 1
    assert run("feeds", "add", f"{sites.a_url}/khong-co.xml", "--name", "hỏng", *where).returncode == 0
    r = run("feeds", "fetch", *where, env=POLITE_FAST)
    assert r.returncode == 1
    assert "hỏng: failed (HTTP 404)" in r.stderr
    assert sorted(p.name for p in corpus.iterdir() if not p.name.startswith(".")) == [
        "gunma_2019.txt", "gunma_2023.txt", "metadata.json"]


def test_feed_links_reads_rss_atom_and_sitemaps_with_trafilatura(sites):
    rss, _ = feed_links(f"{sites.a_url}/rss.xml", sites.rss())
    assert f"{sites.a_url}/tin/phu-yen-gyeonggi.html" in rss and f"{sites.a_url}/" not in rss
    atom, _ = feed_links(f"{sites.a_url}/atom.xml", sites.atom())
    assert atom == [f"{sites.a_url}/thoi-su/khanh-hoa-vladivostok.html", f"{sites.a_url}/thoi-su/khanh-hoa-fdi.html"]
    pages, more = feed_links(f"{sites.b_url}/sitemap.xml", sites.sitemap())
    assert len(pages) == 2 and not more
    index = ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             f"<sitemap><loc>{sites.b_url}/sitemap-2024.xml</loc></sitemap></sitemapindex>")
    assert feed_links(f"{sites.b_url}/sitemap.xml", index) == ([], [f"{sites.b_url}/sitemap-2024.xml"])


def test_the_fetcher_waits_between_two_requests_to_one_site(sites):
    waits: list[float] = []
    fetcher = Fetcher(timeout=2, delay=0.5, retries=0, sleep=waits.append)
    try:
        fetcher.get(f"{sites.b_url}/sitemap.xml")
        fetcher.get(f"{sites.b_url}/bai/binh-dinh-champasak.html")
        with pytest.raises(FetchError, match="HTTP 404"):
            fetcher.get(f"{sites.b_url}/khong-co.html")
    finally:
        fetcher.close()
    assert len(waits) >= 2 and all(0 < w <= 0.5 for w in waits)


def test_page_names_and_periods():
    assert page_name("https://baoquocte.vn/tin/phu-yen-123.html?p=2") == "baoquocte.vn-tin-phu-yen-123-p-2.html"
    assert page_name("http://x.vn/") == "x.vn.html"
    assert every_seconds("6h") == 6 * 3600 and every_seconds("2h30m") == 9000 and every_seconds("1d") == 86400
    assert every_seconds("") is None and every_seconds("0") is None
    with pytest.raises(ConfigError):
        every_seconds("sáu giờ")


def test_a_sitemap_index_is_read_again_through_its_sitemaps_when_it_answers_304(sites):
    feed = Feed(url=f"{sites.b_url}/sitemap-index.xml", name="Duyên hải")
    fetcher = Fetcher(timeout=2, delay=0, retries=0)
    try:
        first = _listing(fetcher, feed, FeedResult(feed.name, feed.url), private_ok=True)
        assert first == [f"{sites.b_url}/bai/phu-yen-gyeonggi-dang-lai.html", f"{sites.b_url}/bai/binh-dinh-champasak.html"]
        sites.later.append("/bai/ninh-thuan-tiep-dai-su.html")  # a new page in a sitemap; the index is unchanged
        result = FeedResult(feed.name, feed.url)
        second = _listing(fetcher, feed, result, private_ok=True)
    finally:
        fetcher.close()
    assert result.conditional  # the index answered 304 ...
    assert f"{sites.b_url}/bai/ninh-thuan-tiep-dai-su.html" in second  # ... and its sitemaps were read again
    index = [code for _, path, code in sites.answered if path == "/sitemap-index.xml"]
    assert index == [200, 304]


def test_redirects_are_checked_against_robots_txt_at_every_hop(sites):
    fetcher = Fetcher(timeout=2, delay=0, retries=0)
    try:
        with pytest.raises(FetchError, match="robots.txt"):
            fetcher.get(f"{sites.a_url}/tin/chuyen-huong.html")
    finally:
        fetcher.close()
    assert "/tin/chuyen-huong.html" in sites.requested("a")
    assert not [p for p in sites.requested() if p.startswith("/noi-bo/")]


def test_robots_txt_wildcards_longest_match_a_bom_and_an_unreachable_one(sites):
    sites.robots_a = "\ufeffUser-agent: *\nAllow: /\nDisallow: /noi-bo/\nDisallow: /*?in=\n"
    sites.robots_b = 503
    fetcher = Fetcher(timeout=2, delay=0, retries=0)
    try:
        assert fetcher.refusal(f"{sites.a_url}/noi-bo/x.html") is not None  # the longer rule wins over "Allow: /"
        assert fetcher.refusal(f"{sites.a_url}/tin/a.html?in=1") is not None  # a wildcard
        assert fetcher.refusal(f"{sites.a_url}/tin/phu-yen-gyeonggi.html") is None
        refused = fetcher.refusal(f"{sites.b_url}/bai/binh-dinh-champasak.html")  # robots.txt answers 503
        assert refused is not None and "could not be read" in str(refused)
    finally:
        fetcher.close()
    assert "/bai/binh-dinh-champasak.html" not in sites.requested("b")


def test_a_page_trickling_its_headers_is_cut_at_the_time_limit(sites):
    fetcher = Fetcher(timeout=1, delay=0, retries=0)
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="timed out after 1 s"):
            fetcher.get(f"{sites.a_url}/tin/nho-giot.html")
        took = time.monotonic() - started
        fetcher.get(f"{sites.a_url}/tin/phu-yen-gyeonggi.html")  # the next request has a fresh connection
    finally:
        fetcher.close()
    assert took < 2.5  # a read timeout alone would wait 20 s (0.1 s per byte)


def test_a_web_page_is_not_a_feed_and_bad_links_are_dropped(sites):
    with pytest.raises(FetchError, match="not an RSS/Atom feed or a sitemap"):
        feed_links(f"{sites.a_url}/trang-chu.html", "<!doctype html><html><body><a href='/x'>x</a></body></html>")
    rss = ("<?xml version='1.0'?><rss version='2.0'><channel><item><link>http://[bad/x</link></item>"
           f"<item><link>javascript:alert(1)</link></item><item><link>{sites.a_url}/tin/ok.html</link></item>"
           "</channel></rss>")
    assert feed_links(f"{sites.a_url}/rss.xml", rss) == ([f"{sites.a_url}/tin/ok.html"], [])


def test_a_public_feed_cannot_lead_to_a_private_address(sites):
    assert private_address(sites.a_url) and private_address("http://10.1.2.3/x") and private_address("http://[::1]/")
    fetcher = Fetcher(timeout=2, delay=0, retries=0)
    try:
        with pytest.raises(FetchError, match="private or local address"):
            fetcher.get(f"{sites.a_url}/tin/phu-yen-gyeonggi.html", private_ok=False)
    finally:
        fetcher.close()
