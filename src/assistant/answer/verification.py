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
  **flagged** as unverified -- unless it states a number or a name found in no passage, an
  invented figure or name, which is removed;
* repeated sentences, restatements of the question, echoes of a passage header, of the
  instructions or of the refusal, loops and sentences with no content are removed.

Support is judged on a window of one or two adjacent sentences of the passage (plus its
title), not the whole passage: words (``min_lexical``), meaning (``min_similarity``, e5),
every number and every capitalised name. The thresholds suit multilingual-e5-small, whose
cosines are compressed into 0.75-1.0; they were set on the development questions.

The quote of each citation is the passage sentence that best supports the claim citing it,
so it is always a substring of the passage. Deliberately not here: the model, the prompt,
the decision to fall back (generative.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..documents import Citation, SentenceCheck
from ..question.kinds import NUMBER
from ..vietnamese import STOPWORDS, fold, normalize, sentence_spans, words
from .instructions import addresses_reader

if TYPE_CHECKING:  # types only: a stage is handed these by pipeline.py, never imports them
    from ..ingest.embedding import VectorEmbeddings
    from ..store.disk import LoadedIndex

CITE = re.compile(r"\[\s*(\d+(?:\s*[,;–-]\s*\d+)*)\s*\]")
FLAG = "(⚠ chưa kiểm chứng)"
_ONLY_MARKERS = re.compile(r"^(?:\s*\[[^\]]*\])+[\s.,;:]*$")
_FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS)
_REFUSAL_KEY = "khong tim thay thong tin"
MIN_TERMS = 3  # fewer content words is a caption ("Ảnh 4.") or a fragment, not a claim
MIN_DISTINCT = 0.6  # share of distinct words below which a sentence is a model looping


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


def names(text: str) -> set[str]:
    """Capitalised words after the first, lower-cased: the places, people and bodies a claim names.

    subtle: compared with their diacritics ("Nội" is not "nơi"), except a name typed without any.
    """
    return {w.lower() for w in words(normalize(text))[1:] if w[:1].isupper()} - STOPWORDS


def vocabulary(text: str) -> set[str]:
    """Lower-cased words of ``text``, with and without diacritics, for :func:`names`."""
    low = [w.lower() for w in words(normalize(text))]
    return set(low) | {fold(w) for w in low}


def numbers(text: str) -> set[str]:
    """Numbers with their leading zeros dropped and "," = "." = "/" ("19/03/1983" = "19/3/1983")."""
    return {"|".join(p.lstrip("0") or "0" for p in re.split(r"[.,/]", m)) for m in NUMBER.findall(text)}


def number_parts(text: str) -> set[str]:
    """Every run of components of every number: "9/11/2015" also supports "2015" and "11/2015"."""
    out: set[str] = set()
    for n in numbers(text):
        parts = n.split("|")
        out.update("|".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1))
    return out


# --- support -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Claim:
    terms: set[str]
    numbers: set[str]
    names: set[str]
    vector: np.ndarray


@dataclass
class _PassageData:
    passage: Passage
    spans: list[tuple[int, int]]  # sentence offsets in the document
    vectors: np.ndarray  # their e5 passage vectors
    terms: set[str]  # of the whole passage and its title
    title_terms: set[str]
    sentence_terms: list[set[str]]
    sentence_numbers: list[set[str]]
    sentence_vocab: list[set[str]]  # for names, diacritics kept
    title_vocab: set[str]


@dataclass(frozen=True)
class Support:
    """How well passage ``n`` supports a claim, judged on its best window of 1-2 sentences."""

    n: int
    lexical: float  # share of the claim's words in the window
    similarity: float  # e5 cosine of the claim with the window's closest sentence
    numbers_ok: bool  # every number of the claim is in the window
    names_ok: bool  # every capitalised name of the claim is in the window or the title
    quote: tuple[int, int]  # document offsets of that closest sentence

    def failed(self, min_lexical: float, min_similarity: float) -> list[str]:
        checks = (("words", self.lexical >= min_lexical), ("meaning", self.similarity >= min_similarity),
                  ("numbers", self.numbers_ok), ("names", self.names_ok))
        return [name for name, ok in checks if not ok]

    @property
    def strength(self) -> float:
        return self.lexical + self.similarity + 0.5 * self.numbers_ok + 0.5 * self.names_ok


