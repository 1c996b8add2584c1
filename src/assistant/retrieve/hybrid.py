"""Question -> ScoredChunks: dense (the index's Store) + BM25 over segmented Vietnamese, fused by RRF.

Questions typed without diacritics ("so ngoai vu ha noi") are handled twice over: BM25
also runs on a diacritic-free copy of the corpus, and the dense query gets its diacritics
restored from the corpus's own syllable statistics (a bigram Viterbi), because the e5
model reads "Hà Nội" far better than "Ha Noi". Near-duplicate chunks are returned once.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from ..documents import Query, ScoredChunk
from ..vietnamese import (
    ENGLISH_WORDS,
    fold,
    has_diacritics,
    index_terms,
    looks_english,
    normalize,
    word_shingles,
    words,
)

if TYPE_CHECKING:  # types only: a stage is handed these by pipeline.py, never imports them
    from ..ingest.embedding import VectorEmbeddings
    from ..store.disk import LoadedIndex


# --- diacritic restoration -----------------------------------------------------------------
class DiacriticRestorer:
    """Puts diacritics back on unaccented words using the corpus's syllable bigrams.

    ``corpus`` holds the articles' counts (``unigram``, ``bigram``, ``forms``; counted when the
    index was built, ``store.lexical.SyllableCounts``); general Vietnamese phrases and place
    names are added here.
    """

    def __init__(self, corpus) -> None:
        self.corpus = corpus
        self.unigrams: Counter[str] = Counter()
        self.bigrams: Counter[tuple[str, str]] = Counter()
        self.forms: dict[str, set[str]] = defaultdict(set)
        self._add_seeds()

    def _unigram(self, w: str) -> int:
        return self.unigrams[w] + self.corpus.unigram(w)

    def _bigram(self, a: str, b: str) -> int:
        return self.bigrams[(a, b)] + self.corpus.bigram(a, b)

    def _forms(self, folded: str) -> set[str]:
        return self.forms.get(folded, set()) | self.corpus.forms().get(folded, set())

    def _add_seeds(self) -> None:
        """General Vietnamese statistics, so question words ("bao nhiêu") restore too."""
        from importlib.resources import files

        data = files("assistant").joinpath("data")
        for line in data.joinpath("phrases.txt").read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                toks = [w.lower() for w in words(line)]
                self.unigrams.update({t: 20 for t in toks})
                self.bigrams.update({b: 20 for b in pairwise(toks)})
                for t in toks:
                    self.forms[fold(t)].add(t)
        from ..places import places  # every province's and country's name, not only the corpus's

        for place in places():
            if place.vietnamese or place.country:
                for name in place.variants:
                    toks = [w.lower() for w in words(name)]
                    self.unigrams.update({t: 5 for t in toks})
                    self.bigrams.update({b: 5 for b in pairwise(toks)})
                    for t in toks:
                        self.forms[fold(t)].add(t)
        for line in data.joinpath("bigrams.tsv").read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                a, b, n = line.split("\t")
                self.bigrams[(a, b)] += int(n)
                self.unigrams[a] += int(n)
                self.forms[fold(a)].add(a)
                self.forms[fold(b)].add(b)

    def restore(self, text: str) -> str:
        toks = words(text)
        if not toks or sum(has_diacritics(t) for t in toks) > len(toks) * 0.2:
            return text  # the user typed diacritics: trust them
        options = [
            [t.lower()] if t.lower() in ENGLISH_WORDS else sorted(self._forms(fold(t.lower())) | {t.lower()})
            for t in toks
        ]
        # Viterbi over the choices; score = bigram evidence + a little unigram prior
        best = {o: (math.log(self._unigram(o) + 1) * 0.5, [o]) for o in options[0]}
        for opts in options[1:]:
            nxt = {}
            for o in opts:
                prior = math.log(self._unigram(o) + 1) * 0.5
                score, path = max(
                    ((s + 2.0 * math.log(self._bigram(p[-1], o) + 0.05) + prior, p) for s, p in best.values()),
                    key=lambda x: x[0],
                )
                nxt[o] = (score, path + [o])
            best = nxt
        chosen = max(best.values(), key=lambda x: x[0])[1]
        out, pos = [], 0
        for tok, new in zip(toks, chosen):
            i = text.index(tok, pos)
            out.append(text[pos:i])
            out.append(_match_case(tok, new))
            pos = i + len(tok)
        out.append(text[pos:])
        return "".join(out)


def _match_case(original: str, new: str) -> str:
    if original.isupper() and len(original) > 1:
        return new.upper()
    if original[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


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


@lru_cache(maxsize=1)
def _glossary() -> list[tuple[re.Pattern, str]]:
    from importlib.resources import files

    rows = []
    text = files("assistant").joinpath("data/glossary_en_vi.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#") and "\t" in line:
            en, vi = line.split("\t", 1)
            rows.append((en.strip(), vi.strip()))
    rows.sort(key=lambda r: -len(r[0]))
    return [(re.compile(r"(?<!\w)" + re.escape(en) + r"(?!\w)", re.IGNORECASE), vi) for en, vi in rows]


def translate_keywords(question: str) -> str:
    """English question -> Vietnamese keywords from the glossary, plus the untranslated names."""
    found, rest = [], question
    for pattern, vi in _glossary():
        if pattern.search(rest):
            found.append(vi)
            rest = pattern.sub(" ", rest)
    from ..places import find_places

    named = find_places(rest, accented=False)
    for f in reversed(named):  # "Hanoi" -> "Hà Nội": the articles' own spelling
        found.append(f.place.name)
        rest = rest[: f.start] + " " + rest[f.end :]
    names = [w for w in words(rest) if w[:1].isupper() and w.lower() not in ENGLISH_WORDS] + re.findall(r"\d[\d/.,]*", rest)
    return " ".join(found + names)


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
        self._restorer: DiacriticRestorer | None = None
        self._shingle_cache: dict[int, set] = {}

    # subtle: both are built on first use, not at start: at 10,000 articles they cost seconds of
    # every cold start, and most questions need neither the restorer nor most chunks' shingles
    @property
    def restorer(self) -> DiacriticRestorer:
        if self._restorer is None:
            self._restorer = DiacriticRestorer(self.index.syllables)
        return self._restorer

    def _shingles_of(self, idx: int) -> set:
        got = self._shingle_cache.get(idx)
        if got is None:
            got = self._shingle_cache[idx] = word_shingles(self.index.chunks[idx].text, 3)
        return got

    def prepare(self, question: str) -> Query:
        text = normalize(question.strip())
        if looks_english(text):  # e5 is multilingual; BM25 needs Vietnamese words
            return Query(text=text, dense_text=text, accented=True, lexical_text=translate_keywords(text))
        accented = has_diacritics(text) or not re.search(r"[A-Za-z]", text)
        dense_text = text if accented else self.restorer.restore(text)
        return Query(text=text, dense_text=dense_text, accented=accented)

    def idf(self, query: Query):
        """IDF of a term as the question's terms are written (with or without diacritics)."""
        return self.bm25.idf if query.accented else self.bm25_folded.idf

    def dense(self, query: Query, k: int, vector: np.ndarray | None = None) -> list[tuple[int, float]]:
        vec = self.embedder.query(query.dense_text) if vector is None else vector
        return self.index.store.search(vec, k)

    def lexical(self, query: Query, k: int) -> list[list[tuple[int, float]]]:
        lists = [self.bm25.search(index_terms(query.lexical), k)]
        if not query.accented:
            lists.append(self.bm25_folded.search(index_terms(query.text, folded=True), k))
        return lists

    def search(self, question: str | Query, k: int = 5, vector: np.ndarray | None = None) -> list[ScoredChunk]:
        query = question if isinstance(question, Query) else self.prepare(question)
        n = max(self.candidates, k * 3)
        dense = self.dense(query, n, vector) if self.mode in ("hybrid", "dense") else []
        lexical = self.lexical(query, n) if self.mode in ("hybrid", "bm25") else []
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
