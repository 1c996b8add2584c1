"""Documents -> everything a build holds: chunks, their terms and vectors, sentence vectors.

``prepare`` chunks the articles, computes the BM25 terms (plain and without diacritics) and
embeds only what is new: a chunk whose id (a hash of its text) or a sentence whose text the
previous build already embedded takes that vector (``Reusable``). Identical texts are
embedded once.

Deliberately not here: where vectors are stored and how a build is written (``store``), the
order of a build (``pipeline.build_index``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..config import ChunkerSettings
from ..documents import Chunk, Document, SentenceRef
from ..vietnamese import index_terms_both, segment, sentence_spans
from .chunking import chunk_document
from .embedding import VectorEmbeddings
from .parallel import pmap


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def corpus_hash(docs: Sequence[Document]) -> str:
    h = hashlib.sha256()
    for d in sorted(docs, key=lambda d: d.doc_id):
        h.update(f"{d.doc_id}\x00{d.content_hash}\n".encode())
        for c in d.copies:  # a republished copy is part of the corpus too
            h.update(f"{c.doc_id}\x00{c.content_hash}\n".encode())
    return h.hexdigest()


def _no_chunks(ids: Sequence[str]) -> Mapping[str, np.ndarray]:
    return {}


@dataclass(frozen=True)
class Reusable:
    """What the previous build can give: chunk vectors by id, sentence vectors by ``text_key``."""

    chunks: Callable[[Sequence[str]], Mapping[str, np.ndarray]] = _no_chunks
    sentences: Mapping[str, np.ndarray] = field(default_factory=dict)
    hashes: Mapping[str, str] = field(default_factory=dict)  # doc_id -> content hash
    manifest: Mapping[str, Any] = field(default_factory=dict)  # the previous build's

    @property
    def empty(self) -> bool:
        return not self.hashes


@dataclass(frozen=True)
class Prepared:
    documents: list[Document]
    chunks: list[Chunk]
    terms: list[list[str]]
    fterms: list[list[str]]
    vectors: np.ndarray  # row i = chunks[i]
    sentences: list[SentenceRef]
    sentence_vectors: np.ndarray
    embedded: int  # texts that needed the model
    reused: int


class Checkpoint:
    """Vectors of an unfinished build, saved as it goes, so a killed build resumes.

    Parts are written into ``folder`` every ``every`` texts (vectors, then their keys, each
    under a temporary name then renamed): a part is used only when both files are whole. The
    folder is named after the model; ``clear`` removes it once the build is live.
    """

    def __init__(self, folder: Path, every: int = 256) -> None:
        self.folder, self.every = folder, every
        self.known: dict[str, np.ndarray] = {}
        self._keys: list[str] = []
        self._vecs: list[np.ndarray] = []
        for keys_file in sorted(folder.glob("part-*.json")) if folder.is_dir() else ():
            try:
                keys = json.loads(keys_file.read_text(encoding="utf-8"))
                vecs = np.load(keys_file.with_suffix(".npy"), allow_pickle=False)
                if isinstance(keys, list) and vecs.ndim == 2 and len(keys) == len(vecs):
                    self.known.update(zip(keys, vecs))
            except (OSError, ValueError):
                continue  # a part a kill cut short: its texts are embedded again

    def add(self, keys: Sequence[str], vecs: np.ndarray) -> None:
        self._keys.extend(keys)
        self._vecs.append(np.asarray(vecs, dtype=np.float32))
        if len(self._keys) >= self.every:
            self.flush()

    def flush(self) -> None:
        if not self._keys:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = self.folder / f"part-{time.time_ns()}-{os.getpid()}"
        for suffix, write in ((".npy", lambda f: np.save(f, np.concatenate(self._vecs), allow_pickle=False)),
                              (".json", lambda f: f.write(json.dumps(self._keys).encode()))):
            tmp = stem.with_name(f".{stem.name}{suffix}")
            with tmp.open("wb") as fh:
                write(fh)
            os.replace(tmp, stem.with_suffix(suffix))
        self._keys, self._vecs = [], []

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def embed_missing(texts: list[str], keys: list[str], cache: Mapping[str, np.ndarray], embedder: VectorEmbeddings,
                  desc: str, show: bool, checkpoint: Checkpoint | None = None, unit: str = "đoạn",
                  ) -> tuple[np.ndarray, int]:
    """Vectors for ``texts``: from ``cache`` by key, else embedded, each distinct text once.

    With a ``checkpoint``, texts an interrupted build already embedded are taken from it, and
    new vectors are saved to it as they come (counted as embedded: the model made them).
    """
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
        tkeys = [text_key(t) for t in todo]
        saved = checkpoint.known if checkpoint else {}
        fresh = [i for i, k in enumerate(tkeys) if k not in saved]
        with tqdm(total=len(todo), initial=len(todo) - len(fresh), desc=desc, unit=unit, disable=not show,
                  leave=False) as bar:
            for start in range(0, len(fresh), 256):
                part = fresh[start : start + 256]
                vecs = embedder.passages([todo[i] for i in part], progress=bar.update)
                for i, vec in zip(part, vecs):
                    out[rows_of[todo[i]]] = vec
                if checkpoint:
                    checkpoint.add([tkeys[i] for i in part], vecs)
        for i, k in enumerate(tkeys):
            if k in saved:
                out[rows_of[todo[i]]] = saved[k]
        if checkpoint:
            checkpoint.flush()
    return out, len(rows_of)


def analyse(doc: Document, chunker: ChunkerSettings, terms: bool = True) -> Analysed:
    """One article's sentences, chunks and each chunk's BM25 terms, plain and without
    diacritics (``vietnamese.index_terms_both``; word segmentation is a build's costliest
    step but embedding). Run for every article on every core (``parallel.pmap``)."""
    spans = sentence_spans(doc.text)
    chunks = chunk_document(doc, chunker, spans)
    return Analysed(chunks, spans, [index_terms_both(f"{c.title}\n{c.text}") for c in chunks] if terms else [])


@dataclass(frozen=True)
class Analysed:
    chunks: list[Chunk]
    spans: list[tuple[int, int]]
    terms: list[tuple[list[str], list[str]]]  # per chunk: plain, without diacritics


def _load_models() -> None:
    segment("Việt Nam")  # the segmentation model, loaded before the fork so the forks share it


def chunk_terms(chunks: Sequence[Chunk], ray_address: str = "") -> tuple[list[list[str]], list[list[str]]]:
    """Each chunk's BM25 terms, plain and without diacritics, in order: here or on a Ray
    cluster's nodes (``cluster``)."""
    texts = [f"{c.title}\n{c.text}" for c in chunks]
    if ray_address:
        from .cluster import chunk_terms as on_cluster

        pairs = on_cluster(texts, ray_address)
    else:
        pairs = pmap(index_terms_both, texts, warm=_load_models)
    return [p[0] for p in pairs], [p[1] for p in pairs]


