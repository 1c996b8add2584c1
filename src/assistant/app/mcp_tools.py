"""``assistant mcp``: the archive as MCP tools over stdio, for an AI assistant on this machine.

Two tools, each returning the same JSON as the CLI's ``--json`` (as structured content, and
as text for clients that read only text):

- ``search(question, k)``: the passages that best match, best first;
- ``ask(question, k)``: a Vietnamese answer whose [n] markers point at ``citations``, each
  with the article, its date and the exact quoted sentence; "refused" when the articles do
  not hold the answer.

The index opens once, on the first call (a missing index is that call's error, in one line).
stdout belongs to the protocol: nothing else is printed there (progress bars and logs go to
stderr).
"""

from __future__ import annotations

import threading
from typing import Any

from ..config import Settings
from ..errors import AssistantError, BackendError
from .payloads import search_payload

INSTRUCTIONS = (
    "Searches and answers over news articles about the foreign-affairs work of Vietnamese provinces "
    "and cities. Ask in Vietnamese. Quote the `citations` (title, date, quoted sentence) when you use "
    "an answer; when `refused` is true the articles do not say, so do not guess."
)


def build(settings: Settings, assistant=None):
    """The MCP server (not yet running) over ``assistant``, opened from ``settings`` on first use."""
    try:
        from mcp.server.mcpserver import MCPServer
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise BackendError("assistant mcp needs the mcp package", hint='pip install -e ".[mcp]"') from exc
    from .. import __version__

    server = MCPServer("assistant", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")
    lock = threading.RLock()  # the pipeline is opened under it, too
    opened: list[Any] = [assistant] if assistant is not None else []

    def pipeline():
        with lock:
            if not opened:
                from ..pipeline import Assistant

                opened.append(Assistant.open(settings))
            return opened[0]

    def _run(fn):
        try:
            return fn()
        except AssistantError as exc:
            raise ValueError(f"{exc} ({exc.hint})" if exc.hint else str(exc)) from exc

    @server.tool(title="Tìm đoạn văn")
    def search(question: str, k: int = 5) -> dict[str, Any]:
        """Find the article passages that best match `question` (Vietnamese; diacritics optional).

        Returns {question, results: [{doc_id, title, date, text, score, ...}], timings_ms}.
        """
        def run():
            hits, timings = pipeline().search(question, max(1, min(int(k), 50)))
            return search_payload(question, hits, timings)

        with lock:
            return _run(run)

    @server.tool(title="Hỏi đáp có trích dẫn")
    def ask(question: str, k: int | None = None) -> dict[str, Any]:
        """Answer `question` in Vietnamese from the articles, citing the exact sentences.

        Returns {answer (with [n] markers), refused, citations: [{n, doc_id, title, date, quote,
        outlet, url, ...}], short_answer, ...}. refused=true means the articles do not hold the answer.
        """
        def run():
            return pipeline().ask(question, max(1, min(int(k), 50)) if k else None).to_dict()

        with lock:
            return _run(run)

    return server


def serve(settings: Settings) -> None:
    build(settings).run("stdio")
