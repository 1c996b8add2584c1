"""The systems an evaluation compares: our pipeline and three baselines, all as Assistants.

* ``ours``: the pipeline as configured (hybrid retrieval by default);
* ``dense`` / ``bm25``: the same index and answerer, one retrieval list only;
* ``langchain``: what a plain LangChain RAG would do: RecursiveCharacterTextSplitter
  chunks of 1000 characters over the same cleaned texts, embedded (chunk text only) with
  the same embedder into a LangChain ``VectorStore``, searched by its stock similarity
  retriever, answered by the same extractive answerer.

The narrow seam for that last one is the ``Retriever`` the pipeline calls: ``search(query, k)``,
while the question is still understood with the index's BM25 statistics (the answerer weighs
question terms with them), and the answerer needs an index holding documents and sentence
vectors. Sentences belong to documents, not chunks, so
the baseline reuses our index's sentence vectors and only swaps chunks and search. A
sentence cut in two by a fixed-size chunk boundary is not a candidate answer: that is the
real cost of fixed-size chunks, and the comparison keeps it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

import numpy as np

from ..config import Settings
from ..documents import NO_FILTERS, Chunk, Filters, ScoredChunk
from ..ingest.embedding import Progress, VectorEmbeddings
from ..pipeline import Assistant
from ..question.query import Query
from ..retrieve.hybrid import Retriever
from ..store.disk import LoadedIndex
from ..store.lexical import LexicalIndex
from ..vietnamese import index_terms

BASELINES = ("dense", "bm25", "langchain")
LABELS = {
    "ours": "ours",
    "dense": "dense only",
    "bm25": "BM25 only",
    "langchain": "LangChain FAISS, 1000-char chunks",
}


@dataclass
class System:
    name: str
    label: str
    assistant: Assistant


class CachingEmbeddings(VectorEmbeddings):
    """Passage vectors remembered by text (and optionally on disk); queries pass through.

    Benchmarks re-embed the same fixed-size chunks on every run; this keeps a rerun cheap.
    """

    def __init__(self, inner: VectorEmbeddings, cache_dir: Path | None = None) -> None:
        self.inner = inner
        self.model_id, self.dim = inner.model_id, inner.dim
        self._vectors: dict[str, np.ndarray] = {}
        self._file: Path | None = None
        if cache_dir is not None:
            tag = hashlib.sha256(inner.model_id.encode()).hexdigest()[:12]
            self._file = Path(cache_dir) / f"passages-{tag}"
            self._load()

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def _load(self) -> None:
        if self._file is None:
            return
        keys, vecs = self._file.with_suffix(".json"), self._file.with_suffix(".npy")
        if keys.is_file() and vecs.is_file():
            try:
                names = json.loads(keys.read_text(encoding="utf-8"))
                arr = np.load(vecs, allow_pickle=False)
            except (OSError, ValueError):
                return  # a damaged cache is only a slower run
            if len(names) == len(arr) and arr.ndim == 2 and arr.shape[1] == self.dim:
                self._vectors = dict(zip(names, arr))

    def _save(self) -> None:
        if self._file is None:
            return
        self._file.parent.mkdir(parents=True, exist_ok=True)
        names = list(self._vectors)
        tmp = self._file.with_name(f".{self._file.name}.{os.getpid()}")
        with tmp.with_suffix(".npy").open("wb") as fh:
            np.save(fh, np.stack([self._vectors[n] for n in names]), allow_pickle=False)
        tmp.with_suffix(".json").write_text(json.dumps(names), encoding="utf-8")
        # a reader sees old or new files; a mismatched pair (two runs racing) fails the length check
        os.replace(tmp.with_suffix(".npy"), self._file.with_suffix(".npy"))
        os.replace(tmp.with_suffix(".json"), self._file.with_suffix(".json"))

    def passages(self, texts: Sequence[str], progress: Progress | None = None, batch: int = 16) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        todo = sorted({i for i, k in enumerate(keys) if k not in self._vectors})
        if todo:
            fresh = self.inner.passages([texts[i] for i in todo], progress, batch)
            self._vectors.update({keys[i]: v for i, v in zip(todo, fresh)})
            self._save()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = self._vectors[k]
        return out

    def query(self, text: str) -> np.ndarray:
        return self.inner.query(text)


class LangChainRetriever(Retriever):
    """A stock LangChain ``VectorStoreRetriever`` (similarity search) over the index's Store."""

    def __init__(self, index: LoadedIndex, embedder: VectorEmbeddings) -> None:
        # subtle: the index carries BM25 over the baseline's chunks; search never uses it,
        # but the answerer reads its IDF weights to judge sentences, as for every system.
        super().__init__(index, embedder, mode="dense")
        self.store = index.store
        self._rows = {c.chunk_id: i for i, c in enumerate(index.chunks)}

    def search(self, query: Query, k: int = 5, filters: Filters = NO_FILTERS) -> list[ScoredChunk]:
        # plain LangChain: the question as typed (no diacritic restoration), no dedup, no filters
        if filters:
            raise NotImplementedError("the LangChain baseline takes no filters")
        docs = self.store.as_retriever(search_type="similarity", search_kwargs={"k": k}).invoke(query.text)
        return [
            ScoredChunk(self.index.chunks[self._rows[cast(str, d.id)]], 1.0 / rank, dense_rank=rank)
            for rank, d in enumerate(docs, start=1)
        ]


