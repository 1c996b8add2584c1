"""Check a generated answer sentence by sentence against the passages the model was given.

A language model's answer reaches the user only through :class:`AnswerVerifier`. For each
sentence (its ``[n]`` markers attached) it decides:

* a marker naming no given passage (``[7]`` of five) is dropped, always;
* a cited sentence is **kept** when one of its cited passages supports it: enough of its
  words occur in the passage (lexical), it is close in meaning to one of the passage's
  sentences (e5 cosine), and every number or date it states occurs in the passage;
* a sentence its own passages do not support but another given passage does is kept with
  the citation corrected (small models often cite the neighbour of the right passage); an
  uncited sentence that a passage supports gets that citation added;
* otherwise a cited sentence is **removed** (or flagged, by setting), and an uncited one is
  **flagged** as unverified -- unless it states a number found in no passage, which is an
  invented figure and is removed;
* repeated sentences, echoes of the refusal and sentences with no content are removed.

The quote of each citation is the passage sentence that best supports the claim citing it,
so it is always a substring of the passage. Deliberately not here: the model, the prompt,
the decision to fall back (generation.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .documents import Citation, SentenceCheck
from .embedding import VectorEmbeddings
from .index import LoadedIndex
from .vietnamese import STOPWORDS, fold, normalize, sentence_spans, words

CITE = re.compile(r"\[\s*(\d+(?:\s*[,;–-]\s*\d+)*)\s*\]")
FLAG = "(⚠ chưa kiểm chứng)"
_NUMBER = re.compile(r"\d+(?:[.,/]\d+)*")
_ONLY_MARKERS = re.compile(r"^(?:\s*\[[^\]]*\])+[\s.,;:]*$")
_FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS)
_REFUSAL_KEY = "khong tim thay thong tin"


@dataclass(frozen=True)
class Passage:
    """One passage as given to the model: number ``n`` in the prompt, offsets in its document."""

    n: int
    doc_id: str
    title: str
    date: str
    chunk_id: str
    start: int
    end: int
    text: str


# --- sentence units ------------------------------------------------------------------------
def claim_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans of generated text, each with the markers that follow it ("… 1996. [1]")."""
    spans: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        if spans and _ONLY_MARKERS.match(text[start:end]):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def cited_numbers(sentence: str) -> list[int]:
    """Passage numbers a sentence cites: "[1]", "[1, 3]", "[2-4]", in order, once each."""
    out: list[int] = []
    for m in CITE.finditer(sentence):
        for part in re.split(r"\s*[,;]\s*", m.group(1)):
            bounds = [int(x) for x in re.split(r"\s*[–-]\s*", part)]
            if len(bounds) == 2 and 0 < bounds[1] - bounds[0] < 10:
                out.extend(range(bounds[0], bounds[1] + 1))
            else:
                out.extend(bounds)
    return list(dict.fromkeys(out))


def strip_markers(sentence: str) -> str:
    core = CITE.sub("", sentence)
    core = re.sub(r"\s+([.,;:!?…)])", r"\1", core)
    return re.sub(r"[ \t]{2,}", " ", core).strip()


def terms(text: str) -> set[str]:
    """Folded content words: what lexical support counts."""
    return {t for t in (fold(w.lower()) for w in words(normalize(text))) if t not in _FOLDED_STOPWORDS}


def numbers(text: str) -> set[str]:
    """Numbers with their leading zeros dropped and "," = "." = "/" ("19/03/1983" = "19/3/1983")."""
    return {"|".join(p.lstrip("0") or "0" for p in re.split(r"[.,/]", m)) for m in _NUMBER.findall(text)}


def number_parts(text: str) -> set[str]:
    """Every run of components of every number: "9/11/2015" also supports "2015" and "11/2015"."""
    out = set()
    for n in numbers(text):
        parts = n.split("|")
        out.update("|".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1))
    return out


# --- support -----------------------------------------------------------------------------
@dataclass
class _PassageData:
    passage: Passage
    spans: list[tuple[int, int]]  # sentence offsets in the document
    vectors: np.ndarray  # their e5 passage vectors
    terms: set[str]
    numbers: set[str]
    sentence_terms: list[set[str]]
    sentence_texts: list[str]


@dataclass(frozen=True)
class Support:
    n: int
    lexical: float
    similarity: float
    numbers_ok: bool
    quote: tuple[int, int]  # document offsets of the best supporting sentence

    def ok(self, min_lexical: float, min_similarity: float) -> bool:
        return self.numbers_ok and self.lexical >= min_lexical and self.similarity >= min_similarity

    @property
    def strength(self) -> float:
        return self.lexical + self.similarity + (0.5 if self.numbers_ok else 0.0)


