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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..config import ChunkerSettings
from ..documents import Chunk, Document, SentenceRef
from ..vietnamese import index_terms, sentence_spans
from .chunking import chunk_documents
from .embedding import VectorEmbeddings


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


def embed_missing(texts: list[str], keys: list[str], cache: Mapping[str, np.ndarray], embedder: VectorEmbeddings,
                  desc: str, show: bool) -> tuple[np.ndarray, int]:
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


def prepare(docs: list[Document], chunker: ChunkerSettings, embedder: VectorEmbeddings, reuse: Reusable | None = None,
            *, embed_sentences: bool = True, show_progress: bool = False) -> Prepared:
    """Chunk, term and embed ``docs``; ``embed_sentences=False`` skips the sentence vectors
    (retrieval-only benchmarks build in half the time)."""
    reuse = reuse or Reusable()
    chunks = chunk_documents(docs, chunker)
    ids = [c.chunk_id for c in chunks]
    vectors, n_chunks = embed_missing([f"{c.title}\n{c.text}" for c in chunks], ids, reuse.chunks(ids), embedder,
                                      "Nhúng đoạn", show_progress)
    by_id = {d.doc_id: d for d in docs}
    sentences = [SentenceRef(d.doc_id, s, e) for d in docs for s, e in sentence_spans(d.text)] if embed_sentences else []
    sent_texts = [by_id[s.doc_id].text[s.start : s.end] for s in sentences]
    sent_vectors, n_sents = embed_missing(sent_texts, [text_key(t) for t in sent_texts], reuse.sentences, embedder,
                                          "Nhúng câu", show_progress)
    return Prepared(
        documents=docs,
        chunks=chunks,
        terms=[index_terms(f"{c.title}\n{c.text}") for c in chunks],
        fterms=[index_terms(f"{c.title}\n{c.text}", folded=True) for c in chunks],
        vectors=vectors,
        sentences=sentences,
        sentence_vectors=sent_vectors,
        embedded=n_chunks + n_sents,
        reused=len(chunks) + len(sentences) - n_chunks - n_sents,
    )
