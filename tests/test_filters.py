"""Filters: which articles answer (--since/--until/--locality/--outlet on the CLI, the same
fields on /api/v1/ask and /api/v1/search), over invented dated articles on one partnership
whose figures changed from year to year."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time

import httpx
import pytest

from assistant.documents import Document, Filters, date_bound
from conftest import ROOT, free_port
from servers import GUNMA, run, write_corpus

ARTICLES = {
    **GUNMA,
    "quangtri_2021.txt": ("Quảng Trị hợp tác với Gunma về đào tạo nghề",
                          ("Năm 2021, tỉnh Quảng Trị đã ký thỏa thuận với tỉnh Gunma (Nhật Bản), theo đó "
                          "80 học viên Quảng Trị được sang Gunma học nghề điều dưỡng."),
                          {"date": "2021-11-20", "outlet": "baoquangtri.vn"}),
}
QUESTION = "Bao nhiêu học viên được sang Gunma học nghề điều dưỡng?"


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    """The three articles, indexed by `assistant index` in its own process."""
    base = tmp_path_factory.mktemp("dated")
    corpus = write_corpus(base / "corpus", ARTICLES)
    where = ["--corpus", str(corpus), "--index", str(base / "index")]
    done = run("index", *where)
    assert done.returncode == 0, done.stderr
    return where


def _cited(stdout: str) -> set[str]:
    return {c["doc_id"] for c in json.loads(stdout)["citations"]}


def test_dates_take_a_year_a_month_a_day_or_the_vietnamese_order():
    assert date_bound("2019") == "2019-01-01" and date_bound("2019", upper=True) == "2019-12-31"
    assert date_bound("2024-02", upper=True) == "2024-02-29" and date_bound("05/2019") == "2019-05-01"
    assert Filters.of(outlets=["vnexpress.net"]).admits(Document("n", "t", "x", outlet="VnExpress",
                                                                 url="https://vnexpress.net/a-1.html"))
    assert Filters.of(outlets=["vnexpress.net"]).admits(Document("n", "t", "x", outlet="VnExpress"))
    assert date_bound("7/3/2020") == "2020-03-07" and date_bound(" 2020-03-07 ", upper=True) == "2020-03-07"
    assert date_bound("2023-02", upper=True) == "2023-02-28"
    assert not Filters.of("2020").admits(Document("p", "t", "x", date="2019-00-00"))  # a PDF's odd date: its year
    assert Filters.of("2019", "2019").admits(Document("p", "t", "x", date="2019-00-00"))
    for bad in ("2019-13", "hôm qua", "32/01/2020", "", "31/02/2019", "2019-02-30", "２０１９"):
        with pytest.raises(ValueError):
            date_bound(bad)
    with pytest.raises(ValueError, match="empty"):
        Filters.of("2021", "2020")
    partly = Document("d", "t", "x", date="2019")  # dated by its year only: in when the year meets the range
    assert Filters.of("2019-06", "2019-07").admits(partly) and not Filters.of("2020").admits(partly)
    assert not Filters.of("2019").admits(Document("u", "t", "x"))  # undated: out of any date range
    assert Filters.of(outlets=["https://www.VOV.vn/"]).admits(Document("v", "t", "x", outlet="vov.vn"))
    assert Filters.of(localities=["binh dinh"]).admits(Document("b", "Bình Định", "x"))  # diacritics optional
    assert not Filters.of(localities=["Định"]).admits(Document("b", "Bình Địnhx", "x"))  # whole words only


def test_cli_filters_choose_the_article_that_answers(dated):
    where = dated
    plain = run("ask", QUESTION, "--json", *where)
    assert plain.returncode == 0, plain.stderr
    cases = [(["--since", "2023"], {"gunma_2023"}), (["--until", "2020-12-31"], {"gunma_2019"}),
             (["--locality", "Quảng Trị"], {"quangtri_2021"}), (["--outlet", "vov.vn"], {"gunma_2023"}),
             (["--since", "01/01/2019", "--until", "31/12/2019", "--locality", "Binh Dinh"], {"gunma_2019"})]
    for flags, want in cases:
        done = run("ask", QUESTION, "--json", *flags, *where)
        assert done.returncode == 0, done.stderr
        body = json.loads(done.stdout)
        assert _cited(done.stdout) == want, (flags, body["answer"])
        assert body["notices"][0].startswith("Chỉ tìm trong các bài viết"), body["notices"]
    none = run("ask", QUESTION, "--json", "--since", "2025", *where)
    body = json.loads(none.stdout)
    assert body["refused"] and not body["citations"] and "01/01/2025" in body["notices"][0]
    searched = run("search", QUESTION, "--json", "--outlet", "baoquangtri.vn", *where)
    body = json.loads(searched.stdout)
    assert {r["doc_id"] for r in body["results"]} == {"quangtri_2021"} and body["filters"]["outlets"] == ["baoquangtri.vn"]
    bad = run("ask", QUESTION, "--since", "2019-13", *where)
    assert bad.returncode == 2 and "not a date: '2019-13'" in bad.stderr and "Traceback" not in bad.stderr


def _api(where: list[str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "api", *where, "--port", str(port)],
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ})
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr], daemon=True).start()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if "API đang chạy" in lines.get(timeout=1):
                return proc, f"http://127.0.0.1:{port}"
        except queue.Empty:
            assert proc.poll() is None, "assistant api exited"
    raise AssertionError("assistant api did not start")


@pytest.mark.slow
def test_api_filters_choose_the_article_that_answers(dated):
    where = dated
    proc, url = _api(where)
    try:
        with httpx.Client(base_url=url, timeout=60) as c:
            r = c.post("/api/v1/ask", json={"question": QUESTION, "since": "2023-01"})
            assert r.status_code == 200 and {x["doc_id"] for x in r.json()["citations"]} == {"gunma_2023"}
            r = c.post("/api/v1/ask", json={"question": QUESTION, "until": "2019", "localities": ["Bình Định"]})
            assert {x["doc_id"] for x in r.json()["citations"]} == {"gunma_2019"}
            assert r.json()["notices"][0] == "Chỉ tìm trong các bài viết đăng đến 31/12/2019, về Bình Định."
            r = c.post("/api/v1/search", json={"question": QUESTION, "outlets": ["vov.vn", "baoquangtri.vn"]})
            assert {x["doc_id"] for x in r.json()["results"]} == {"gunma_2023", "quangtri_2021"}
            r = c.post("/api/v1/ask", json={"question": QUESTION, "since": 2023})  # a year as a number
            assert {x["doc_id"] for x in r.json()["citations"]} == {"gunma_2023"}
            r = c.post("/api/v1/search", json={"question": QUESTION, "since": "tháng trước"})
            assert r.status_code == 400 and r.json()["error"]["code"] == "bad_filter"
            assert "not a date" in r.json()["error"]["message"]
    finally:
        proc.terminate()
        proc.wait(30)


def test_a_filtered_search_over_faiss_is_exact_a_block_at_a_time(monkeypatch):
    import numpy as np

    from assistant.store import faiss as faiss_mod

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((1000, 16)).astype(np.float32)
    store = faiss_mod.FaissStore(None, 16, vectors=vectors, kind="flat")
    allowed, query = rng.random(1000) < 0.3, rng.standard_normal(16).astype(np.float32)
    scores = vectors @ query
    want = sorted(np.flatnonzero(allowed), key=lambda i: (-scores[i], i))[:10]
    assert [i for i, _ in store.search_within(query, 10, allowed)] == want
    monkeypatch.setattr(faiss_mod, "SEARCH_BLOCK", 37)  # many blocks, each smaller than some and larger than k
    got = store.search_within(query, 10, allowed)
    assert [i for i, _ in got] == want and all(abs(s - scores[i]) < 1e-5 for i, s in got)
    assert store.search_within(query, 10, np.zeros(1000, dtype=bool)) == []