@dataclass
class AnswerVerifier:
    """Verifies the sentences of one answer against its passages; remembers what it decided."""

    passages: list[Passage]
    index: LoadedIndex
    embedder: VectorEmbeddings
    question: str = ""
    min_lexical: float = 0.6
    min_similarity: float = 0.8
    unsupported: str = "remove"  # or "flag"
    checks: list[SentenceCheck] = field(default_factory=list)
    _data: dict[int, _PassageData] = field(default_factory=dict)
    _quotes: dict[int, tuple[float, tuple[int, int]]] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)
    _question_terms: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        by_doc: dict[str, list[int]] = {}
        for i, s in enumerate(self.index.sentences):
            by_doc.setdefault(s.doc_id, []).append(i)
        for p in self.passages:
            doc_text = self.index.documents[p.doc_id].text
            ids = [i for i in by_doc.get(p.doc_id, ())
                   if self.index.sentences[i].start >= p.start and self.index.sentences[i].end <= p.end]
            if ids:
                spans = [(self.index.sentences[i].start, self.index.sentences[i].end) for i in ids]
                vectors = self.index.sentence_vectors[ids]
            else:  # an index built without sentence vectors: embed this passage's sentences now
                spans = [(p.start + a, p.start + b) for a, b in sentence_spans(p.text)] or [(p.start, p.end)]
                vectors = self.embedder.passages([doc_text[a:b] for a, b in spans])
            self._data[p.n] = _PassageData(
                p, spans, np.asarray(vectors), terms(p.title + " " + p.text), number_parts(p.text),
                [terms(doc_text[a:b]) for a, b in spans], [doc_text[a:b] for a, b in spans],
            )
        self._question_terms = terms(self.question)

    @property
    def valid(self) -> set[int]:
        return set(self._data)

    def support(self, n: int, claim_terms: set[str], claim_numbers: set[str], vector: np.ndarray) -> Support:
        d = self._data[n]
        lexical = len(claim_terms & d.terms) / len(claim_terms) if claim_terms else 0.0
        sims = d.vectors @ vector
        overlap = np.array([len(claim_terms & st) / max(1, len(claim_terms)) for st in d.sentence_terms])
        figures = np.array([len(claim_numbers & number_parts(st)) for st in d.sentence_texts], dtype=float)
        best = int(np.argmax(sims + 0.5 * overlap + 0.5 * figures / max(1, len(claim_numbers))))
        return Support(n, lexical, float(sims.max()), claim_numbers <= d.numbers, d.spans[best])

    def check(self, sentence: str) -> tuple[SentenceCheck, str]:
        """The verdict on one generated sentence and the text to show for it ("" if removed)."""
        sentence = sentence.strip()
        core = strip_markers(sentence)
        cited = cited_numbers(sentence)
        valid = [n for n in cited if n in self._data]
        reasons = [f"invented_citation:[{n}]" for n in cited if n not in self._data]
        claim_terms = terms(core)
        key = " ".join(sorted(claim_terms))
        if not claim_terms or not any(c.isalpha() for c in core):
            return self.record(sentence, "removed", reasons + ["no_content"])
        if _REFUSAL_KEY in fold(core.lower()):
            return self.record(sentence, "removed", reasons + ["refusal"])
        if key in self._seen:
            return self.record(sentence, "removed", reasons + ["duplicate"])
        if self._question_terms and claim_terms <= self._question_terms:
            return self.record(sentence, "removed", reasons + ["restates_question"])
        self._seen.add(key)

        claim_numbers = numbers(core)
        vector = self.embedder.query(core)
        supports = {n: self.support(n, claim_terms, claim_numbers, vector) for n in self._data}
        ok = [s for s in supports.values() if s.ok(self.min_lexical, self.min_similarity)]
        best = max(supports.values(), key=lambda s: s.strength, default=None)
        own = [supports[n] for n in valid if supports[n] in ok]
        if own:
            dropped = [n for n in valid if supports[n] not in ok]
            reasons += [f"citation_dropped:[{n}]" for n in dropped]
            return self._keep(sentence, core, own, reasons)
        if ok:
            right = max(ok, key=lambda s: s.strength)
            if valid:
                reasons.append(f"citation_corrected:{''.join(f'[{n}]' for n in valid)}->[{right.n}]")
            elif cited:
                reasons.append(f"citation_corrected:->[{right.n}]")
            else:
                reasons.append(f"citation_added:[{right.n}]")
            return self._keep(sentence, core, [right], reasons)

        lex, sim = (best.lexical, best.similarity) if best else (0.0, 0.0)
        known = set().union(*(d.numbers for d in self._data.values())) if self._data else set()
        if claim_numbers and not claim_numbers <= known:
            reasons.append("number_not_in_passages")
            return self.record(sentence, "removed", reasons, lexical=lex, similarity=sim)
        if cited:
            reasons.append("unsupported")
            if self.unsupported != "flag":
                return self.record(sentence, "removed", reasons, lexical=lex, similarity=sim)
        else:
            reasons.append("uncited_number" if claim_numbers else "uncited")
        return self.record(sentence, "flagged", reasons, lexical=lex, similarity=sim, shown=f"{core} {FLAG}")

    def _keep(self, sentence: str, core: str, supports: list[Support], reasons: list[str]) -> tuple[SentenceCheck, str]:
        for s in supports:
            score = s.lexical + s.similarity
            if s.n not in self._quotes or score > self._quotes[s.n][0]:
                self._quotes[s.n] = (score, s.quote)
        ns = tuple(sorted(s.n for s in supports))
        shown = f"{core} {''.join(f'[{n}]' for n in ns)}"
        top = max(supports, key=lambda s: s.strength)
        return self.record(sentence, "kept", reasons, ns, top.lexical, top.similarity, shown)

    def record(self, sentence: str, verdict: str, reasons: list[str], citations: tuple[int, ...] = (),
                lexical: float = 0.0, similarity: float = 0.0, shown: str = "") -> tuple[SentenceCheck, str]:
        check = SentenceCheck(sentence, verdict, tuple(reasons), citations, lexical, similarity)
        self.checks.append(check)
        return check, shown

    def citations(self, cited: set[int]) -> list[Citation]:
        """One Citation per passage number shown, quoting its best supporting sentence."""
        out = []
        for n in sorted(cited):
            p = self._data[n].passage
            doc = self.index.documents[p.doc_id]
            start, end = self._quotes.get(n, (0.0, self._data[n].spans[0]))[1]
            out.append(Citation(n=n, doc_id=p.doc_id, title=p.title, date=p.date, quote=doc.text[start:end],
                                passage=p.text, chunk_id=p.chunk_id, start=start, end=end,
                                outlet=doc.outlet, url=doc.url))
        return out
