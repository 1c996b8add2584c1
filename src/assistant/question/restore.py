"""Diacritics put back on a question typed without them, and English questions' Vietnamese keywords.

``DiacriticRestorer`` restores "so ngoai vu ha noi" to "Sở Ngoại vụ Hà Nội" from the corpus's
own syllable statistics (a bigram Viterbi), because the e5 model reads "Hà Nội" far better than
"Ha Noi"; general Vietnamese phrases and every place name are added to the corpus's counts.
``translate_keywords`` gives an English question the Vietnamese words BM25 needs, from a
glossary and the place list. Deliberately not here: deciding when to use either (``query.py``).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from functools import lru_cache
from itertools import pairwise

from ..vietnamese import ENGLISH_WORDS, fold, has_diacritics, words
from .places import find_places, places


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
        for place in places():  # every province's and country's name, not only the corpus's
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
    named = find_places(rest, accented=False)
    for f in reversed(named):  # "Hanoi" -> "Hà Nội": the articles' own spelling
        found.append(f.place.name)
        rest = rest[: f.start] + " " + rest[f.end :]
    names = [w for w in words(rest) if w[:1].isupper() and w.lower() not in ENGLISH_WORDS] + re.findall(r"\d[\d/.,]*", rest)
    return " ".join(found + names)