def prepare(docs: list[Document], chunker: ChunkerSettings, embedder: VectorEmbeddings, reuse: Reusable | None = None,
            *, embed_sentences: bool = True, show_progress: bool = False,
            checkpoint: Checkpoint | None = None, ray_address: str = "") -> Prepared:
    """Chunk, term and embed ``docs``; ``embed_sentences=False`` skips the sentence vectors
    (retrieval-only benchmarks build in half the time); ``ray_address`` segments on a Ray
    cluster (embedding there is the embedder's own: ``cluster.RayEmbeddings``)."""
    reuse = reuse or Reusable()
    # every article's sentences, chunks and terms at once, on every core; on a Ray cluster
    # the terms are its nodes' work
    per_doc = pmap(partial(analyse, chunker=chunker, terms=not ray_address), docs, warm=_load_models)
    chunks = [c for a in per_doc for c in a.chunks]
    if ray_address:
        terms, fterms = chunk_terms(chunks, ray_address)
    else:
        terms = [t for a in per_doc for t, _ in a.terms]
        fterms = [f for a in per_doc for _, f in a.terms]
    ids = [c.chunk_id for c in chunks]
    vectors, n_chunks = embed_missing([f"{c.title}\n{c.text}" for c in chunks], ids, reuse.chunks(ids), embedder,
                                      "Nhúng đoạn", show_progress, checkpoint)
    sentences = ([SentenceRef(d.doc_id, s, e) for d, a in zip(docs, per_doc) for s, e in a.spans]
                 if embed_sentences else [])
    by_id = {d.doc_id: d for d in docs}
    sent_texts = [by_id[s.doc_id].text[s.start : s.end] for s in sentences]
    sent_vectors, n_sents = embed_missing(sent_texts, [text_key(t) for t in sent_texts], reuse.sentences, embedder,
                                          "Nhúng câu", show_progress, checkpoint, unit="câu")
    return Prepared(
        documents=docs,
        chunks=chunks,
        terms=terms,
        fterms=fterms,
        vectors=vectors,
        sentences=sentences,
        sentence_vectors=sent_vectors,
        embedded=n_chunks + n_sents,
        reused=len(chunks) + len(sentences) - n_chunks - n_sents,
    )
