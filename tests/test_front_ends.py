"""One follow-up question through every front end: the CLI (its own process), the chat engine,
``/api/v1/ask``, ``/v1/chat/completions`` (a real server on loopback) and MCP (a real stdio
subprocess). Each reads "Còn Hà Nội thì sao?" after the Hải Phòng question as the same
standalone question and gives the same answer, because each is an adapter of ``Assistant``."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import httpx
import pytest

from assistant.question.followup import Exchange
from conftest import free_port

pytestmark = pytest.mark.slow

FIRST = "Sở Ngoại vụ Hải Phòng được thành lập khi nào?"
FOLLOW_UP = "Còn Hà Nội thì sao?"
UNDERSTOOD = "Sở Ngoại vụ Hà Nội được thành lập khi nào?"



def _where(settings) -> list[str]:
    return ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]


def _cli(settings, tmp_path) -> tuple[dict, dict]:
    questions = tmp_path / "hoi-thoai.txt"
    questions.write_text(f"{FIRST}\n{FOLLOW_UP}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "assistant.app.cli", "ask", "--questions", str(questions),
                           "--conversation", *_where(settings)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300, check=True)
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    return first, second


def _mcp(settings, tmp_path, history: list[dict]) -> dict:
    mcp = pytest.importorskip("mcp")
    params = mcp.StdioServerParameters(command=sys.executable, cwd=str(tmp_path),
                                       args=["-m", "assistant.app.cli", "mcp", *_where(settings)])

    async def session():
        async with mcp.stdio_client(params) as streams, mcp.ClientSession(*streams) as s:
            await s.initialize()
            return await s.call_tool("ask", {"question": FOLLOW_UP, "history": history})

    result = asyncio.run(asyncio.wait_for(session(), timeout=300))
    assert not result.is_error, result.content
    return result.structured_content


def test_a_follow_up_is_read_and_answered_alike_by_every_front_end(seed_settings, seed_assistant, tmp_path):
    from assistant.app import server
    from assistant.app.chat import ChatEngine

    first = seed_assistant.ask(FIRST)
    reference = seed_assistant.ask(FOLLOW_UP, history=[Exchange(first.question, first.text)])
    assert reference.question == UNDERSTOOD and reference.asked == FOLLOW_UP
    assert "17/12/1996" in reference.text and not reference.refused
    quotes = [c.quote for c in reference.citations]

    cli_first, cli = _cli(seed_settings, tmp_path)
    assert cli_first["answer"] == first.text
    assert (cli["question"], cli["asked"], cli["answer"]) == (UNDERSTOOD, FOLLOW_UP, reference.text)
    assert [c["quote"] for c in cli["citations"]] == quotes

    engine = ChatEngine(seed_settings, seed_assistant)
    *_, (turn1, _) = engine.stream(FIRST, [])
    *_, (turn2, _) = engine.stream(FOLLOW_UP, [turn1])
    assert (turn2.question, turn2.asked, turn2.rewritten) == (UNDERSTOOD, FOLLOW_UP, True)
    assert reference.text in turn2.text and [c.quote for c in turn2.citations] == quotes

    settings = seed_settings.with_overrides(data_dir=tmp_path / "server-data")
    running = server.start(settings, seed_assistant, host="127.0.0.1", port=free_port())
    try:
        api = httpx.post(running.url + "api/v1/ask", timeout=120, json={
            "question": FOLLOW_UP, "history": [{"question": FIRST, "answer": first.text}]}).json()
        assert (api["question"], api["asked"], api["answer"]) == (UNDERSTOOD, FOLLOW_UP, reference.text)
        assert [c["quote"] for c in api["citations"]] == quotes

        said = httpx.post(running.url + "v1/chat/completions", timeout=120, json={
            "model": "assistant", "messages": [{"role": "user", "content": FIRST}]}).json()
        assert said["choices"][0]["message"]["content"].startswith(first.text)
        chat = httpx.post(running.url + "v1/chat/completions", timeout=120, json={"model": "assistant", "messages": [
            {"role": "user", "content": FIRST},
            {"role": "assistant", "content": said["choices"][0]["message"]["content"]},  # with its "Nguồn:" list
            {"role": "user", "content": FOLLOW_UP}]}).json()
        content = chat["choices"][0]["message"]["content"]
        assert chat["question"] == UNDERSTOOD and content.split(server.SOURCES)[0] == reference.text
        assert [c["quote"] for c in chat["citations"]] == quotes
        empty = httpx.post(running.url + "v1/chat/completions", timeout=120,
                           json={"messages": [{"role": "user", "content": "  "}]})
        assert empty.status_code == 400 and "empty" in empty.json()["error"]["message"]
    finally:
        running.stop()

    mcp = _mcp(seed_settings, tmp_path, [{"question": FIRST, "answer": first.text}])
    assert (mcp["question"], mcp["asked"], mcp["answer"]) == (UNDERSTOOD, FOLLOW_UP, reference.text)
    assert [c["quote"] for c in mcp["citations"]] == quotes
