"""Build, update, save and load the index: FAISS vectors, chunk store, manifest.

Layout of ``index/``::

    CURRENT                 name of the live build (replaced atomically)
    builds/<name>/
        manifest.json       embedder, dimension, chunker, FAISS type, corpus hash, build time
        documents.jsonl     every Document, cleaned text included (citations slice it)
        chunks.jsonl        every Chunk, plus its BM25 terms (plain and without diacritics)
        vectors.npy         chunk vectors, row i = line i of chunks.jsonl
        sentences.jsonl     sentence spans of every document, and sentences.npy their vectors
        faiss.index         the FAISS index over vectors.npy

A build is written into a fresh folder and only then named in ``CURRENT``, so a crash or
Ctrl-C mid-build leaves the previous build live. Nothing is pickled: JSON, ``.npy`` loaded
with ``allow_pickle=False`` and FAISS's own format. Updates re-embed only chunks and
sentences whose text is new; the vectors of unchanged ones are copied over.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document as LCDocument
from langchain_core.vectorstores import VectorStore

from .chunking import ChunkerSettings, chunk_documents
from .config import Settings
from .documents import Chunk, Document
from .embedding import VectorEmbeddings, make_embedder
from .errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from .loading import Skipped, load_corpus
from .vietnamese import index_terms, sentence_spans

FORMAT_VERSION = 1


def _faiss():
    import faiss  # lazy: keeps `assistant --help` fast

    return faiss


# --- FAISS ------------------------------------------------------------------------------
def build_faiss(vectors: np.ndarray, kind: str = "flat") -> Any:
    faiss = _faiss()
    n, dim = vectors.shape if vectors.size else (0, vectors.shape[1] if vectors.ndim == 2 else 0)
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 128
    elif kind == "ivf" and n >= 64:
        nlist = max(1, min(int(4 * n**0.5), n // 39))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = min(nlist, 16)
    elif kind in ("flat", "ivf"):  # IVF needs enough points to train; small corpora stay exact
        index = faiss.IndexFlatIP(dim)
    else:
        raise IndexMismatchError(f'unknown FAISS index type {kind!r}', hint='use "flat", "hnsw" or "ivf"')
    if n:
        index.add(vectors)
    return index


def faiss_search(index: Any, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    if index.ntotal == 0:
        return []
    scores, ids = index.search(query.reshape(1, -1).astype(np.float32), min(k, index.ntotal))
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


class FaissStore(VectorStore):
    """LangChain ``VectorStore`` over a plain FAISS index: no pickle, no langchain-community."""

    def __init__(self, embedding: VectorEmbeddings, kind: str = "flat") -> None:
        self._embedding = embedding
        self._kind = kind
        self._docs: list[LCDocument] = []
        self._vectors = np.zeros((0, embedding.dim), dtype=np.float32)
        self._index = build_faiss(self._vectors, kind)

    @property
    def embeddings(self) -> VectorEmbeddings:
        return self._embedding

    def add_texts(self, texts: Iterable[str], metadatas: list[dict] | None = None, **kwargs: Any) -> list[str]:
        texts = list(texts)
        vecs = self._embedding.passages(texts)
        ids = [str(len(self._docs) + i) for i in range(len(texts))]
        for i, text in enumerate(texts):
            meta = dict(metadatas[i]) if metadatas else {}
            self._docs.append(LCDocument(page_content=text, metadata=meta, id=ids[i]))
        self._vectors = np.vstack([self._vectors, vecs])
        self._index = build_faiss(self._vectors, self._kind)
        return ids

    def similarity_search_with_score(self, query: str, k: int = 4, **kwargs: Any) -> list[tuple[LCDocument, float]]:
        hits = faiss_search(self._index, self._embedding.query(query), k)
        return [(self._docs[i], s) for i, s in hits]

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[LCDocument]:
        return [d for d, _ in self.similarity_search_with_score(query, k)]

    @classmethod
    def from_texts(cls, texts: list[str], embedding: Any, metadatas: list[dict] | None = None, **kwargs: Any) -> FaissStore:
        store = cls(embedding, kwargs.get("kind", "flat"))
        store.add_texts(texts, metadatas)
        return store


# --- the index on disk --------------------------------------------------------------------
@dataclass(frozen=True)
class SentenceRef:
    doc_id: str
    start: int
    end: int


@dataclass
class LoadedIndex:
    path: Path
    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    terms: list[list[str]]
    fterms: list[list[str]]
    vectors: np.ndarray
    faiss: Any
    sentences: list[SentenceRef]
    sentence_vectors: np.ndarray


@dataclass(frozen=True)
class BuildReport:
    path: Path
    documents: int
    chunks: int
    embedded: int  # chunks + sentences that needed the model
    reused: int
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    skipped: tuple[Skipped, ...]
    seconds: float
    rebuilt: bool


def chunker_settings(settings: Settings) -> ChunkerSettings:
    return ChunkerSettings(size=settings.chunk_size, overlap=settings.chunk_overlap)


def _live_build(index_dir: Path) -> Path | None:
    current = index_dir / "CURRENT"
    if not current.is_file():
        return None
    path = index_dir / "builds" / current.read_text(encoding="utf-8").strip()
    return path if path.is_dir() else None


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def check_compatible(manifest: dict, settings: Settings) -> None:
    want = {"embedder": settings.embedder, "chunker": chunker_settings(settings).describe()}
    have = {"embedder": manifest.get("embedder", {}).get("spec"), "chunker": manifest.get("chunker")}
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexMismatchError("the index was written by another version of assistant")
    for key in ("embedder", "chunker"):
        if want[key] != have[key]:
            raise IndexMismatchError(
                f"the index was built with {key} {have[key]!r}, but the settings ask for {want[key]!r}"
            )


def built_label(manifest: dict) -> str:
    """When the index was built, as a reader sees it: "10:00 22/11/2026 UTC"."""
    stamp = str(manifest.get("built_at", ""))
    try:
        when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return stamp
    return when.strftime("%H:%M %d/%m/%Y") + (" UTC" if when.utcoffset() is not None and not when.utcoffset() else "")


def load_index(settings: Settings, check: bool = True) -> LoadedIndex:
    build = _live_build(settings.index_dir)
    if build is None:
        raise IndexMissingError(f"no index in {settings.index_dir}")
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
        if check:
            check_compatible(manifest, settings)
        docs = [Document.from_dict(d) for d in _read_jsonl(build / "documents.jsonl")]
        rows = _read_jsonl(build / "chunks.jsonl")
        sents = _read_jsonl(build / "sentences.jsonl")
        vectors = np.load(build / "vectors.npy", allow_pickle=False)
        sent_vectors = np.load(build / "sentences.npy", allow_pickle=False)
        index = _faiss().read_index(str(build / "faiss.index"))
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IndexCorruptError(f"cannot read the index in {build}: {exc}") from exc
    chunk_fields = set(Chunk.__dataclass_fields__)
    return LoadedIndex(
        path=build,
        manifest=manifest,
        documents={d.doc_id: d for d in docs},
        chunks=[Chunk.from_dict({k: v for k, v in r.items() if k in chunk_fields}) for r in rows],
        terms=[r["terms"] for r in rows],
        fterms=[r["fterms"] for r in rows],
        vectors=vectors,
        faiss=index,
        sentences=[SentenceRef(**s) for s in sents],
        sentence_vectors=sent_vectors,
    )


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _previous_vectors(settings: Settings, model_id: str) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict]:
    """Vectors of the live build keyed by chunk id and by sentence text, if reusable."""
    try:
        old = load_index(settings, check=True)
    except (IndexMissingError, IndexMismatchError, IndexCorruptError):
        return {}, {}, {}
    if old.manifest.get("embedder", {}).get("model_id") != model_id:
        return {}, {}, {}
    by_chunk = {c.chunk_id: old.vectors[i] for i, c in enumerate(old.chunks)}
    by_sent = {}
    for i, s in enumerate(old.sentences):
        doc = old.documents.get(s.doc_id)
        if doc is not None:
            by_sent[_text_key(doc.text[s.start : s.end])] = old.sentence_vectors[i]
    hashes = {d.doc_id: d.content_hash for d in old.documents.values()}
    return by_chunk, by_sent, hashes


def _embed_missing(
    texts: list[str], keys: list[str], cache: dict[str, np.ndarray], embedder: VectorEmbeddings, desc: str, show: bool
) -> tuple[np.ndarray, int]:
    from tqdm import tqdm

    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    todo = [i for i, k in enumerate(keys) if k not in cache]
    for i, k in enumerate(keys):
        if k in cache:
            out[i] = cache[k]
    if todo:
        with tqdm(total=len(todo), desc=desc, unit="đoạn", disable=not show, leave=False) as bar:
            vecs = embedder.passages([texts[i] for i in todo], progress=bar.update)
        out[todo] = vecs
    return out, len(todo)


def corpus_hash(docs: list[Document]) -> str:
    h = hashlib.sha256()
    for d in sorted(docs, key=lambda d: d.doc_id):
        h.update(f"{d.doc_id}\x00{d.content_hash}\n".encode())
    return h.hexdigest()


def build_index(
    settings: Settings,
    embedder: VectorEmbeddings | None = None,
    *,
    rebuild: bool = False,
    show_progress: bool = False,
    embed_sentences: bool = True,
) -> BuildReport:
    """Build or update the index for ``settings.corpus_dir`` in ``settings.index_dir``.

    ``embed_sentences=False`` skips the sentence vectors the extractive answerer needs:
    enough for retrieval-only benchmarks, which then build in half the time.
    """
    t0 = time.perf_counter()
    skipped: list[Skipped] = []
    docs = load_corpus(settings.corpus_dir, skipped)
    embedder = embedder or make_embedder(settings.embedder)
    by_chunk, by_sent, old_hashes = ({}, {}, {}) if rebuild else _previous_vectors(settings, embedder.model_id)
    rebuilt = rebuild or not old_hashes

    chunker = chunker_settings(settings)
    chunks = chunk_documents(docs, chunker)
    vectors, n_chunks = _embed_missing(
        [f"{c.title}\n{c.text}" for c in chunks], [c.chunk_id for c in chunks], by_chunk, embedder, "Nhúng đoạn", show_progress
    )
    sentences = [SentenceRef(d.doc_id, s, e) for d in docs for s, e in sentence_spans(d.text)] if embed_sentences else []
    by_id = {d.doc_id: d for d in docs}
    sent_texts = [by_id[s.doc_id].text[s.start : s.end] for s in sentences]
    sent_vectors, n_sents = _embed_missing(
        sent_texts, [_text_key(t) for t in sent_texts], by_sent, embedder, "Nhúng câu", show_progress
    )
    terms = [index_terms(f"{c.title}\n{c.text}") for c in chunks]
    fterms = [index_terms(f"{c.title}\n{c.text}", folded=True) for c in chunks]

    index = build_faiss(vectors, settings.faiss_index)
    manifest = {
        "format": FORMAT_VERSION,
        "embedder": {"spec": settings.embedder, "model_id": embedder.model_id, "dim": embedder.dim},
        "chunker": chunker.describe(),
        "faiss_index": settings.faiss_index,
        "corpus_hash": corpus_hash(docs),
        "documents": len(docs),
        "chunks": len(chunks),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    path = _write_build(settings.index_dir, manifest, docs, chunks, terms, fterms, vectors, sentences, sent_vectors, index)

    new_hashes = {d.doc_id: d.content_hash for d in docs}
    return BuildReport(
        path=path,
        documents=len(docs),
        chunks=len(chunks),
        embedded=n_chunks + n_sents,
        reused=len(chunks) + len(sentences) - n_chunks - n_sents,
        added=tuple(sorted(set(new_hashes) - set(old_hashes))) if not rebuilt else (),
        changed=tuple(sorted(k for k in new_hashes if k in old_hashes and old_hashes[k] != new_hashes[k])),
        removed=tuple(sorted(set(old_hashes) - set(new_hashes))),
        skipped=tuple(skipped),
        seconds=time.perf_counter() - t0,
        rebuilt=rebuilt,
    )


def _write_build(index_dir: Path, manifest, docs, chunks, terms, fterms, vectors, sentences, sent_vectors, index) -> Path:
    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    for stale in builds.glob(".tmp-*"):  # left by a build that was killed outright (kill -9)
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)
    name = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.time_ns() % 10**6:06d}"
    tmp = builds / f".tmp-{name}"
    tmp.mkdir()
    try:
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _write_jsonl(tmp / "documents.jsonl", (d.to_dict() for d in docs))
        _write_jsonl(
            tmp / "chunks.jsonl", ({**c.to_dict(), "terms": t, "fterms": f} for c, t, f in zip(chunks, terms, fterms))
        )
        _write_jsonl(tmp / "sentences.jsonl", ({"doc_id": s.doc_id, "start": s.start, "end": s.end} for s in sentences))
        np.save(tmp / "vectors.npy", vectors, allow_pickle=False)
        np.save(tmp / "sentences.npy", sent_vectors, allow_pickle=False)
        _faiss().write_index(index, str(tmp / "faiss.index"))
        final = builds / name
        tmp.rename(final)
        pointer = index_dir / f".CURRENT.{os.getpid()}"
        pointer.write_text(name, encoding="utf-8")
        with pointer.open("rb") as fh:
            os.fsync(fh.fileno())
        # subtle: os.replace is atomic; readers see the old build or the new, never neither.
        os.replace(pointer, index_dir / "CURRENT")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in builds.iterdir():
        if old.name != name and not old.name.startswith(".tmp-"):
            shutil.rmtree(old, ignore_errors=True)
    return final
