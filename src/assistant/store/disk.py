r"""The index folder: write a build atomically, verify it, load it, one build at a time.

Layout of ``index/``::

    CURRENT                 name of the live build (replaced atomically)
    builds/<name>/
        manifest.json       embedder, dimension, chunker, store, corpus hash, build time, file checksums
        documents.jsonl     every Document, cleaned text included (citations slice it)
        chunks.jsonl        every Chunk: id, article, offsets (its text, title and date are the article's)
        sentences.spans.npy every sentence (article number, start, end), and sentences.npy their vectors
        bm25.*, bm25f.*     BM25 over the chunks' terms, plain and without diacritics (store/lexical.py)
        syllables.*         syllable and syllable-pair counts, for restoring diacritics (store/lexical.py)
        vectors.npy         \  the FAISS store's files (store = "faiss"); a Milvus store keeps
        faiss.index         /  its vectors in Milvus and the manifest says where

A build is written into a fresh folder and only then named in ``CURRENT``, so a crash or
Ctrl-C mid-build leaves the previous build live. The manifest records the size and CRC-32
of every other file; loading checks them (about 4 GB/s) and the counts and shapes that
must agree, so a damaged index is one "rebuild" line, never a wrong answer, and its
vectors are never reused. One build at a time: ``index/.lock`` (flock) makes a second
``assistant index`` wait, and the build holding it sweeps what killed builds left behind.
Nothing is pickled: JSON, ``.npy`` loaded with ``allow_pickle=False`` and FAISS's own format.

Deliberately not here: reading, chunking and embedding articles (``ingest``); the order of a
build (``pipeline.build_index``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from ..config import Settings
from ..documents import Chunk, Document, SentenceRef
from ..errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexMissingError
from . import open_store
from .base import Store
from .lexical import LexicalIndex, SyllableCounts

FORMAT_VERSION = 3  # 2: the manifest records every file's size and CRC-32; 3: BM25 and sentences as arrays
LOCK_WAIT_SECONDS = 1800.0
_BUILD_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,99}")


# --- the index on disk --------------------------------------------------------------------

class SentenceTable(Sequence[SentenceRef]):
    """Every sentence of an index as three integer columns (article number, start, end),
    grouped by article in the order of ``doc_ids``; a ``SentenceRef`` is made only when asked.

    At 10,000 articles there are some 150,000 sentences: read from one ``.npy`` in
    milliseconds, where a JSON row and an object each took a second at every start.
    """

    def __init__(self, doc_ids: Sequence[str], rows: np.ndarray) -> None:
        self.doc_ids = list(doc_ids)
        if rows.ndim != 2 or rows.shape[1] != 3 or rows.dtype.kind not in "iu":
            raise ValueError("the sentence table is not n rows of 3 integers")
        self.rows = rows  # shape (n, 3): article number, start, end
        docs = rows[:, 0] if len(rows) else np.zeros(0, dtype=np.int64)
        if len(docs) and (np.any(np.diff(docs) < 0) or docs[0] < 0 or docs[-1] >= len(self.doc_ids)):
            raise ValueError("sentences are not grouped by known articles")
        bounds = np.searchsorted(docs, np.arange(len(self.doc_ids) + 1))
        self._range = {d: (int(bounds[i]), int(bounds[i + 1])) for i, d in enumerate(self.doc_ids)}

    @classmethod
    def of(cls, doc_ids: Sequence[str], refs: Sequence[SentenceRef]) -> SentenceTable:
        number = {d: i for i, d in enumerate(doc_ids)}
        rows = np.array([(number[r.doc_id], r.start, r.end) for r in refs], dtype=np.int64).reshape(-1, 3)
        return cls(doc_ids, rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        d, start, end = self.rows[i]
        return SentenceRef(self.doc_ids[int(d)], int(start), int(end))

    def of_doc(self, doc_id: str) -> range:
        """Row numbers of ``doc_id``'s sentences, in text order."""
        return range(*self._range.get(doc_id, (0, 0)))


@dataclass
class LoadedIndex:
    path: Path
    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    store: Store
    sentences: SentenceTable
    sentence_vectors: np.ndarray
    bm25: LexicalIndex  # over the chunks' terms
    bm25_folded: LexicalIndex  # over the same terms without diacritics
    syllables: SyllableCounts  # of the articles' text


