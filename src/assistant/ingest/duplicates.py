"""Republished copies: one article, several outlets (a TTXVN wire story, a press release).

Two documents are copies when the sets of 5-word shingles of their cleaned texts (case and
diacritics folded) overlap by at least ``SAME_ARTICLE`` (Jaccard). That is our definition
of "the same text, give or take an outlet's header, footer or a corrected typo", not a
fitted threshold: copies of one wire story score above 0.95, and two different articles on
one event share far less (``tests/test_duplicates.py`` checks both sides). Candidates come
from MinHash with LSH banding, so a 10,000-article archive is not compared pair by pair;
every candidate pair is then checked exactly.

The earliest-dated copy (then the smallest id) stays the article; the others are recorded
on it as ``Copy`` entries, so a citation can name every outlet, and are not indexed again.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import replace

import numpy as np

from ..documents import Copy, Document
from ..vietnamese import word_shingles
from .parallel import pmap

SAME_ARTICLE = 0.9
SHINGLE = 5
_PERMS, _BANDS = 64, 16  # 16 bands of 4 rows: a pair at Jaccard 0.9 collides with probability > 0.999
_PRIME = (1 << 61) - 1


def shingles(text: str) -> set[int]:
    return {zlib.crc32(" ".join(s).encode()) for s in word_shingles(text, SHINGLE) if s}


def jaccard(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _signature(sh: set[int], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x = np.fromiter(sh, dtype=np.uint64, count=len(sh))
    # (a*x + b) mod p on uint64 wraps; the wrap is itself a fine hash family for banding
    return ((a[:, None] * x[None, :] + b[:, None]) % np.uint64(_PRIME)).min(axis=1)


def find_copies(docs: list[Document]) -> dict[str, str]:
    """copy doc_id -> the doc_id of the article it copies."""
    rng = np.random.default_rng(20261130)
    a = rng.integers(1, _PRIME, size=_PERMS, dtype=np.uint64)
    b = rng.integers(0, _PRIME, size=_PERMS, dtype=np.uint64)
    sets = dict(zip((d.doc_id for d in docs), pmap(shingles, [d.text for d in docs])))
    buckets: dict[tuple, list[str]] = defaultdict(list)
    rows = _PERMS // _BANDS
    with np.errstate(over="ignore"):
        for doc_id, sh in sets.items():
            if not sh:
                continue
            sig = _signature(sh, a, b)
            for band in range(_BANDS):
                buckets[(band, sig[band * rows : (band + 1) * rows].tobytes())].append(doc_id)
    order = {d.doc_id: (d.date_sort or "9999", d.doc_id) for d in docs}
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while x in parent:
            x = parent[x]
        return x

    seen: set[tuple[str, str]] = set()
    for members in buckets.values():
        for i, x in enumerate(members):
            for y in members[i + 1 :]:
                pair = (x, y) if x < y else (y, x)
                if pair in seen:
                    continue
                seen.add(pair)
                if jaccard(sets[x], sets[y]) >= SAME_ARTICLE:
                    rx, ry = root(x), root(y)
                    if rx != ry:  # the earlier-dated article absorbs the later one
                        keep, drop = sorted((rx, ry), key=order.__getitem__)
                        parent[drop] = keep
    return {x: root(x) for x in parent}


def merge_copies(docs: list[Document]) -> tuple[list[Document], dict[str, str]]:
    """The articles with their copies recorded on them, and copy id -> article id."""
    copies = find_copies(docs)
    if not copies:
        return docs, {}
    extra: dict[str, list[Copy]] = defaultdict(list)
    by_id = {d.doc_id: d for d in docs}
    for copy_id, keep in sorted(copies.items()):
        d = by_id[copy_id]
        extra[keep].append(Copy(d.doc_id, d.title, d.outlet, d.url, d.date_label, d.content_hash))
    out = [replace(d, copies=d.copies + tuple(extra[d.doc_id])) if d.doc_id in extra else d
           for d in docs if d.doc_id not in copies]
    return out, copies