def fixed_size_chunks(index: LoadedIndex, size: int = 1000, overlap: int = 100) -> list[Chunk]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap, add_start_index=True)
    chunks = []
    for doc in index.documents.values():
        for i, piece in enumerate(splitter.create_documents([doc.text])):
            start = piece.metadata["start_index"]
            text = piece.page_content
            assert doc.text[start : start + len(text)] == text  # offsets are what citations slice
            cid = hashlib.sha256(f"{doc.doc_id}\x00{i}\x00{text}".encode()).hexdigest()[:20]
            chunks.append(Chunk(cid, doc.doc_id, doc.title, doc.date_label, start, start + len(text), text))
    return chunks


def langchain_baseline(
    settings: Settings, index: LoadedIndex, embedder: VectorEmbeddings, size: int = 1000, overlap: int = 100
) -> Assistant:
    """The plain-LangChain system over the documents (and sentence vectors) of ``index``."""
    from ..store.faiss import FaissStore

    chunks = fixed_size_chunks(index, size, overlap)
    cached = embedder if isinstance(embedder, CachingEmbeddings) else CachingEmbeddings(embedder)
    store = FaissStore(cached, cached.dim, documents=index.documents, kind="flat")
    store.add(chunks, cached.passages([c.text for c in chunks]))  # chunk text only, as LangChain embeds it
    lc_index = replace(
        index,
        manifest={**index.manifest, "chunker": {"name": "langchain-recursive", "size": size, "overlap": overlap}},
        chunks=chunks,
        store=store,
        bm25=LexicalIndex.build([index_terms(f"{c.title}\n{c.text}") for c in chunks]),
        bm25_folded=LexicalIndex.build([index_terms(f"{c.title}\n{c.text}", folded=True) for c in chunks]),
    )
    return Assistant.over(lc_index, settings, cached, retriever=LangChainRetriever(lc_index, cached),
                          backend="extractive")


def open_systems(
    settings: Settings,
    embedder: VectorEmbeddings,
    *,
    mode: str = "hybrid",
    baselines: Sequence[str] = BASELINES,
    cache_dir: Path | None = None,
) -> list[System]:
    """Our pipeline exactly as ``Assistant.open`` builds it (retrieval ``mode``, the configured
    answer backend), then the named baselines over the same index, answered extractively."""
    ours = Assistant.open(settings, embedder, mode=mode)
    index = ours.index

    def over_index(retrieval_mode: str) -> Assistant:
        return Assistant.over(index, settings, embedder, mode=retrieval_mode, backend="extractive")

    backend = "" if settings.backend == "extractive" else f", {settings.backend}"
    systems = [System("ours", f"{LABELS['ours']} ({mode}{backend})", ours)]
    for name in baselines:
        if name == "langchain":
            cached = CachingEmbeddings(embedder, cache_dir)
            systems.append(System(name, LABELS[name], langchain_baseline(settings, index, cached)))
        else:
            systems.append(System(name, LABELS[name], over_index(name)))
    return systems
