"""``assistant mcp``: the archive as MCP tools over stdio, for an AI assistant on this machine.

Two tools, each returning the same JSON as the CLI's ``--json`` (as structured content, and
as text for clients that read only text):

- ``search(question, k)``: the passages that best match, best first;
- ``ask(question, k, history)``: a Vietnamese answer whose [n] markers point at ``citations``, each
  with the article, its date and the exact quoted sentence; "refused" when the articles do
  not hold the answer.

``k`` is checked against the one range every front end accepts (``config.K_RANGE``). The
index opens once, on the first call (a missing index is that call's error, in one line).
stdout belongs to the protocol: nothing else is printed there (progress bars and logs go to
stderr).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from ..config import Settings
from ..documents import Filters
from ..errors import AssistantError, BackendError, QuestionError
from ..pipeline import Assistant
from ..question.followup import Exchange
from .payloads import search_payload

INSTRUCTIONS = (
    "Searches and answers over news articles about the foreign-affairs work of Vietnamese provinces "
    "and cities. Ask in Vietnamese. Quote the `citations` (title, date, quoted sentence) when you use "
    "an answer; when `refused` is true the articles do not say, so do not guess."
)


class Previous(BaseModel):
    """An earlier exchange of the conversation, for follow-up questions."""

    question: str
    answer: str = ""


def build(settings: Settings, assistant: Assistant | None = None):
    """The MCP server (not yet running) over ``assistant``, opened from ``settings`` on first use."""
    try:
        from mcp.server.mcpserver import MCPServer
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise BackendError("assistant mcp needs the mcp package", hint='pip install -e ".[mcp]"') from exc
    from .. import __version__

    server = MCPServer("assistant", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")
    opening = threading.Lock()
    opened: list[Assistant] = [assistant] if assistant is not None else []

    def pipeline() -> Assistant:
        with opening:
            if not opened:
                opened.append(Assistant.open(settings))
            return opened[0]

    @server.tool(title="Tìm đoạn văn")
    def search(question: str, k: int | None = None, since: str | None = None, until: str | None = None,
               localities: list[str] | None = None, outlets: list[str] | None = None) -> dict[str, Any]:
        """Find the article passages that best match `question` (Vietnamese; diacritics optional).

        Optional filters: only articles published from `since` to `until` (YYYY, YYYY-MM,
        YYYY-MM-DD or dd/mm/yyyy), about one of `localities`, from one of `outlets` (e.g. vov.vn).
        Returns {question, results: [{doc_id, title, date, text, score, ...}], timings_ms}.
        """
        def run() -> dict[str, Any]:
            filters = _filters(since, until, localities, outlets)
            payload = search_payload(question, *pipeline().search(question, k, filters))
            return {**payload, **({"filters": filters.to_dict()} if filters else {})}

        return _tool(run)

    @server.tool(title="Hỏi đáp có trích dẫn")
    def ask(question: str, k: int | None = None, history: list[Previous] | None = None, since: str | None = None,
            until: str | None = None, localities: list[str] | None = None,
            outlets: list[str] | None = None) -> dict[str, Any]:
        """Answer `question` in Vietnamese from the articles, citing the exact sentences.

        For a follow-up ("Còn Hà Nội thì sao?"), pass the earlier questions and answers of the
        conversation as `history`, oldest first. Returns {answer (with [n] markers), refused,
        citations: [{n, doc_id, title, date, quote, outlet, url, ...}], short_answer, ...};
        "asked" when the question was read as a follow-up. refused=true means the articles do
        not hold the answer. The filters are those of `search`; the answer's notices say so.
        """
        earlier = [Exchange(p.question, p.answer) for p in history or ()]
        return _tool(lambda: pipeline().ask(question, k, earlier,
                                            _filters(since, until, localities, outlets)).to_dict())

    @server.tool(title="Dòng thời gian")
    def timeline(subject: str, partner: str | None = None, since: str | None = None,
                 until: str | None = None) -> dict[str, Any]:
        """The dated events the articles state about `subject`, a Vietnamese locality (diacritics
        optional), oldest first: agreements signed, visits and delegations, relationships
        established, figures. `partner` keeps the events naming it; `since`/`until` bound their
        dates (YYYY, YYYY-MM, YYYY-MM-DD or dd/mm/yyyy). Each event is the article's exact
        sentence: {kind, label, date, stated, quote, doc_id, title, outlet, start, end, also, ...}.
        """
        from ..briefing.timeline import timeline as make
        from ..briefing.timeline import timeline_payload

        def run() -> dict[str, Any]:
            if not subject.strip():
                raise QuestionError("name a locality in subject")
            try:
                made = make(pipeline().index, subject, partner or None, since or None, until or None)
            except ValueError as exc:
                raise QuestionError(f"since/until: {exc}") from None
            return timeline_payload(made)

        return _tool(run)

    return server


def _filters(since: str | None, until: str | None, localities: list[str] | None, outlets: list[str] | None) -> Filters:
    try:
        return Filters.of(since, until, localities or (), outlets or ())
    except ValueError as exc:
        raise QuestionError(str(exc)) from None


def _tool(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The tool's result; an expected failure is the call's error, in one line (a ToolError's
    text reaches the client; any other exception would be only "Error executing tool")."""
    from mcp.server.mcpserver.exceptions import ToolError

    try:
        return fn()
    except AssistantError as exc:
        raise ToolError(exc.described()) from exc


def serve(settings: Settings) -> None:
    import anyio

    anyio.run(_serve_stdio, build(settings))


async def _serve_stdio(server) -> None:
    """``server`` over stdio, where a line that is not JSON-RPC gets JSON-RPC's -32700 "Parse
    error" answer (the stdio transport alone drops it, and a client waits for nothing)."""
    import anyio
    from mcp.server.stdio import stdio_server
    from mcp.shared.message import SessionMessage
    from mcp_types import PARSE_ERROR, ErrorData, JSONRPCError

    async with stdio_server() as (read, write):
        forward, messages = anyio.create_memory_object_stream[Any](0)

        async def sift() -> None:
            async with forward:
                async for item in read:
                    if isinstance(item, Exception):
                        error = ErrorData(code=PARSE_ERROR, message="Parse error: not a JSON-RPC message")
                        await write.send(SessionMessage(JSONRPCError(jsonrpc="2.0", id=None, error=error)))
                    else:
                        await forward.send(item)

        lowlevel = server._lowlevel_server  # subtle: MCPServer.run_stdio_async, with sift between
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(sift)
            await lowlevel.run(messages, write, lowlevel.create_initialization_options())
            tasks.cancel_scope.cancel()
