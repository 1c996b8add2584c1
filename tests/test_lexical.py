"""BM25 and syllable counts computed at build time, saved, memory-mapped: the same numbers as computed at start."""

import random
from collections import Counter
from itertools import pairwise

import bm25s
import numpy as np

from assistant.store.lexical import LexicalIndex, SyllableCounts
from assistant.vietnamese import index_terms, words
from conftest import CORPUS


def _texts():
    return [p.read_text(encoding="utf-8") for p in sorted(CORPUS.iterdir()) if p.suffix in (".txt", ".md")]


def test_saved_bm25_scores_as_bm25s_does(tmp_path):
    docs = [t[i : i + 600] for t in _texts() for i in range(0, len(t), 500)] + [""]  # an empty chunk too
    terms = [index_terms(d) for d in docs]
    LexicalIndex.build(terms).save(tmp_path, "bm25")
    lex = LexicalIndex.load(tmp_path, "bm25", len(terms))
    assert isinstance(lex.data, np.memmap)
    ref = bm25s.BM25()
    ref.index([t or ["∅"] for t in terms], show_progress=False)
    vocab = sorted({t for ts in terms for t in ts})
    rng = random.Random(0)
    for _ in range(200):
        q = rng.sample(vocab, rng.randint(1, 6)) + ["không_có_từ_này"]
        known = [t for t in q if t in ref.vocab_dict]
        assert np.array_equal(lex.scores(q), ref.get_scores(known))
    df = Counter(t for ts in terms for t in set(ts))
    assert all(lex.df(t) == df[t] for t in vocab) and lex.df("không_có_từ_này") == 0
    assert lex.search(["không_có_từ_này"], 5) == []


def test_saved_syllable_counts_equal_a_count_of_the_text(tmp_path):
    texts = _texts()
    SyllableCounts.build(texts).save(tmp_path)
    got = SyllableCounts.load(tmp_path)
    uni, bi = Counter(), Counter()
    for text in texts:
        for line in text.splitlines():
            toks = [w.lower() for w in words(line)]
            uni.update(toks)
            bi.update(pairwise(toks))
    assert all(got.unigram(w) == n for w, n in uni.items())
    assert all(got.bigram(a, b) == n for (a, b), n in bi.items())
    assert got.bigram("hà", "không_có") == 0 and got.unigram("zzz") == 0
    assert {"hà", "hạ"} <= got.forms()["ha"]
