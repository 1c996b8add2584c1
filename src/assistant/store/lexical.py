"""BM25 over word-segmented terms, computed when the index is built and memory-mapped at start.

``LexicalIndex.build`` scores every (term, chunk) pair once with ``bm25s`` (Lucene's BM25,
k1 = 1.5, b = 0.75) and keeps its sparse matrix as three arrays, column-compressed by term:
``indptr[t]:indptr[t + 1]`` are the chunks holding term ``t`` (``indices``) and their scores
(``data``). A query adds up its terms' columns, as ``bm25s`` does, so scores are the same to
the last bit, but searching needs neither ``bm25s`` nor SciPy: only NumPy over arrays that
``load`` maps from disk. A term's document frequency is its column's length.

Files (``<name>`` is "bm25" for the plain terms, "bm25f" for the terms without diacritics)::

    <name>.vocab.json   the terms, in column order (a JSON list)
    <name>.data.npy, <name>.indices.npy, <name>.indptr.npy
                        one .npy each (not one .npz), so that each can be memory-mapped

Deliberately not here: segmenting text into terms (``vietnamese.index_terms``), fusing BM25
with the dense list (``retrieve.hybrid``).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np

from ..vietnamese import fold, words

_ARRAYS = ("data", "indices", "indptr")


class LexicalIndex:
    def __init__(self, vocab: Sequence[str], data: np.ndarray, indices: np.ndarray, indptr: np.ndarray,
                 n_docs: int) -> None:
        self.terms = list(vocab)
        self.vocab = {t: i for i, t in enumerate(self.terms)}
        self.data, self.indices, self.indptr = data, indices, indptr
        self.n_docs = n_docs

    @classmethod
    def build(cls, corpus_terms: Sequence[Sequence[str]]) -> LexicalIndex:
        import bm25s  # only building needs it (and SciPy behind it): ~0.3 s of imports

        model = bm25s.BM25()
        # subtle: bm25s drops empty documents from its vocabulary maths; a placeholder term
        # keeps row numbers aligned with chunk numbers.
        model.index([list(t) or ["∅"] for t in corpus_terms], show_progress=False)
        vocab = [""] * len(model.vocab_dict)
        for term, i in model.vocab_dict.items():
            if i < len(vocab):
                vocab[i] = term
        columns = len(model.scores["indptr"]) - 1
        vocab = vocab[:columns]
        return cls(*_canonical(vocab, np.asarray(model.scores["data"]), np.asarray(model.scores["indices"]),
                               np.asarray(model.scores["indptr"])), len(corpus_terms))

    @classmethod
    def empty(cls, n_docs: int) -> LexicalIndex:
        """No terms: every search finds nothing."""
        return cls([], np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int64), n_docs)

    # -- disk ----------------------------------------------------------------------------
    def save(self, folder: Path, name: str) -> None:
        (folder / f"{name}.vocab.json").write_text(json.dumps(self.terms, ensure_ascii=False), encoding="utf-8")
        for part in _ARRAYS:
            np.save(folder / f"{name}.{part}.npy", getattr(self, part), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, name: str, n_docs: int) -> LexicalIndex:
        terms = json.loads((folder / f"{name}.vocab.json").read_bytes().decode("utf-8"))
        arrays = [np.load(folder / f"{name}.{part}.npy", allow_pickle=False, mmap_mode="r") for part in _ARRAYS]
        if not isinstance(terms, list) or len(arrays[2]) != len(terms) + 1:
            raise ValueError(f"{name}: the vocabulary and the term pointers do not agree")
        data, indices, indptr = arrays
        if len(data) != len(indices) or (len(indptr) and int(indptr[-1]) != len(data)):
            raise ValueError(f"{name}: the score arrays do not agree")
        return cls(terms, data, indices, indptr, n_docs)

    # -- search --------------------------------------------------------------------------
    def df(self, term: str) -> int:
        i = self.vocab.get(term)
        return 0 if i is None else int(self.indptr[i + 1] - self.indptr[i])

    def idf(self, term: str) -> float:
        df = self.df(term)
        return math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5))

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """Every chunk's BM25 score (a repeated query term counts again, as in bm25s)."""
        scores = np.zeros(self.n_docs, dtype=np.float32)
        for t in query_terms:
            i = self.vocab.get(t)
            if i is not None:
                lo, hi = int(self.indptr[i]), int(self.indptr[i + 1])
                np.add.at(scores, self.indices[lo:hi], self.data[lo:hi])
        return scores

    def search(self, query_terms: Sequence[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``k`` best chunks with a positive score; ``allowed``: a mask of the chunks that may be."""
        if self.n_docs == 0 or not any(t in self.vocab for t in query_terms):
            return []
        scores = self.scores(query_terms)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        order = np.argsort(-scores)[:k]
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]


def _canonical(vocab: list[str], data: np.ndarray, indices: np.ndarray,
               indptr: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """The same scores with the terms in sorted order, each column's chunks in row order.

    subtle: bm25s numbers terms as a Python set iterates them, which changes with every
    process (hash randomisation): without this, two builds of one corpus differ in their
    files though not in their scores.
    """
    order = sorted(range(len(vocab)), key=vocab.__getitem__)
    cols = [np.arange(indptr[i], indptr[i + 1]) for i in order]
    cols = [c[np.argsort(indices[c], kind="stable")] for c in cols]
    take = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    lengths = np.asarray([len(c) for c in cols], dtype=indptr.dtype)
    new_indptr = np.concatenate([np.zeros(1, dtype=indptr.dtype), np.cumsum(lengths, dtype=indptr.dtype)])
    return [vocab[i] for i in order], data[take], indices[take], new_indptr


class SyllableCounts:
    """How often each lower-cased syllable, and each pair of neighbouring syllables, occurs in the
    articles: the corpus statistics the diacritic restorer (``retrieve.hybrid``) reads.

    Counted when the index is built, because counting 10,000 articles took 20 s, paid by the
    first question typed without diacritics. Files: ``syllables.vocab.json`` (the syllables,
    sorted), ``syllables.counts.npy`` (one count each), ``syllables.pairs.npy`` (the pairs as
    sorted int64 keys ``first * len(vocab) + second``) and ``syllables.pair_counts.npy``.
    """

    _FILES = ("counts", "pairs", "pair_counts")

    def __init__(self, vocab: Sequence[str], counts: np.ndarray, pairs: np.ndarray, pair_counts: np.ndarray) -> None:
        self.vocab = list(vocab)
        self.ids = {w: i for i, w in enumerate(self.vocab)}
        self.counts, self.pairs, self.pair_counts = counts, pairs, pair_counts
        self._forms: dict[str, set[str]] | None = None

    @classmethod
    def build(cls, texts: Iterable[str]) -> SyllableCounts:
        uni: Counter[str] = Counter()
        bi: Counter[tuple[str, str]] = Counter()
        for text in texts:
            for line in text.splitlines():
                toks = [w.lower() for w in words(line)]
                uni.update(toks)
                bi.update(pairwise(toks))
        vocab = sorted(uni)
        ids = {w: i for i, w in enumerate(vocab)}
        keys = np.array([ids[a] * len(vocab) + ids[b] for a, b in bi], dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        return cls(vocab, np.array([uni[w] for w in vocab], dtype=np.int64), keys[order],
                   np.array(list(bi.values()), dtype=np.int64)[order] if bi else np.zeros(0, np.int64))

    @classmethod
    def empty(cls) -> SyllableCounts:
        return cls([], np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))

    def save(self, folder: Path) -> None:
        (folder / "syllables.vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        for part in self._FILES:
            np.save(folder / f"syllables.{part}.npy", getattr(self, part), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> SyllableCounts:
        vocab = json.loads((folder / "syllables.vocab.json").read_bytes().decode("utf-8"))
        counts, pairs, pair_counts = (np.load(folder / f"syllables.{p}.npy", allow_pickle=False, mmap_mode="r")
                                      for p in cls._FILES)
        if not isinstance(vocab, list) or len(counts) != len(vocab) or len(pairs) != len(pair_counts):
            raise ValueError("the syllable counts do not agree with their vocabulary")
        return cls(vocab, counts, pairs, pair_counts)

    def unigram(self, w: str) -> int:
        i = self.ids.get(w)
        return 0 if i is None else int(self.counts[i])

    def bigram(self, a: str, b: str) -> int:
        i, j = self.ids.get(a), self.ids.get(b)
        if i is None or j is None:
            return 0
        key = i * len(self.vocab) + j
        at = int(np.searchsorted(self.pairs, key))
        return int(self.pair_counts[at]) if at < len(self.pairs) and self.pairs[at] == key else 0

    def forms(self) -> dict[str, set[str]]:
        """Syllables by their form without diacritics: "ha" -> {"hà", "hạ", "ha", ...}."""
        if self._forms is None:
            self._forms = {}
            for w in self.vocab:
                self._forms.setdefault(fold(w), set()).add(w)
        return self._forms
