"""The Store seam: where the chunk vectors of one build live and how they are searched.

A Store holds the chunks of a build (row ``i`` is ``chunks[i]``) and their vectors, saves
them with the build and searches them by vector. Two are built in: ``faiss`` (files in the
build folder, one machine) and ``milvus`` (a Milvus Lite file or a Milvus server/cluster).
Our retriever calls ``search`` (rows and inner-product scores); everybody else, users' own
LangChain code included, reaches a Store through the LangChain ``VectorStore`` interface,
whose Documents carry the citation fields (``citation_metadata``).

Deliberately not here: BM25 and fusion (``retrieve``), reading articles (``ingest``).
"""

from __future__ import annotations

import hashlib
from abc import abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from langchain_core.documents import Document as LCDocument
from langchain_core.vectorstores import VectorStore

from ..documents import Chunk, Document


def citation_metadata(chunk: Chunk, doc: Document | None) -> dict[str, Any]:
    """What a reader needs to check a passage: article, date, outlet, offsets."""
    return {
        "doc_id": chunk.doc_id, "chunk_id": chunk.chunk_id, "title": chunk.title, "date": chunk.date_label,
        "date_iso": doc.date if doc else None, "outlet": doc.outlet if doc else "", "url": doc.url if doc else "",
        "start": chunk.start, "end": chunk.end,
    }


class Store(VectorStore):
    """Vectors of one build's chunks, searchable by inner product (vectors are normalised)."""

    name: ClassVar[str]

    def __init__(self, embedding: Any, dim: int, chunks: Sequence[Chunk] = (),
                 documents: Mapping[str, Document] | None = None) -> None:
        self._embedding = embedding
        self.dim = dim
        self.chunks: list[Chunk] = list(chunks)
        self.documents: dict[str, Document] = dict(documents or {})
        self._row = {c.chunk_id: i for i, c in enumerate(self.chunks)}

    # --- what the retriever and the build use ---------------------------------------------
    # subtle: this replaces LangChain's VectorStore.search(query, search_type), on purpose: our
    # retriever searches by vector; LangChain callers reach the store through similarity_search.
    @abstractmethod
    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:  # type: ignore[override]
        """The ``k`` nearest chunks as (row of ``chunks``, inner product), best first."""

    def search_within(self, vector: np.ndarray, k: int, allowed: np.ndarray) -> list[tuple[int, float]]:
        """``search`` among the rows ``allowed`` (a mask over ``chunks``; the filters). Here: ask
        for enough to leave ``k`` at the admitted share, twice over; a store that can filter
        (FAISS over its vectors) does better."""
        share = max(float(allowed.mean()), 1e-9)
        want = min(len(allowed), int(k / share * 2) + k)
        return [(i, s) for i, s in self.search(vector, want) if allowed[i]][:k]

    @abstractmethod
    def count(self) -> int:
        """Vectors the store holds for this build."""

    @abstractmethod
    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Append chunks with their vectors (row-aligned)."""

    @abstractmethod
    def remove(self, chunk_ids: Iterable[str]) -> int:
        """Drop chunks by id; returns how many were dropped."""

    @abstractmethod
    def vectors_of(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by chunk id (what an update reuses instead of embedding again)."""

    def save(self, folder: Path) -> dict[str, Any]:
        """Write what the build folder must hold; returns the manifest's ``store`` entry."""
        return {"name": self.name}

    def check(self) -> list[str]:
        """Problems that make this store disagree with its chunks (empty when sound)."""
        return [] if self.count() == len(self.chunks) else ["chunk vectors do not match the chunks"]

    def commit(self) -> None:
        """Called once the build that saved this store is live."""

    def close(self) -> None:
        """Release connections and files."""

    # --- the LangChain VectorStore interface ----------------------------------------------
    def bind(self, embedding: Any) -> Store:
        """Give a loaded store the embedder its text queries need."""
        self._embedding = embedding
        return self

    @property
    def embeddings(self) -> Any:
        return self._embedding

    def _reindex(self) -> None:
        self._row = {c.chunk_id: i for i, c in enumerate(self.chunks)}

    def document(self, row: int) -> LCDocument:
        c = self.chunks[row]
        return LCDocument(page_content=c.text, id=c.chunk_id,
                          metadata=citation_metadata(c, self.documents.get(c.doc_id)))

    def similarity_search_with_score_by_vector(self, embedding: Sequence[float], k: int = 4,
                                               **kwargs: Any) -> list[tuple[LCDocument, float]]:
        vec = np.asarray(embedding, dtype=np.float32)
        return [(self.document(i), s) for i, s in self.search(vec, k)]

    def similarity_search_by_vector(self, embedding: list[float], k: int = 4, **kwargs: Any) -> list[LCDocument]:
        return [d for d, _ in self.similarity_search_with_score_by_vector(embedding, k)]

    def similarity_search_with_score(self, query: str, k: int = 4, **kwargs: Any) -> list[tuple[LCDocument, float]]:
        return self.similarity_search_with_score_by_vector(self._embedding.embed_query(query), k)

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[LCDocument]:
        return [d for d, _ in self.similarity_search_with_score(query, k)]

    def _select_relevance_score_fn(self):
        return lambda score: (score + 1.0) / 2.0  # cosine in [-1, 1] -> [0, 1]

    def add_texts(self, texts: Iterable[str], metadatas: list[dict] | None = None, *,
                  ids: list[str] | None = None, **kwargs: Any) -> list[str]:
        """Add free texts (a user's LangChain code); metadata may name doc_id, title, date."""
        texts = list(texts)
        chunks = []
        for i, text in enumerate(texts):
            meta = (metadatas[i] if metadatas else None) or {}
            cid = ids[i] if ids else hashlib.sha256(f"{len(self.chunks) + i}\x00{text}".encode()).hexdigest()[:20]
            chunks.append(Chunk(cid, str(meta.get("doc_id", cid)), str(meta.get("title", "")),
                                str(meta.get("date", "không ghi ngày")), 0, len(text), text))
        self.add(chunks, np.asarray(self._embedding.embed_documents(texts), dtype=np.float32).reshape(-1, self.dim))
        return [c.chunk_id for c in chunks]

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool:
        return bool(self.remove(ids or []))

    def get_by_ids(self, ids: Sequence[str], /) -> list[LCDocument]:
        return [self.document(self._row[i]) for i in ids if i in self._row]

    @classmethod
    def from_texts(cls, texts: list[str], embedding: Any, metadatas: list[dict] | None = None, **kwargs: Any):
        store = cls(embedding, int(kwargs.pop("dim", 0) or len(embedding.embed_query("dim"))), **kwargs)
        store.add_texts(texts, metadatas)
        return store
