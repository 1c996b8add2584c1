"""Documents -> Chunks: sentence-aware packing with overlap, stable content-hash ids.

A chunk is a run of whole sentences of one document, at most ``size`` characters unless a
single sentence is longer; consecutive chunks share up to ``overlap`` characters of whole
sentences. Offsets point into ``Document.text``. Not here: embedding or any scoring.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ..config import ChunkerSettings
from ..documents import Chunk, Document
from ..vietnamese import sentence_spans


def chunk_id(doc_id: str, text: str, occurrence: int = 0) -> str:
    # subtle: text is already NFC with normalised tones, so equal-looking chunks hash equal.
    h = hashlib.sha256(f"{doc_id}\x00{occurrence}\x00{text}".encode()).hexdigest()
    return h[:20]


def _windows(spans: list[tuple[int, int]], size: int, overlap: int) -> list[tuple[int, int]]:
    """Group sentence spans into (first, last) index windows."""
    windows: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        j = i
        while j + 1 < len(spans) and spans[j + 1][1] - spans[i][0] <= size:
            j += 1
        windows.append((i, j))
        if j == len(spans) - 1:
            break
        # step back over whole sentences that fit in the overlap, but always move forward
        k = j + 1
        while k - 1 > i and spans[j][1] - spans[k - 1][0] <= overlap:
            k -= 1
        i = k
    return windows


def chunk_document(doc: Document, settings: ChunkerSettings,
                   spans: list[tuple[int, int]] | None = None) -> list[Chunk]:
    """``doc``'s chunks; ``spans``: its ``sentence_spans``, when the caller has them."""
    spans = sentence_spans(doc.text) if spans is None else spans
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for first, last in _windows(spans, settings.size, settings.overlap):
        start, end = spans[first][0], spans[last][1]
        text = doc.text[start:end]
        occurrence = seen.get(text, 0)
        seen[text] = occurrence + 1
        chunks.append(
            Chunk(
                chunk_id=chunk_id(doc.doc_id, text, occurrence),
                doc_id=doc.doc_id,
                title=doc.title,
                date_label=doc.date_label,
                start=start,
                end=end,
                text=text,
            )
        )
    return chunks


def chunk_documents(docs: Iterable[Document], settings: ChunkerSettings) -> list[Chunk]:
    return [c for d in docs for c in chunk_document(d, settings)]
