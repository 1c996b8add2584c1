"""Grounded extractive answering: quote the sentences that answer, or refuse.

Every sentence of the retrieved passages is a candidate. For each we compute a few general
signals (``decision.FEATURES``: e5 similarity, IDF coverage of the question, rank, whether it
holds the kind of answer asked for and the noun the question counts...) and, above all, how it
stands to what the question names -- its places, years, figures, acronyms, laws and names:
the share that the sentence and what it depends on (the sentence before it, its paragraph's
first sentence, the title; :meth:`ExtractiveAnswerer._scope`) do not state, and whether the
sentence states another of the same sort instead (another province, another country, another
acronym): a near miss. A fitted logistic model turns the signals into the probability that the
sentence answers, and a question-level model, reading the best sentence and the best sentence
that states everything the question names, decides whether to answer at all. Below its fitted
threshold the answer is the refusal, never a loosely related quote.

The detectors (``_checks``: a period or place not stated, another province instead, an
acronym not stated, no figure of the kind or unit asked, a past figure for "hiện nay") are
signals the model weighs; the fit also chooses which of them still veto a sentence outright
(``DecisionModel.vetoes``; what each would cost answerable XQuAD-vi questions is in
``data/answerer.json``, "rules_cost").

When the chosen sentences come from articles of different dates, each is labelled with its
date, newest first, because figures change over time. A comparison quotes each side, or says
which side the articles lack. The short answer is read from the best sentence by
``shortanswer`` and shown only when its fitted model is confident.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..documents import Answer, Citation, Document, ScoredChunk
from ..question import kinds
from ..question.analysis import Analysis
from ..question.places import find_places
from ..vietnamese import STOPWORDS, fold, index_terms
from . import REFUSAL
from .decision import NO_MATCH, DecisionModel, Decisions, default_model
from .instructions import addresses_reader
from .shortanswer import ShortModel, candidate_spans

if TYPE_CHECKING:  # types only: a stage is handed these by pipeline.py, never imports them
    from ..question.query import Query
    from ..store.disk import LoadedIndex

ENUMERATION = re.compile(r"(?:^|[,:;]\s*)[A-ZĐÀ-Ỹ]")
# kinds whose detectors are precise enough to be rules: a sentence without one does not answer
# (what each costs answerable XQuAD-vi questions is in data/answerer.json, "rules_cost")
_FIGURES = ("number", "day", "month", "year")
_OWN_TIME = re.compile(r"\b\d+\s+(?:năm|tháng|thập kỷ|thế kỷ)\b|\b(?:giai đoạn|thời kỳ|nhiệm kỳ)\b", re.IGNORECASE)
_MONEY_WORDS = frozenset({"tien", "von", "kinh"})  # tiền, vốn, kinh phí
_CURRENCIES = frozenset({"usd", "vnd", "đồng", "euro", "eur", "yên", "yen"})
_SCALES = frozenset({"nghìn", "ngàn", "triệu", "tỷ", "tỉ", "trăm"})
_TIE = 0.05  # sentence probabilities closer than this: the model cannot tell which answers
_UNIT_REACH = 8  # words between a figure and the noun it counts
_FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS)
_DEFINED = re.compile(r"((?:\w+\s+){1,7}\w+)\s*\(([A-ZĐ]{2,6})\)")  # "đầu tư trực tiếp nước ngoài (FDI)"


def dates_itself(text: str) -> bool:
    """A sentence with a time of its own: a year, "hiện nay", a duration ("sau hơn 20 năm"), a period."""
    return bool(kinds.YEAR.search(text) or kinds.NOW_STATED.search(text) or _OWN_TIME.search(text))


def counts_unit(text: str, unit: str) -> bool:
    """Whether a figure of ``text`` (in digits or words) counts what the question counts ("bao
    nhiêu dự án": a figure within a few words of "dự án"), before or after it ("tổng vốn … đạt
    5,1 tỷ USD")."""
    head = fold(unit.split()[0]).lower() if unit.split() else ""
    toks = list(re.finditer(r"\w+(?:[.,]\d+)*|%", text))
    figures = kinds.spans("number", text)
    money = head in _MONEY_WORDS  # "bao nhiêu tiền / vốn": an amount in a currency counts it
    raw = [m.group(0).lower() for m in toks]
    low = [fold(w) for w in raw]
    # a currency read with its diacritics: "đồng" is money, "lao động" and "cộng đồng" are not
    def currency(i: int) -> bool:  # "300 tỷ đồng", "5.000 đồng", "đô la"; not "cộng đồng", "đồng bào"
        before = raw[i - 1] if i else ""
        after_figure = before[:1].isdigit() or before in _SCALES
        return (raw[i] == "đồng" and after_figure) or (raw[i] in _CURRENCIES and raw[i] != "đồng") or (
            raw[i] == "la" and before == "đô")

    at = [i for i, w in enumerate(low) if w == head or (head == "phan" and w == "%") or (money and currency(i))]
    counted = [i for i, m in enumerate(toks) if any(s <= m.start() < e for s, e in figures)]
    return any(abs(i - j) <= _UNIT_REACH for i in at for j in counted)


def capitalised_runs(text: str) -> list[str]:
    """Names a question spells with capitals, outside acronyms: "Jared Allen", "Gunma". The
    question's first word is capitalised anyway, so it counts only inside a longer run."""
    runs: list[list[str]] = []
    last_end = None  # where the previous capitalised word ended, if the previous word was one
    for m in re.finditer(r"\w+", text):
        w = m.group(0)
        if w[:1].isupper() and not w.isdigit() and not kinds.ACRONYM.fullmatch(w):
            if runs and last_end is not None and not text[last_end : m.start()].strip():
                runs[-1].append(w)
            else:
                runs.append([w])
            last_end = m.end()
        else:
            last_end = None
    first = re.match(r"\W*(\w+)", text)
    return [" ".join(r) for r in runs
            if not (len(r) == 1 and first is not None and r[0] == first.group(1) and text.find(r[0]) == first.start(1))]


@dataclass
class Candidate:
    sent: int  # index into LoadedIndex.sentences
    doc: Document
    start: int
    end: int
    text: str
    hit: ScoredChunk
    hit_rank: int
    features: dict[str, float] = field(default_factory=dict)
    probability: float = 0.0
    ruled_out: str = ""  # the veto that excludes it, if any
    checks: tuple[str, ...] = ()  # every detector that fired (the fit chooses which veto)

    @property
    def passes(self) -> bool:
        return not self.ruled_out


@dataclass
class Judged:
    """Everything the answerer worked out for one question (the fit script reads this too)."""

    analysis: Analysis
    hits: list[ScoredChunk]
    candidates: list[Candidate]
    model: DecisionModel  # the one for the question's language
    matched_logit: float = NO_MATCH  # the best sentence logit among those stating all the question names


class ExtractiveAnswerer:
    """Composes a cited answer from retrieved sentences, or refuses.

    It reads the question's embedding (``Query.vector``) against the stored sentence vectors:
    it embeds nothing itself.
    """

    name = "extractive"

    def __init__(self, index: LoadedIndex, max_sentences: int = 3, models: Decisions | None = None) -> None:
        self.index = index
        self.max_sentences = max_sentences
        self.models = models or default_model()
        self._term_cache: dict[tuple[int, bool], frozenset[str]] = {}
        self._doc_terms: dict[tuple[str, bool], frozenset[str]] = {}
        self._acronym_phrases: dict[str, tuple[frozenset[str], ...]] | None = None

    # -- text helpers ---------------------------------------------------------------------
    def _text(self, sent: int) -> str:
        s = self.index.sentences[sent]
        return self.index.documents[s.doc_id].text[s.start : s.end]

    def _terms(self, sent: int, folded: bool) -> frozenset[str]:
        """Index terms of one sentence, memoised: word segmentation is the slow part of a query."""
        key = (sent, folded)
        if key not in self._term_cache:
            self._term_cache[key] = frozenset(index_terms(self._text(sent), folded=folded))
        return self._term_cache[key]

    def _article_terms(self, doc: Document, folded: bool) -> frozenset[str]:
        key = (doc.doc_id, folded)
        if key not in self._doc_terms:
            terms: set[str] = set(index_terms(doc.title, folded=folded))
            for si in self.index.sentences.of_doc(doc.doc_id):
                terms |= self._terms(si, folded)
            self._doc_terms[key] = frozenset(terms)
        return self._doc_terms[key]

    def _neighbours(self, cand: Candidate, before: int = 1, after: int = 1) -> list[int]:
        ids = self.index.sentences.of_doc(cand.doc.doc_id)
        pos = cand.sent - ids.start
        return list(ids[max(0, pos - before) : pos + after + 1])

    # -- candidates -----------------------------------------------------------------------
    def candidates(self, hits: list[ScoredChunk]) -> list[Candidate]:
        seen: set[int] = set()
        out = []
        for rank, hit in enumerate(hits, start=1):
            c = hit.chunk
            doc = self.index.documents[c.doc_id]
            for si in self.index.sentences.of_doc(c.doc_id):
                s = self.index.sentences[si]
                if s.start >= c.start and s.end <= c.end and si not in seen:
                    seen.add(si)
                    text = doc.text[s.start : s.end]
                    if addresses_reader(text):  # instructions in an article are data
                        continue
                    if _same_words(text, doc.title):  # the title repeated as the first line says no fact
                        continue
                    out.append(Candidate(si, doc, s.start, s.end, doc.text[s.start : s.end], hit, rank))
        return out

    def _coverage(self, a: Analysis, terms: frozenset[str] | set[str]) -> float:
        total = sum(a.terms.values())
        return sum(w for t, w in a.terms.items() if t in terms) / total if total else 0.0

    def _scope(self, cand: Candidate, title: bool = True) -> str:
        """What a sentence's claims are about: the sentence, the one before it (an explicit
        back-reference: "Tỉnh này…"), the first sentence of its paragraph (the paragraph's
        subject) and, unless ``title`` is false, the article's title.

        subtle: not the article's locality list nor its date label. A round-up article names
        every province it covers, and its date is when it was written, not a year it states;
        for years the title does not count either ("Công tác đối ngoại năm 2019" is not the year
        of a cumulative figure it reports).
        """
        ids = self.index.sentences.of_doc(cand.doc.doc_id)
        pos = cand.sent - ids.start
        text = cand.doc.text
        para = text.rfind("\n", 0, cand.start) + 1
        head = next((si for si in ids[: pos + 1] if self.index.sentences[si].end > para), cand.sent)
        parts = [cand.doc.title] if title else []
        for si in sorted({head, ids[max(0, pos - 1)]}):
            if si != cand.sent:
                s = self.index.sentences[si]
                parts.append(text[s.start : s.end])
        return " ".join([*parts, cand.text])

    def _expansions(self) -> dict[str, tuple[frozenset[str], ...]]:
        """What each acronym of the corpus stands for, read from the corpus itself: the last four
        content words before "(FDI)" in "đầu tư trực tiếp của nước ngoài (FDI)". A sentence
        holding those words states the acronym, though it does not spell it."""
        if self._acronym_phrases is None:
            found: dict[str, set[frozenset[str]]] = {}
            for doc in self.index.documents.values():
                for m in _DEFINED.finditer(doc.text):
                    content = [w for w in (fold(x).lower() for x in re.findall(r"\w+", m.group(1)))
                               if w not in _FOLDED_STOPWORDS]
                    if len(content) >= 2:
                        found.setdefault(m.group(2), set()).add(frozenset(content[-4:]))
            self._acronym_phrases = {k: tuple(v) for k, v in found.items()}
        return self._acronym_phrases

    def _states_acronym(self, acronym: str, text: str) -> bool:
        if re.search(r"(?<![\w.-])" + re.escape(acronym) + r"(?![\w.-])", text):
            return True
        words = kinds.folded_words(text)
        return any(phrase <= words for phrase in self._expansions().get(acronym, ()))

    def _named(self, a: Analysis, query: Query) -> list[tuple[str, str]]:
        """Everything the question names that an answer must be about: (kind, as written)."""
        out = [("place", p.name) for p in a.places]
        out += [("year", y) for y in a.years] + [("year", y) for r in a.ranges for y in r]
        out += [("number", n) for n in a.numbers if not kinds.YEAR.fullmatch(n)]
        out += [("acronym", x) for x in a.acronyms]
        out += [("law", x) for x in getattr(a, "laws", ())]
        place_words = kinds.folded_words(" ".join(f for p in a.places for f in p.variants))
        for name in capitalised_runs(query.text):
            if not kinds.folded_words(name) <= place_words:
                out.append(("name", name))
        return list(dict.fromkeys(out))

    def _states(self, kind: str, value: str, text: str, places: set) -> bool:
        if kind == "place":
            return value in places
        if kind == "acronym":
            return self._states_acronym(value, text)
        if kind == "name":
            return kinds.folded_words(value) <= kinds.folded_words(text)
        return bool(re.search(r"(?<![\d.,])" + re.escape(value) + r"(?![\d])", text))

    def _constraints(self, c: Candidate, a: Analysis, named: list[tuple[str, str]], scope: str,
                     query_text: str = "") -> dict[str, float]:
        """How well the sentence states what the question names: the share its scope
        (:meth:`_scope`) does not state, the share the sentence itself does not state, and
        whether the sentence states another place of the same sort (a province for a province,
        a country for a country) or another acronym instead of the one asked: a near miss."""
        if not named:
            return {"unmatched": 0.0, "unmatched_sentence": 0.0, "conflict": 0.0}
        own = {f.place.name: f.place for f in find_places(c.text, accented=True)}
        around = {f.place.name for f in find_places(scope, accented=True)}
        years_scope = scope if not dates_itself(c.text) else self._scope(c, title=False)
        missing_scope = sum(not self._states(k, v, years_scope if k == "year" else scope, around) for k, v in named)
        missing_own = sum(not self._states(k, v, c.text, set(own)) for k, v in named)
        conflict = 0
        # "tỉnh nào của Nhật Bản": another province is the answer, another country a near miss
        asks_country = kinds.asks_country(query_text)
        for p in a.places:
            sort = (p.vietnamese, p.country)
            answer_sort = a.expects == "place" and p.country == asks_country
            if p.name not in own and any((q.vietnamese, q.country) == sort for q in own.values()) and not answer_sort:
                conflict += 1
        for x in a.acronyms:
            there = set(kinds.ACRONYM.findall(c.text)) - set(a.acronyms)
            if there and not self._states_acronym(x, c.text):
                conflict += 1
        return {"unmatched": missing_scope / len(named), "unmatched_sentence": missing_own / len(named),
                "conflict": conflict / len(named)}

    def _checks(self, cand: Candidate, a: Analysis, scope: str, asked: frozenset[str],
                constraints: dict[str, float], question: str) -> dict[str, bool]:
        """The detectors, each a yes/no the model weighs (``rule_*`` features); the fitted model
        names the few that still veto a sentence (``DecisionModel.vetoes``)."""
        d = cand.doc
        stamps = " ".join(x for x in (d.date or "", d.date_label, d.date_sort) if x)
        # the sentence must state the years and periods the question names, or the sentences it
        # depends on must; a comparison ("2019 so với 2010–2015") needs one of its sides
        # the title's year ("… năm 2019") dates a sentence that does not date itself; a sentence
        # with its own time ("sau hơn 20 năm", "năm 2016", "hiện nay") is dated by it alone
        dated = scope if not dates_itself(cand.text) else self._scope(cand, title=False)
        periods = [lo in dated and hi in dated for lo, hi in a.ranges] + [y in dated for y in a.years]
        places = []
        for local in (True, False):
            named = [p for p in a.places if p.vietnamese == local]
            here = [self._names_in(p, scope) for p in named]
            places.append(bool(here) and not (any(here) if len(named) >= 2 else all(here)))
        past = False
        if a.now and d.date_sort[:4].isdigit():
            years = [int(y) for y in kinds.YEAR.findall(cand.text)]
            past = bool(years) and max(years) < int(d.date_sort[:4]) - 1 and not kinds.NOW_STATED.search(cand.text)
        return {
            "article date": bool(a.article_date) and a.article_date not in stamps and a.article_date[-4:] not in stamps,
            "period": bool(periods) and not (any(periods) if a.comparison else all(periods)),
            "place": any(places),
            # a comparison's answer is one of its sides: a sentence about a third province is not
            "place conflict": (self._third_side(cand, a) if a.comparison else constraints["conflict"] > 0 and not any(
                self._names_in(p, cand.text) for p in a.places)),
            "acronym": any(not self._states_acronym(x, scope) for x in a.acronyms)
            and bool(set(kinds.ACRONYM.findall(cand.text)) - set(a.acronyms)),
            # "bao nhiêu" needs a figure, "năm nào" a year; "ai" a name (a detector that misses more)
            "figure": a.expects in _FIGURES and not kinds.new_spans(a.expects, cand.text, asked),
            "person": a.expects == "person" and not kinds.new_spans("person", cand.text, asked),
            # "tỉnh nào của Lào": a sentence that names no province (of Laos) does not answer it
            "named place": a.expects == "place" and kinds.asks_named_place(question)
            and not kinds.answer_spans("place", cand.text, question),
            "unit": a.expects == "number" and bool(a.unit) and not counts_unit(cand.text, a.unit),
            "past figure": past,
        }

    @staticmethod
    def _key_terms(a: Analysis) -> list[str]:
        """The question's two rarest words that are not places or figures: what it is about."""
        place_words = kinds.folded_words(" ".join(f for p in a.places for f in p.variants))
        chosen: list[str] = []
        for t in sorted((t for t in a.terms if not any(ch.isdigit() for ch in t)
                         and not set(fold(t).lower().split("_")) <= place_words), key=lambda t: -a.terms[t]):
            words = set(t.split("_"))  # "kết_nghĩa" says what "nghĩa" says, and more precisely
            inside = next((c for c in chosen if set(c.split("_")) <= words), None)
            if inside is not None:
                chosen[chosen.index(inside)] = t
            elif not any(words <= set(c.split("_")) for c in chosen):
                chosen.append(t)
            if len(chosen) == 2:
                break
        return chosen

    def _signals(self, c: Candidate, a: Analysis, query: Query, dense: float,
                 key_terms: list[str]) -> dict[str, float]:
        """The model's inputs for one candidate (decision.FEATURES, less the two gaps, which
        compare candidates and are added once all are known)."""
        folded = not query.accented
        terms = self._terms(c.sent, folded)
        around: set[str] = set()
        for si in self._neighbours(c):
            around |= self._terms(si, folded)
        article = self._article_terms(c.doc, folded)
        total = sum(a.terms.values()) or 1.0
        top = max(a.terms, key=lambda t: a.terms[t]) if a.terms else None
        content = {t for t in terms if "_" not in t}
        kind_missing = a.expects is not None and not kinds.answer_spans(a.expects, c.text, query.dense_text)
        window_missing = sum(t not in around for t in key_terms) / len(key_terms) if key_terms else 0.0
        return {
            "dense": dense,
            "coverage": self._coverage(a, terms),
            "coverage_window": self._coverage(a, around),
            "rank": 1.0 / c.hit_rank,
            "kind_missing": float(kind_missing),
            "window_missing": window_missing,
            "asked_missing": float(kind_missing and window_missing == 1.0),
            "article_missing": sum(w for t, w in a.terms.items() if t not in article) / total,
            "top_missing": float(top is not None and top not in article),
            "novelty": len(content - set(a.terms)) / len(content) if content else 0.0,
            "length": math.log1p(len(content)),
        }

    @staticmethod
    def wants(k: int) -> int:
        """Passages to retrieve for an answer from ``k``.

        subtle: sentences are read from twice as many passages as will be shown; BM25 and
        dense disagree most on list-like questions, and the sentence scores settle it.
        """
        return 2 * k

    def judge(self, query: Query, hits: list[ScoredChunk]) -> Judged:
        a = query.analysis
        assert a is not None, "a Query from question.understand carries its analysis"
        qvec = query.vector
        cands = self.candidates(hits)
        asked = kinds.folded_words(query.dense_text + " " + query.text)
        dense = self.index.sentence_vectors[[c.sent for c in cands]] @ qvec if cands else np.zeros(0)
        key_terms = self._key_terms(a)
        named = self._named(a, query)
        model = self.models.pick(a.english)
        for c, d in zip(cands, dense):
            scope = self._scope(c)
            constraints = self._constraints(c, a, named, scope, query.dense_text)
            checks = self._checks(c, a, scope, asked, constraints, query.dense_text)
            c.features = {**self._signals(c, a, query, float(d), key_terms), **constraints,
                          **{"rule_" + k.replace(" ", "_"): float(v) for k, v in checks.items()}}
            c.checks = tuple(k for k, v in checks.items() if v)
            c.ruled_out = next((k for k in c.checks if k in model.vetoes), "")
        if cands:
            best_dense = max(c.features["dense"] for c in cands)
            best_cov = max(c.features["coverage"] for c in cands)
            for c in cands:
                c.features["dense_gap"] = c.features["dense"] - best_dense
                c.features["coverage_gap"] = c.features["coverage"] - best_cov
                c.probability = model.probability(c.features)
        matched = [model.logit(c.features) for c in cands
                   if c.features["unmatched"] == 0 and c.features["conflict"] == 0]
        return Judged(a, hits, cands, model, max(matched, default=NO_MATCH))

    # -- answer -------------------------------------------------------------------------
    def select(self, judged: Judged) -> list[Candidate]:
        a, model, matched = judged.analysis, judged.model, judged.matched_logit
        ok = sorted((c for c in judged.candidates if c.passes), key=lambda c: -c.probability)
        if not ok or model.answerable(ok[0].features, matched) < model.answer_threshold:
            return []
        best = ok[0]
        limit = self.max_sentences + (1 if a.listing or a.comparison else 0)
        chosen = [best]
        if a.listing:  # "which ones": make sure the best enumeration near the top is quoted
            enum = [c for c in ok[:5] if len(ENUMERATION.findall(c.text)) >= 3]
            if enum and enum[0] is not best:
                chosen.append(enum[0])
        for c in ok[1:]:  # more of the best sentence's passage; other articles come in below, by rule
            if len(chosen) >= limit or c.probability < model.extra_threshold:
                break
            if c not in chosen and c.hit.chunk.chunk_id == best.hit.chunk.chunk_id:
                chosen.append(c)
        # a sentence of another passage that the model can hardly tell from the best is quoted
        # too: the reader can ("thành lập" in 1955 as a Phòng, in 2004 as a Sở)
        tied = next((c for c in ok[1:3] if c not in chosen and best.probability - c.probability <= _TIE
                     and c.hit.chunk.chunk_id != best.hit.chunk.chunk_id), None)
        if tied is not None and len(chosen) < limit + 1:
            chosen.append(tied)
        if a.comparison:  # each place compared deserves its own evidence
            for place in (p for p in a.places if p.vietnamese):
                if not any(self._names(c, place) for c in chosen):
                    extra = next((c for c in ok if c not in chosen and self._names(c, place)), None)
                    if extra is not None:
                        chosen.append(extra)
        chosen += self._other_figures(ok, chosen, a, model, matched)
        return chosen

    @staticmethod
    def _third_side(cand: Candidate, a: Analysis) -> bool:
        """A sentence of a comparison that names another province and none of those compared."""
        own = {f.place for f in find_places(cand.text, accented=True) if f.place.vietnamese}
        compared = {p for p in a.places if p.vietnamese}
        return bool(own - compared) and not own & compared

    def sides_missing(self, chosen: list[Candidate], a: Analysis) -> list[str]:
        """The places a comparison names that no quoted sentence (with what it depends on) is about."""
        if not chosen or not a.comparison:
            return []
        return [p.name for p in a.places if p.vietnamese and not any(self._names(c, p) for c in chosen)]

    @staticmethod
    def _names_in(place, *texts: str) -> bool:
        return any(f.place is place for t in texts for f in find_places(t, accented=True))

    def _names(self, cand: Candidate, place) -> bool:
        return any(f.place is place for f in find_places(self._scope(cand), accented=True))

    def _other_figures(self, ok: list[Candidate], chosen: list[Candidate], a: Analysis,
                       model: DecisionModel, matched: float) -> list[Candidate]:
        """The same count in older or newer articles ("19 / 23 / 26 địa phương"): figures change
        over time, so a count question shows each article's figure, not just the best match."""
        if a.expects != "number" or not a.unit:
            return []
        unit = re.compile(r"\d[\d.,]*\s+" + re.escape(a.unit), re.IGNORECASE)
        if not unit.search(chosen[0].text):
            return []
        extra: list[Candidate] = []
        for c in ok:
            # each article's figure is shown when its sentence would answer the question on its own
            # like any further sentence, it must reach the fitted extra threshold itself
            if c in chosen or not unit.search(c.text) or c.probability < model.extra_threshold or (
                    model.answerable(c.features, matched) < model.answer_threshold):
                continue
            if any(c.doc.doc_id == x.doc.doc_id for x in chosen + extra):
                continue
            extra.append(c)
        return extra

    def stream(self, query: Query, hits: list[ScoredChunk], k: int | None = None) -> Iterator[str | Answer]:
        """The answer sentence by sentence, then the Answer: every backend streams alike."""
        answer = self.answer(query, hits, k)
        for piece in re.split(r"(?<=\]) ", answer.text):
            yield piece + " "
        yield answer

    def answer(self, query: Query, hits: list[ScoredChunk], k: int | None = None) -> Answer:
        """The answer from every sentence of ``hits`` (``wants(k)`` passages: ``k`` is not read again)."""
        t0 = time.perf_counter()
        judged = self.judge(query, hits)
        chosen = self.select(judged)
        text, citations = compose(chosen, judged.analysis)
        short, short_n = short_answer(query, chosen, citations, judged.analysis, judged, self.models.short)
        if short:
            text = f"{short} [{short_n}]\n\n{text}"
        lacking = self.sides_missing(chosen, judged.analysis)
        if lacking:  # a comparison answered for one side: say which side the articles lack
            text += f"\n\nCác bài viết không nêu thông tin này về {' và '.join(lacking)}."
        timings = {"answer": (time.perf_counter() - t0) * 1000}
        return Answer(question=query.text, text=text, refused=not chosen, citations=tuple(citations),
                      timings_ms=timings, short_answer=short, short_citation=short_n)


def _same_words(a: str, b: str) -> bool:
    return bool(b) and re.findall(r"\w+", fold(a).lower()) == re.findall(r"\w+", fold(b).lower())


def _numbers_of(text: str) -> set[str]:
    return set(kinds.NUMBER.findall(text))


def compose(chosen: list[Candidate], a: Analysis) -> tuple[str, list[Citation]]:
    if not chosen:
        return REFUSAL, []
    docs = {c.doc.doc_id for c in chosen}
    dated = len(docs) > 1 and len({c.doc.date_sort for c in chosen}) > 1
    if dated:  # newest article first: figures change over time
        chosen = sorted(chosen, key=lambda c: (c.doc.date_sort or "0000", c.probability), reverse=True)
    citations = []
    parts = []
    for n, c in enumerate(chosen, start=1):
        citations.append(
            Citation(n=n, doc_id=c.doc.doc_id, title=c.doc.title, date=c.doc.date_label, quote=c.text,
                     passage=c.hit.chunk.text, chunk_id=c.hit.chunk.chunk_id, start=c.start, end=c.end,
                     outlet=c.doc.outlet, url=c.doc.url, page=c.doc.page_at(c.start),
                     also=c.doc.outlets())
        )
        parts.append(f"- Theo bài {c.doc.date_label}: {c.text} [{n}]" if dated else f"{c.text} [{n}]")
    if dated:
        conflict = a.expects == "number" and len({frozenset(_numbers_of(c.text)) for c in chosen}) > 1
        head = ("Số liệu khác nhau tùy thời điểm của bài viết (mới nhất trước):" if conflict
                else "Các bài viết (mới nhất trước) cho biết:")
        return head + "\n" + "\n".join(parts), citations
    return " ".join(parts), citations


# --- the short answer ---------------------------------------------------------------------------
def short_answer(query: Query, chosen: list[Candidate], citations: list[Citation], a: Analysis,
                 judged: Judged, short: ShortModel | None) -> tuple[str | None, int | None]:
    """The span of the best sentence that answers the question (``shortanswer``), or a yes/no,
    with the number of its citation; (None, None) when no span is likely enough."""
    if not chosen or a.comparison or a.english:  # "nơi nào … trước?" needs reasoning, not a span
        return None, None
    # the best sentence; when articles of different dates answer, the newest (quoted first)
    dated = len({c.doc.date_sort for c in chosen}) > 1
    first = citations[0]
    best = (next(c for c in chosen if c.start == first.start and c.doc.doc_id == first.doc_id) if dated
            else max(chosen, key=lambda c: c.probability))
    n = next(c.n for c in citations if c.start == best.start and c.doc_id == best.doc.doc_id)
    if a.expects == "yesno":
        return kinds.yes_or_no(best.text, query.dense_text), n
    if short is None:
        return None, None
    spans = candidate_spans(a, query.dense_text, best.text, judged.model.logit(best.features))
    span, p = short.best(spans)
    if span is None or not short.shows(span, p):
        return None, None
    return span.text, n