@dataclass
class AnswerVerifier:
    """Verifies the sentences of one answer against its passages; remembers what it decided."""

    passages: list[Passage]
    index: LoadedIndex
    embedder: VectorEmbeddings
    question: str = ""
    min_lexical: float = 0.7
    min_similarity: float = 0.85
    unsupported: str = "remove"  # or "flag"
    instructions: str = ""  # the system prompt, whose sentences a weak model may recite
    question_vector: np.ndarray | None = None  # the question's embedding (Query.vector): not embedded again
    checks: list[SentenceCheck] = field(default_factory=list)
    _data: dict[int, _PassageData] = field(default_factory=dict)
    _quotes: dict[int, tuple[float, tuple[int, int]]] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)
    _question_terms: set[str] = field(default_factory=set)
    _instruction_terms: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for p in self.passages:
            doc_text = self.index.documents[p.doc_id].text
            ids = [i for i in self.index.sentences.of_doc(p.doc_id)
                   if self.index.sentences[i].start >= p.start and self.index.sentences[i].end <= p.end]
            if ids:
                spans = [(self.index.sentences[i].start, self.index.sentences[i].end) for i in ids]
                vectors = self.index.sentence_vectors[ids]
            else:  # an index built without sentence vectors: embed this passage's sentences now
                spans = [(p.start + a, p.start + b) for a, b in sentence_spans(p.text)] or [(p.start, p.end)]
                vectors = self.embedder.passages([doc_text[a:b] for a, b in spans])
            # a sentence telling a model what to say supports nothing (instructions.py)
            keep = [i for i, (a, b) in enumerate(spans) if not addresses_reader(doc_text[a:b])]
            spans, vectors = [spans[i] for i in keep], np.asarray(vectors)[keep]
            self._data[p.n] = _PassageData(
                p, spans, np.asarray(vectors), terms(p.title + " " + p.text), terms(p.title),
                [terms(doc_text[a:b]) for a, b in spans], [number_parts(doc_text[a:b]) for a, b in spans],
                [vocabulary(doc_text[a:b]) for a, b in spans], vocabulary(p.title),
            )
        self._question_terms = terms(self.question)
        self._instruction_terms = terms(self.instructions)

    @property
    def valid(self) -> set[int]:
        return set(self._data)

    def support(self, n: int, claim: _Claim) -> Support:
        """Support of ``claim`` by passage ``n``: the best window of one or two adjacent sentences.

        subtle: a window, not the whole passage, because a small model splices a figure from
        one sentence into the subject of another; both are "in the passage", neither claim is.
        """
        d = self._data[n]
        if not d.spans:  # every sentence of the passage spoke to the model
            return Support(n, 0.0, 0.0, False, False, (d.passage.start, d.passage.start))
        sims = d.vectors @ claim.vector
        best: Support | None = None
        for i in range(len(d.spans)):
            for j in (i, i + 1)[: 2 if i + 1 < len(d.spans) else 1]:
                words_ = d.sentence_terms[i] | d.sentence_terms[j]
                top = i if sims[i] >= sims[j] else j
                cand = Support(n, len(claim.terms & words_) / len(claim.terms), float(sims[top]),
                               claim.numbers <= d.sentence_numbers[i] | d.sentence_numbers[j],
                               claim.names <= d.sentence_vocab[i] | d.sentence_vocab[j] | d.title_vocab, d.spans[top])
                if best is None or cand.strength > best.strength:
                    best = cand
        assert best is not None
        return best

    def check(self, sentence: str) -> tuple[SentenceCheck, str]:
        """The verdict on one generated sentence and the text to show for it ("" if removed)."""
        sentence = sentence.strip()
        core = strip_markers(sentence)
        cited = cited_numbers(sentence)
        valid = [n for n in cited if n in self._data]
        reasons = [f"invented_citation:[{n}]" for n in cited if n not in self._data]
        claim_terms = terms(core)
        key = " ".join(sorted(claim_terms))
        if len(claim_terms) < MIN_TERMS or not any(c.isalpha() for c in core):
            return self.record(sentence, "removed", reasons + ["no_content"])
        syllables = [fold(w.lower()) for w in words(core)]
        if len(set(syllables)) < MIN_DISTINCT * len(syllables):
            return self.record(sentence, "removed", reasons + ["repetitive"])
        if _REFUSAL_KEY in fold(core.lower()):
            return self.record(sentence, "removed", reasons + ["refusal"])
        if key in self._seen:
            return self.record(sentence, "removed", reasons + ["duplicate"])
        self._seen.add(key)
        if self._question_terms and claim_terms <= self._question_terms:
            return self.record(sentence, "removed", reasons + ["restates_question"])
        if any(claim_terms <= d.title_terms | terms(d.passage.date) for d in self._data.values()):
            return self.record(sentence, "removed", reasons + ["passage_header"])
        if claim_terms <= self._instruction_terms:
            return self.record(sentence, "removed", reasons + ["prompt_echo"])

        claim = _Claim(claim_terms, numbers(core), names(core), self.embedder.query(core))
        supports = {n: self.support(n, claim) for n in self._data}
        ok = [s for s in supports.values() if not s.failed(self.min_lexical, self.min_similarity)]
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

        # report the cited passage's support when there is one, else the best of any passage
        best = max((supports[n] for n in valid), key=lambda s: s.strength, default=best)
        lex, sim = (best.lexical, best.similarity) if best else (0.0, 0.0)
        # a figure or a name found in no passage at all is invented (or copied from the prompt's example)
        known = set().union(*(n for d in self._data.values() for n in d.sentence_numbers))
        vocab = set().union(*(v for d in self._data.values() for v in (*d.sentence_vocab, d.title_vocab)))
        if claim.numbers - known or claim.names - vocab:
            reasons.append("number_not_in_passages" if claim.numbers - known else "name_not_in_passages")
            return self.record(sentence, "removed", reasons, lexical=lex, similarity=sim)
        if cited:
            weak = best.failed(self.min_lexical, self.min_similarity) if best else []
            reasons.append("unsupported" + (f":{','.join(weak)}" if weak else ""))
            if self.unsupported != "flag":
                return self.record(sentence, "removed", reasons, lexical=lex, similarity=sim)
        else:
            reasons.append("uncited_number" if claim.numbers else "uncited")
        return self.record(sentence, "flagged", reasons, lexical=lex, similarity=sim, shown=f"{core} {FLAG}")

    def _keep(self, sentence: str, core: str, supports: list[Support], reasons: list[str]) -> tuple[SentenceCheck, str]:
        for s in supports:
            score = s.lexical + s.similarity
            if s.n not in self._quotes or score > self._quotes[s.n][0]:
                self._quotes[s.n] = (score, s.quote)
        ns = tuple(sorted(s.n for s in supports))
        shown = f"{core} {''.join(f'[{n}]' for n in ns)}"
        top = max(supports, key=lambda s: s.strength)
        relevance = 0.0
        if self.question_vector is not None:
            relevance = float(self.embedder.passages([core])[0] @ self.question_vector)
        return self.record(sentence, "kept", reasons, ns, top.lexical, top.similarity, shown, relevance)

    def record(self, sentence: str, verdict: str, reasons: list[str], citations: tuple[int, ...] = (),
               lexical: float = 0.0, similarity: float = 0.0, shown: str = "",
               relevance: float = 0.0) -> tuple[SentenceCheck, str]:
        check = SentenceCheck(sentence, verdict, tuple(reasons), citations, lexical, similarity, relevance)
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
                                outlet=doc.outlet, url=doc.url, page=doc.page_at(start),
                                also=doc.outlets()))
        return out
