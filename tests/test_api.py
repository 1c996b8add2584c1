"""The HTTP API over real HTTP on loopback: the real server (FastAPI + Gradio + uvicorn), the
seed index, the official ``openai`` client, and API keys from the accounts database."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from assistant.app.accounts import Accounts
from assistant.app.payloads import search_payload
from conftest import free_port, fresh_database

pytestmark = pytest.mark.slow
openai = pytest.importorskip("openai")

HA_NOI = "Sở Ngoại vụ Hà Nội được thành lập khi nào?"
HAI_PHONG = "Sở Ngoại vụ Hải Phòng được thành lập khi nào?"



@pytest.fixture(scope="module")
def served(seed_settings, seed_assistant, tmp_path_factory):
    from assistant.app import server

    settings = seed_settings.with_overrides(data_dir=tmp_path_factory.mktemp("server-data"),
                                            database_url=fresh_database())
    running = server.start(settings, seed_assistant, host="127.0.0.1", port=free_port())
    yield settings, running.url
    running.stop()


def _no_accounts(settings) -> Accounts:
    """The served database, emptied: no users (so none of their keys, sessions, conversations)."""
    accounts = Accounts(settings.data_dir, settings.database_url)
    with accounts.db() as con:
        for table in ("users", "login_attempts", "audit"):
            con.execute(f"DELETE FROM {table}")
    return accounts


@pytest.fixture
def no_accounts(served):
    settings, url = served
    _no_accounts(settings)
    yield url


@pytest.fixture
def with_key(served):
    settings, url = served
    accounts = _no_accounts(settings)
    accounts.add("lan", "secret-pass-1", "reader")
    yield url, accounts.new_key("lan")[1]
    _no_accounts(settings)


def test_ask_and_search_return_the_cli_json(no_accounts, seed_assistant):
    url = no_accounts
    got = httpx.post(url + "api/v1/ask", json={"question": HA_NOI}, timeout=60)
    assert got.status_code == 200
    body, want = got.json(), json.loads(json.dumps(seed_assistant.ask(HA_NOI).to_dict()))
    assert set(body) == set(want)  # the shape of `assistant ask --json`
    assert body["answer"] == want["answer"] and body["citations"] == want["citations"]
    short = body["short_answer"]  # shown only when the span model is sure of it
    assert short is None or "1996" in short["text"]
    assert "1996" in body["answer"] and body["citations"][0]["quote"] in body["citations"][0]["passage"]

    got = httpx.post(url + "api/v1/search", json={"question": HAI_PHONG, "k": 3}, timeout=60).json()
    hits, timings = seed_assistant.search(HAI_PHONG, 3)
    want = search_payload(HAI_PHONG, hits, timings)
    assert set(got) == set(want) and [r["chunk_id"] for r in got["results"]] == [r["chunk_id"] for r in want["results"]]

    bad = httpx.post(url + "api/v1/ask", json={"question": "   "}, timeout=60)
    assert bad.status_code == 400 and bad.json()["error"]["message"]
    assert httpx.post(url + "api/v1/ask", json={"question": HA_NOI, "backend": "nope"}).status_code == 400
    huge = httpx.post(url + "api/v1/ask", content=b'{"question": "' + b"a" * (2 << 20) + b'"}',
                      headers={"content-type": "application/json"}, timeout=60)
    assert huge.status_code == 413  # refused before the 2 MB body is read


def test_brief_as_markdown_and_word(no_accounts):
    url = no_accounts
    md = httpx.post(url + "api/v1/brief", json={"topic": "Đối ngoại Hải Phòng", "questions": [HAI_PHONG]}, timeout=120)
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "Hải Phòng" in md.text and "[^1]" in md.text
    docx = httpx.post(url + "api/v1/brief", json={"questions": [HAI_PHONG], "format": "docx"}, timeout=120)
    assert docx.status_code == 200 and docx.content[:2] == b"PK" and ".docx" in docx.headers["content-disposition"]
    assert httpx.post(url + "api/v1/brief", json={"questions": []}).status_code == 400


def test_no_key_no_answer_once_accounts_exist(with_key):
    url, key = with_key
    for call in (lambda h: httpx.post(url + "api/v1/ask", json={"question": HA_NOI}, headers=h, timeout=60),
                 lambda h: httpx.get(url + "v1/models", headers=h),
                 lambda h: httpx.post(url + "v1/chat/completions", headers=h, timeout=60,
                                      json={"model": "assistant", "messages": [{"role": "user", "content": HA_NOI}]})):
        refused = call({})
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert refused.json()["error"]["code"] == "invalid_api_key"
        assert call({"Authorization": "Bearer ak-not-a-key"}).status_code == 401
        assert call({"Authorization": f"Bearer {key}"}).status_code == 200
    # the chat itself: no session, no page (a login redirect) and no Gradio API
    page = httpx.get(url, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].endswith("login")
    assert httpx.get(url + "config").status_code == 401
    assert httpx.get(url + "docs").status_code == 200  # the documentation itself is public


def test_openai_client_streams_an_answer_with_markers_and_citations(with_key):
    url, key = with_key
    client = openai.OpenAI(base_url=url + "v1", api_key=key, max_retries=0, timeout=120)
    assert "assistant" in [m.id for m in client.models.list()]

    stream = client.chat.completions.create(model="assistant", stream=True,
                                            messages=[{"role": "user", "content": HAI_PHONG}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "[1]" in text and "Nguồn:" in text and "26/11/2004" in text
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    citations = last.model_extra["citations"]
    assert citations and citations[0]["n"] == 1 and citations[0]["quote"] in text
    assert all(f"[{c['n']}]" in text for c in citations)

    # not streamed: the same answer, the citations beside "choices"; a follow-up uses the history
    whole = client.chat.completions.create(model="assistant", messages=[{"role": "user", "content": HAI_PHONG}])
    assert whole.choices[0].message.content == text and whole.model_extra["citations"] == citations
    follow = client.chat.completions.create(model="assistant", messages=[
        {"role": "user", "content": HAI_PHONG}, {"role": "assistant", "content": text},
        {"role": "user", "content": "Còn Hà Nội thì sao?"}])
    assert "1996" in follow.choices[0].message.content
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": HAI_PHONG}])


def test_login_is_throttled_and_sessions_expire(with_key, served):
    settings, url = served
    with httpx.Client(base_url=url) as c:
        for _ in range(5):
            assert c.post("login", data={"name": "lan", "password": "wrong-pass"}).status_code == 401
        locked = c.post("login", data={"name": "lan", "password": "secret-pass-1"})
        assert locked.status_code == 429 and "thử lại sau 60 giây" in locked.text
    accounts = Accounts(settings.data_dir, settings.database_url)
    with accounts.db() as con:
        con.execute("DELETE FROM login_attempts")  # the wait over
    with httpx.Client(base_url=url) as c:
        ok = c.post("login", data={"name": "lan", "password": "secret-pass-1"}, follow_redirects=False)
        assert ok.status_code == 303 and "httponly" in ok.headers["set-cookie"].lower()
        assert c.get("config").status_code == 200
        with accounts.db() as con:
            con.execute("UPDATE sessions SET expires = 0")  # the session's time is up
        assert c.get("config").status_code == 401 and c.get("", follow_redirects=False).status_code == 303
    assert json.loads(httpx.get(url + "openapi.json").text)["paths"]["/v1/chat/completions"]


def test_the_api_alone_answers_from_several_processes(seed_settings, seed_assistant, tmp_path):
    """``assistant api --workers 2``, as users start it: two processes on one port give the
    answers one process gives, to clients asking at once, and stop with their parent."""
    import concurrent.futures
    import os
    import signal
    import subprocess
    import sys

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "api", "--workers", "2", "--port", str(port),
         "--corpus", str(seed_settings.corpus_dir), "--index", str(seed_settings.index_dir)],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path / "data")})
    try:
        line = proc.stderr.readline()
        assert "API đang chạy" in line and "2 tiến trình" in line, line + proc.stderr.read()[-2000:]
        children = subprocess.run(["pgrep", "-P", str(proc.pid), "-f", "multiprocessing"], check=False,
                                  capture_output=True, text=True).stdout.split()
        assert len(children) >= 2  # the two answering processes (and multiprocessing's resource tracker)
        questions = [HA_NOI, HAI_PHONG, "Đà Nẵng hợp tác với bao nhiêu địa phương nước ngoài?"] * 4
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            got = list(pool.map(lambda q: httpx.post(f"http://127.0.0.1:{port}/api/v1/ask", json={"question": q},
                                                     timeout=120).json(), questions))
        for q, body in zip(questions, got):
            want = json.loads(json.dumps(seed_assistant.ask(q).to_dict()))
            assert body["answer"] == want["answer"] and body["citations"] == want["citations"], q
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 404  # no chat here
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    time.sleep(1)
    def running(pid: str) -> bool:  # a zombie (exited, its parent gone before reaping it) is not
        try:
            return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
        except OSError:
            return False

    assert not any(running(pid) for pid in children)  # none left behind


def test_timeline_as_json_markdown_and_word(no_accounts, seed_assistant):
    url = no_accounts
    got = httpx.post(url + "api/v1/timeline", json={"subject": "Hai Phong"}, timeout=120)
    assert got.status_code == 200
    body = got.json()
    assert body["title"].startswith("Dòng thời gian: Hải Phòng") and body["events"]
    documents = seed_assistant.index.documents
    for e in body["events"]:  # every event a verified quote, at its offsets
        assert e["quote"] and documents[e["doc_id"]].text[e["start"] : e["end"]] == e["quote"]
        for r in e["others"] + e["restated"]:
            assert documents[r["doc_id"]].text[r["start"] : r["end"]] == r["quote"]
    days = [e["first_day"] for e in body["events"] if e["first_day"]]
    assert days == sorted(days)  # oldest first
    md = httpx.post(url + "api/v1/timeline", json={"subject": "Hải Phòng", "format": "md"}, timeout=120)
    assert md.status_code == 200 and md.text.startswith("# Dòng thời gian: Hải Phòng")
    docx = httpx.post(url + "api/v1/timeline", json={"subject": "Hải Phòng", "format": "docx"}, timeout=120)
    assert docx.status_code == 200 and docx.content[:2] == b"PK" and ".docx" in docx.headers["content-disposition"]
    bad = httpx.post(url + "api/v1/timeline", json={"subject": "Hải Phòng", "since": "13/2019"}, timeout=60)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_date"
    assert httpx.post(url + "api/v1/timeline", json={"subject": "  "}, timeout=60).status_code == 400
