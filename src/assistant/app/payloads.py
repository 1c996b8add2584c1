"""The JSON shapes the CLI (``--json``) and the HTTP API share, so the two never drift apart."""

from __future__ import annotations

from typing import Any


def search_payload(question: str, hits: list, timings: dict[str, float]) -> dict[str, Any]:
    """``search --json``: the question, its passages best first, and the time each step took."""
    results = [
        {"doc_id": h.chunk.doc_id, "chunk_id": h.chunk.chunk_id, "score": round(h.score, 6),
         "title": h.chunk.title, "date": h.chunk.date_label, "start": h.chunk.start, "end": h.chunk.end,
         "text": h.chunk.text}
        for h in hits
    ]
    return {"question": question, "results": results, "timings_ms": {k: round(v, 1) for k, v in timings.items()}}
