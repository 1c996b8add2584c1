"""Query -> ScoredChunks: dense (the index's Store) + BM25 over segmented Vietnamese, fused by RRF.

The Query comes understood (``question.understand``): its diacritics restored for the dense
search, Vietnamese keywords for an English question, and its embedding (``Query.vector``,
made once by the pipeline). A question typed without diacritics is searched twice over
lexically: BM25 also runs on a diacritic-free copy of the corpus. Near-duplicate chunks are
returned once. Deliberately not here: reading the question (``question/``) and answering.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from ..documents import NO_FILTERS, Filters, ScoredChunk, years_named
from ..vietnamese import index_terms, word_shingles

if TYPE_CHECKING:  # types only: a stage is handed these by pipeline.py, never imports them
    from ..ingest.embedding import VectorEmbeddings
    from ..question.query import Query
    from ..store.disk import LoadedIndex


# --- fusion and dedup ------------------------------------------------------------------------
def rrf(rankings: list[list[int]], k: int = 60, weights: list[float] | None = None) -> dict[int, float]:
    fused: dict[int, float] = defaultdict(float)
    for r, ranking in enumerate(rankings):
        w = weights[r] if weights else 1.0
        for rank, idx in enumerate(ranking, start=1):
            fused[idx] += w / (k + rank)
    return fused


def near_duplicate(a: set, b: set, threshold: float = 0.8) -> bool:
    if not a or not b:
        return False
    return len(a & b) / len(a | b) >= threshold


class Retriever:
    """Hybrid retrieval over a loaded index. ``mode`` is "hybrid", "dense" or "bm25"."""

    def __init__(self, index: LoadedIndex, embedder: VectorEmbeddings, *, candidates: int = 30, rrf_k: int = 60,
                 mode: str = "hybrid") -> None:
        self.index = index
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.mode = mode
        self.bm25 = index.bm25  # built with the index (store/lexical.py)
        self.bm25_folded = index.bm25_folded
        self._shingle_cache: dict[int, set] = {}
        self._masks: dict[Filters, np.ndarray] = {}
        self._plain: dict[str, str] = {}  # each article's folded text, once a locality filter asks
        self._years: dict[str, frozenset[int]] = {}  # the years each article names, once a period asks

    # subtle: built on first use, not at start: at 10,000 articles they cost seconds of every
    # cold start, and most questions need few chunks' shingles
    def _shingles_of(self, idx: int) -> set:
        got = self._shingle_cache.get(idx)
        if got is None:
            got = self._shingle_cache[idx] = word_shingles(self.index.chunks[idx].text, 3)
        return got

    def allowed(self, filters: Filters) -> np.ndarray | None:
        """The mask of the chunks whose article ``filters`` admits; None for no filter."""
        if not filters:
            return None
        got = self._masks.get(filters)
        if got is None:
            docs = self.index.documents
            if filters.localities and not self._plain:
                self._plain = {d: Filters.plain(doc) for d, doc in docs.items()}
            if filters.period is not None and not self._years:
                self._years = {d: years_named(doc.title + "\n" + doc.text) for d, doc in docs.items()}
            admitted = {d for d in docs if filters.admits(docs[d], self._plain.get(d), self._years.get(d))}
            got = np.fromiter((c.doc_id in admitted for c in self.index.chunks), dtype=bool, count=len(self.index.chunks))
            if len(self._masks) > 64:
                self._masks.clear()
            self._masks[filters] = got
        return got

    def dense(self, query: Query, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        vec = self.embedder.query(query.dense_text) if query.vector is None else query.vector
        if allowed is None:
            return self.index.store.search(vec, k)
        return self.index.store.search_within(vec, k, allowed)

    def lexical(self, query: Query, k: int, allowed: np.ndarray | None = None) -> list[list[tuple[int, float]]]:
        lists = [self.bm25.search(index_terms(query.lexical), k, allowed)]
        if not query.accented:
            lists.append(self.bm25_folded.search(index_terms(query.text, folded=True), k, allowed))
        return lists

    def search(self, query: Query, k: int = 5, filters: Filters = NO_FILTERS) -> list[ScoredChunk]:
        n = max(self.candidates, k * 3)
        allowed = self.allowed(filters)
        if allowed is not None and not allowed.any():
            return []
        dense = self.dense(query, n, allowed) if self.mode in ("hybrid", "dense") else []
        lexical = self.lexical(query, n, allowed) if self.mode in ("hybrid", "bm25") else []
        rankings = [[i for i, _ in dense]] + [[i for i, _ in lst] for lst in lexical]
        fused = rrf([r for r in rankings if r], self.rrf_k)
        dense_rank = {i: r for r, (i, _) in enumerate(dense, start=1)}
        bm25_rank: dict[int, int] = {}
        for lst in lexical:
            for r, (i, _) in enumerate(lst, start=1):
                bm25_rank[i] = min(r, bm25_rank.get(i, r))
        results: list[ScoredChunk] = []
        kept: list[int] = []
        for idx, score in sorted(fused.items(), key=lambda x: -x[1]):
            if any(near_duplicate(self._shingles_of(idx), self._shingles_of(j)) for j in kept):
                continue
            kept.append(idx)
            results.append(ScoredChunk(self.index.chunks[idx], score, dense_rank.get(idx), bm25_rank.get(idx)))
            if len(results) == k:
                break
        return results