def live_build(index_dir: Path) -> Path | None:
    """The folder of the live build (None before the first); IndexCorruptError if CURRENT is damaged."""
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


def live_documents(index_dir: Path) -> list[Document] | None:
    """The live build's Documents, without loading anything else; None without a readable live build."""
    try:
        build = live_build(index_dir)
        return [Document.from_dict(d) for d in _read_jsonl(build / "documents.jsonl")] if build else None
    except (IndexCorruptError, OSError, ValueError, TypeError, KeyError):
        return None


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


def _chunk_row(c: Chunk, doc: Document) -> dict:
    """A chunk as its id, article and offsets; what the article already holds is not repeated."""
    row = {"chunk_id": c.chunk_id, "doc_id": c.doc_id, "start": c.start, "end": c.end}
    if c.title != doc.title:
        row["title"] = c.title
    if c.date_label != doc.date_label:
        row["date_label"] = c.date_label
    if c.text != doc.text[c.start : c.end]:
        row["text"] = c.text
    return row


def _read_chunks(path: Path, documents: dict[str, Document]) -> list[Chunk]:
    # subtle: chunk text was 80 MB of JSON at 10,000 articles, parsed at every start; it is a
    # slice of its article, so only the offsets are stored (format 2 rows, with text, still read)
    out = []
    for r in _read_jsonl(path):
        doc = documents[r["doc_id"]]
        start, end = int(r["start"]), int(r["end"])
        out.append(Chunk(str(r["chunk_id"]), doc.doc_id, r.get("title", doc.title),
                         r.get("date_label", doc.date_label), start, end, r["text"] if "text" in r else doc.text[start:end]))
    return out


def _syllables(build: Path, docs: list[Document]) -> SyllableCounts:
    """The build's syllable counts; a build from before they were stored (format 2, or an early
    format 3) has them counted from its articles, as every start did then."""
    if (build / "syllables.vocab.json").exists():
        return SyllableCounts.load(build)
    return SyllableCounts.build(d.text for d in docs)


def check_compatible(manifest: dict, settings: Settings) -> None:
    # subtle: the store is not compared: a build says where its vectors are, and is read from there
    want = {"embedder": settings.embedder, "chunker": settings.chunker.describe()}
    have = {"embedder": manifest.get("embedder", {}).get("spec"), "chunker": manifest.get("chunker")}
    for key in ("embedder", "chunker"):
        if want[key] != have[key]:
            raise IndexMismatchError(
                f"the index was built with {key} {have[key]!r}, but the settings ask for {want[key]!r}"
            )


def built_label(manifest: dict, timezone: str = "") -> str:
    """When the index was built, as a reader sees it: "17:00 22/11/2026" in ``timezone``
    (an IANA name, the setting ``timezone``), or "10:00 22/11/2026 UTC" without one."""
    stamp = str(manifest.get("built_at", ""))
    try:
        when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return stamp
    if timezone:
        try:
            when = when.astimezone(ZoneInfo(timezone))
        except (ZoneInfoNotFoundError, ValueError):  # an unknown zone: the time as stored, named
            pass
    offset = when.utcoffset()
    return when.strftime("%H:%M %d/%m/%Y") + (" UTC" if offset is not None and not offset else "")


