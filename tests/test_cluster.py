"""Two app servers for one department: `assistant chat` twice, in their own processes, over one
PostgreSQL server (accounts, sessions, conversations), one Milvus server (the chunk vectors) and
one index folder (shared storage), each with a data folder of its own.

It runs where both servers exist: ``make test`` runs it under ``scripts/with_postgres.py`` and
``scripts/with_milvus_server.py``.
"""

from __future__ import annotations

import os
import shutil
import time

import httpx
import pytest

from assistant.app.accounts import Accounts
from conftest import MINI, POSTGRES, fresh_database
from servers import PASSWORDS, Server, article, ask, loaded, new_context, run, status, titles, upload

MILVUS = os.environ.get("ASSISTANT_MILVUS_URI", "").startswith("http")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not (POSTGRES and MILVUS), reason="needs a PostgreSQL and a Milvus server: "
    "scripts/with_postgres.py -- scripts/with_milvus_server.py -- pytest tests/test_cluster.py (make test)")]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    base = tmp_path_factory.mktemp("cluster")
    shutil.copytree(MINI, base / "corpus")
    url = fresh_database()
    one, two = Server(base, database_url=url), Server(base, database_url=url)
    two.data = base / "data-two"  # nothing of the department's state is in either folder
    two.env["ASSISTANT_DATA_DIR"] = str(two.data)
    res = run("index", *one.where, env=one.env)
    assert res.returncode == 0, res.stderr
    accounts = Accounts(one.data, url)
    for name, (role, password) in PASSWORDS.items():
        accounts.add(name, password, role)
    one.start()
    two.start()
    yield one, two
    one.stop()
    two.stop()


def _answers(server: Server, question: str, words: str, seconds: float = 15) -> bool:
    """Does ``server`` answer ``question`` citing ``words`` (within ``seconds``: a new build is
    picked up within a second or two)?"""
    c = server.client("doc")
    deadline = time.monotonic() + seconds
    while True:
        r = c.post("/api/v1/ask", json={"question": question})
        r.raise_for_status()
        if any(words in cite["quote"] for cite in r.json()["citations"]):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)


def test_a_login_on_one_server_asks_on_the_other_and_both_list_the_conversation(cluster, browser):
    one, two = cluster
    assert not list(one.data.glob("*.db")) and not (two.data / "assistant.db").exists()
    ctx = new_context(browser)
    try:
        page = ctx.new_page()
        page.goto(one.url, wait_until="domcontentloaded")
        page.wait_for_selector("#login")
        page.fill("#name", "doc")
        page.fill("#password", PASSWORDS["doc"][1])
        page.click("#login-submit")
        loaded(page)
        page.goto(two.url, wait_until="domcontentloaded")  # the same cookie: one session, valid on both
        loaded(page)
        question = "Năm 2022 Đà Nẵng đón bao nhiêu đoàn khách quốc tế?"
        ask(page, question)
        assert "120 đoàn" in page.locator("#chat").inner_text()
        page.goto(one.url, wait_until="domcontentloaded")
        loaded(page)
        assert any(question[:40] in t for t in titles(page))  # saved through two, listed by one
    finally:
        ctx.close()


def test_an_upload_through_one_is_answered_by_the_other(cluster):
    one, two = cluster
    event, data = upload(one.client("bien"), {"vinh-long.txt": article("Vĩnh Long", "mở 7 lớp tiếng Hàn").encode()})
    assert event == "complete" and "vinh-long.txt — đã thêm" in status(data)
    assert _answers(two, "Vĩnh Long mở bao nhiêu lớp tiếng Hàn?", "7 lớp tiếng Hàn")
    assert Accounts(one.data, one.database_url).audit_log()[0].subject == "vinh-long.txt"  # who added it


def test_a_rebuild_from_the_shell_is_answered_by_both(cluster):
    one, two = cluster
    doc = one.corpus / "b_cantho.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nNăm 2024, Cần Thơ đón 44 đoàn doanh nghiệp Úc.\n",
                   encoding="utf-8")
    res = run("index", *one.where, env=one.env)
    assert res.returncode == 0, res.stderr
    for server in (one, two):
        assert _answers(server, "Năm 2024 Cần Thơ đón bao nhiêu đoàn doanh nghiệp Úc?", "44 đoàn doanh nghiệp")
    r = httpx.post(f"{two.url}/api/v1/ask", json={"question": "Cần Thơ"}, timeout=60)
    assert r.status_code == 401  # and both still need a login
