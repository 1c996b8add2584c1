"""What a refusal shows: the sentences that came closest, so the reader can judge the refusal.

"Không có thông tin" alone leaves an analyst wondering whether the answer was in a passage
they saw a moment ago. ``nearest`` gives, for each of the first passages retrieved (one per
article), the sentence closest to the question by the e5 cosine the answerer reads too. They
are shown collapsed under the refusal ("Gần nhất: …") and are not claims: nothing cites them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from ..documents import Citation, ScoredChunk
from ..vietnamese import fold
from .instructions import addresses_reader

if TYPE_CHECKING:
    from ..question.query import Query
    from ..store.disk import LoadedIndex

NEAREST = 3  # passages shown under a refusal


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text).lower())


def nearest(index: LoadedIndex, query: Query, hits: list[ScoredChunk], limit: int = NEAREST) -> tuple[Citation, ...]:
    """The closest sentence of each of the first ``limit`` articles among ``hits``, in their order."""
    if query.vector is None:
        return ()
    out: list[Citation] = []
    seen: set[str] = set()
    for hit in hits:
        chunk = hit.chunk
        doc = index.documents.get(chunk.doc_id)
        if doc is None or chunk.doc_id in seen:
            continue
        rows = [i for i in index.sentences.of_doc(chunk.doc_id)
                if index.sentences[i].start >= chunk.start and index.sentences[i].end <= chunk.end]
        title = _words(doc.title)
        rows = [i for i in rows if not addresses_reader(text := doc.text[index.sentences[i].start:index.sentences[i].end])
                and _words(text) != title]  # the title repeated as the first line says nothing
        if not rows:
            continue
        best = rows[int(np.argmax(index.sentence_vectors[rows] @ query.vector))]
        s = index.sentences[best]
        seen.add(chunk.doc_id)
        out.append(Citation(n=len(out) + 1, doc_id=doc.doc_id, title=doc.title, date=doc.date_label,
                            quote=doc.text[s.start:s.end], passage=chunk.text, chunk_id=chunk.chunk_id,
                            start=s.start, end=s.end, outlet=doc.outlet, url=doc.url, page=doc.page_at(s.start),
                            also=doc.outlets()))
        if len(out) >= limit:
            break
    return tuple(out)