def load_index(settings: Settings, check: bool = True, embedding: Any = None, *,
               for_reuse: bool = False) -> LoadedIndex:
    """The live build, verified: checksums first, then the counts and shapes that must agree.

    Raises IndexMissingError (nothing built), IndexMismatchError (built with other settings;
    only when ``check``) or IndexCorruptError (anything damaged), each with a one-line hint.
    ``for_reuse`` also reads a build of the previous format (2), for its vectors only: its
    BM25 is left empty, so it must not answer questions.
    """
    for attempt in range(3):
        build = live_build(settings.index_dir)
        if build is None:
            raise IndexMissingError(f"no index in {settings.index_dir}")
        try:
            return _load_build(build, settings, check, embedding, for_reuse)
        except IndexCorruptError:
            # a build finishing meanwhile removes the one we were reading: read the new one
            if attempt == 2 or live_build(settings.index_dir) == build:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _load_build(build: Path, settings: Settings, check: bool, embedding: Any, for_reuse: bool = False) -> LoadedIndex:
    try:
        manifest = json.loads((build / "manifest.json").read_bytes().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"cannot read the manifest in {build}: {exc}") from exc
    # subtle: format 2 differs in how BM25 and sentence spans are kept, not in its vectors, so
    # an update from it re-embeds nothing (hours at 10,000 articles)
    legacy = for_reuse and isinstance(manifest, dict) and manifest.get("format") == 2
    if isinstance(manifest, dict) and manifest.get("format") != FORMAT_VERSION and not legacy:
        raise IndexMismatchError("the index was written by another version of assistant")
    manifest = _check_manifest(manifest, build)
    if check:
        check_compatible(manifest, settings)
    verify_files(build, manifest)
    try:
        docs = [Document.from_dict(d) for d in _read_jsonl(build / "documents.jsonl")]
        documents = {d.doc_id: d for d in docs}
        chunks = _read_chunks(build / "chunks.jsonl", documents)
        # memory-mapped: the answerer reads a few rows per question, not all of them
        sent_vectors = np.load(build / "sentences.npy", allow_pickle=False, mmap_mode="r")
        doc_ids = [d.doc_id for d in docs]
        if legacy:
            sentences = SentenceTable.of(doc_ids, [SentenceRef(**s) for s in _read_jsonl(build / "sentences.jsonl")])
        else:
            sentences = SentenceTable(doc_ids, np.load(build / "sentences.spans.npy", allow_pickle=False))
        emb = manifest["embedder"]
        store = open_store(manifest.get("store") or {"name": "faiss", "kind": manifest["faiss_index"]}, build,
                           embedding, emb["dim"], emb["model_id"], chunks, documents)
        loaded = LoadedIndex(
            path=build,
            manifest=manifest,
            documents=documents,
            chunks=chunks,
            store=store,
            sentences=sentences,
            sentence_vectors=sent_vectors,
            bm25=LexicalIndex.empty(len(chunks)) if legacy else LexicalIndex.load(build, "bm25", len(chunks)),
            bm25_folded=LexicalIndex.empty(len(chunks)) if legacy else LexicalIndex.load(build, "bm25f", len(chunks)),
            syllables=_syllables(build, docs),
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
    problems.extend(idx.store.check())
    if idx.sentence_vectors.shape != (len(idx.sentences), dim):
        problems.append("sentence vectors do not match the sentences")
    if idx.bm25.n_docs != len(idx.chunks) or idx.bm25_folded.n_docs != len(idx.chunks) or any(
        len(b.indices) and int(b.indices.max()) >= len(idx.chunks) for b in (idx.bm25, idx.bm25_folded)
    ):
        problems.append("the BM25 arrays do not match the chunks")
    if problems:
        raise IndexCorruptError(f"the index in {idx.path} is inconsistent: {'; '.join(problems)}")


def write_build(index_dir: Path, manifest: dict, docs: list[Document], chunks: list[Chunk],
                lexical: tuple[LexicalIndex, LexicalIndex, SyllableCounts], sentences: Sequence[SentenceRef],
                sent_vectors: np.ndarray, store: Store) -> Path:
    """Write a build beside the live one and make it live; the caller holds ``build_lock``."""
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
        by_id = {d.doc_id: d for d in docs}
        _write_jsonl(tmp / "chunks.jsonl", (_chunk_row(c, by_id[c.doc_id]) for c in chunks))
        table = sentences if isinstance(sentences, SentenceTable) else SentenceTable.of([d.doc_id for d in docs], sentences)
        np.save(tmp / "sentences.spans.npy", table.rows, allow_pickle=False)
        np.save(tmp / "sentences.npy", sent_vectors, allow_pickle=False)
        lexical[0].save(tmp, "bm25")
        lexical[1].save(tmp, "bm25f")
        lexical[2].save(tmp)
        entry = store.save(tmp)
        manifest = {**manifest, "store": entry, "files": _checksums(tmp)}  # written last: it vouches for the rest
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
