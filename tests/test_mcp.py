"""`assistant mcp` as a real stdio subprocess, driven by the `mcp` package's own client."""

from __future__ import annotations

import asyncio
import sys

import pytest

pytestmark = pytest.mark.slow
mcp = pytest.importorskip("mcp")

HA_NOI = "Sở Ngoại vụ Hà Nội được thành lập khi nào?"


def test_an_mcp_client_lists_the_tools_and_gets_a_cited_answer(seed_settings, tmp_path):
    params = mcp.StdioServerParameters(
        command=sys.executable, cwd=str(tmp_path),
        args=["-m", "assistant.app.cli", "mcp", "--corpus", str(seed_settings.corpus_dir),
              "--index", str(seed_settings.index_dir)])

    async def session():
        async with mcp.stdio_client(params) as streams, mcp.ClientSession(*streams) as s:
            await s.initialize()
            tools = {t.name: t for t in (await s.list_tools()).tools}
            answer = await s.call_tool("ask", {"question": HA_NOI})
            found = await s.call_tool("search", {"question": "Hải Phòng Niigata", "k": 2})
            empty = await s.call_tool("ask", {"question": "  "})
            events = await s.call_tool("timeline", {"subject": "Hai Phong", "partner": "Niigata"})
            return tools, answer, found, empty, events

    tools, answer, found, empty, events = asyncio.run(asyncio.wait_for(session(), timeout=300))
    assert set(tools) == {"search", "ask", "timeline"} and "question" in tools["ask"].input_schema["properties"]
    assert not events.is_error and events.structured_content["events"]
    assert all("Niigata" in e["quote"] for e in events.structured_content["events"])
    assert not answer.is_error
    body = answer.structured_content
    assert "1996" in body["answer"] and "[1]" in body["answer"] and not body["refused"]
    first = body["citations"][0]
    assert first["n"] == 1 and first["quote"] in first["passage"] and first["title"] and first["date"]
    assert "17/12/1996" in answer.content[0].text  # clients that read text get the same JSON
    assert not found.is_error and len(found.structured_content["results"]) == 2
    assert empty.is_error and empty.content[0].text  # a refused question is the tool's error, in words
