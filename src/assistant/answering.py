"""Grounded extractive answering: quote the sentences that answer, or refuse.

For each sentence of the retrieved passages we measure how much of the question it covers
(IDF-weighted question terms, counting a place as covered when the article is about it)
and how close it is in meaning (e5 cosine, vectors precomputed at index time). A sentence
may only answer if it also satisfies the question's hard constraints:

* the places it names (a Vietnamese locality must be the sentence's or the article's);
* the numbers and years it names ("năm 2019") must appear in the sentence or a neighbour;
* the kind of answer it asks for: a date for "khi nào", a number for "bao nhiêu", a name
  for "ai".

When no sentence passes, the answer is the refusal, never a loosely related quote. When the
chosen sentences come from articles of different dates, each is labelled with its date,
newest first, because figures change over time.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import numpy as np

from .documents import Answer, Citation, Document, ScoredChunk
from .embedding import VectorEmbeddings
from .index import LoadedIndex
from .questions import ANSWER_KINDS, ENUMERATION, Analysis, Place, analyse, contains
from .retrieval import Retriever
from .vietnamese import fold, index_terms

REFUSAL = "Không tìm thấy thông tin này trong các bài viết."


@dataclass
class Candidate:
    sent: int  # index into LoadedIndex.sentences
    doc: Document
    start: int
    end: int
    text: str
    hit: ScoredChunk
    hit_rank: int
    coverage: float = 0.0
    dense: float = 0.0
    score: float = 0.0
    passes: bool = False
    why: list[str] = field(default_factory=list)


class ExtractiveAnswerer:
    """Composes a cited answer from retrieved sentences, or refuses."""

    name = "extractive"

    def __init__(self, index: LoadedIndex, retriever: Retriever, embedder: VectorEmbeddings,
                 max_sentences: int = 3, min_score: float = 0.6, min_dense: float = 0.82) -> None:
        self.index = index
        self.retriever = retriever
        self.embedder = embedder
        self.max_sentences = max_sentences
        self.min_score = min_score
        self.min_dense = min_dense
        self._term_cache: dict[tuple[int, bool], set[str]] = {}
        self._by_doc: dict[str, list[int]] = {}
        for i, s in enumerate(index.sentences):
            self._by_doc.setdefault(s.doc_id, []).append(i)

    def _terms(self, sent: int, folded: bool) -> set[str]:
        """Index terms of one sentence, memoised: word segmentation is the slow part of a query."""
        key = (sent, folded)
        if key not in self._term_cache:
            s = self.index.sentences[sent]
            text = self.index.documents[s.doc_id].text[s.start : s.end]
            self._term_cache[key] = set(index_terms(text, folded=folded))
        return self._term_cache[key]

    # -- candidates ---------------------------------------------------------------------
    def candidates(self, hits: list[ScoredChunk]) -> list[Candidate]:
        seen: set[int] = set()
        out = []
        for rank, hit in enumerate(hits, start=1):
            c = hit.chunk
            doc = self.index.documents[c.doc_id]
            for si in self._by_doc.get(c.doc_id, []):
                s = self.index.sentences[si]
                if s.start >= c.start and s.end <= c.end and si not in seen:
                    seen.add(si)
                    out.append(Candidate(si, doc, s.start, s.end, doc.text[s.start : s.end], hit, rank))
        return out

    def _window(self, cand: Candidate, before: int = 1, after: int = 1) -> str:
        ids = self._by_doc[cand.doc.doc_id]
        pos = ids.index(cand.sent)
        lo, hi = ids[max(0, pos - before)], ids[min(len(ids) - 1, pos + after)]
        s_lo, s_hi = self.index.sentences[lo], self.index.sentences[hi]
        return cand.doc.text[s_lo.start : s_hi.end]

    @staticmethod
    def _about(doc: Document) -> str:
        about = doc.title
        if len(doc.localities) == 1:
            about += " " + doc.localities[0]
        return fold(about).lower()

    def _judge(self, cand: Candidate, a: Analysis, accented: bool, qvec: np.ndarray) -> None:
        window = self._window(cand)
        sent_f, win_f, about_f = fold(cand.text).lower(), fold(window).lower(), self._about(cand.doc)
        prev_f = fold(self._window(cand, 1, 0)).lower()
        # places: a Vietnamese locality may be the article's subject or a neighbour's; a
        # foreign one must be named in the sentence or the one just before it
        def satisfied(p: Place) -> bool:
            if p.vietnamese:
                return any(contains(win_f, v) or contains(about_f, v) for v in p.variants)
            return any(contains(prev_f, v) for v in p.variants)

        sat = [p for p in a.places if satisfied(p)]
        in_sentence = [p for p in sat if any(contains(sent_f, v) or (p.vietnamese and contains(about_f, v))
                                             for v in p.variants)]
        vn = [p for p in a.places if p.vietnamese]
        if vn:
            ok_vn = any(p in sat for p in vn) if a.comparison else all(p in sat for p in vn)
            if not ok_vn:
                cand.why.append("place")
        other = [p for p in a.places if not p.vietnamese]
        if other and not any(p in sat for p in other):
            cand.why.append("place")
        # numbers
        present = [n for n in a.numbers if re.search(r"(?<![\d.,])" + re.escape(n) + r"(?![\d])", window)]
        # every number of a one-number question ("FDI năm 2019"); half of several
        if a.numbers and (not present if a.comparison else 2 * len(present) < len(a.numbers)):
            cand.why.append("number")
        if a.article_date:
            d = cand.doc
            stamps = " ".join(x for x in (d.date or "", d.date_label, d.date_sort) if x)
            year = a.article_date[-4:]
            if a.article_date not in stamps and year not in stamps:
                cand.why.append("article date")
        # kind of answer
        if a.expects and not ANSWER_KINDS[a.expects].search(cand.text):
            cand.why.append(a.expects)
        # coverage: question terms found in the sentence; a satisfied place counts as found
        sent_terms = self._terms(cand.sent, not accented)
        ids = self._by_doc[cand.doc.doc_id]
        pos = ids.index(cand.sent)
        prev_terms = (self._terms(ids[pos - 1], not accented) if pos else set()) - sent_terms
        place_terms = set()
        for p in in_sentence:
            for v in p.variants:
                place_terms.update(fold(t) for t in index_terms(v, folded=True))
        total = sum(a.terms.values()) or 1.0
        got = sum(w for t, w in a.terms.items() if t in sent_terms or fold(t) in place_terms)
        # the sentence before often names what this one is about ("công ty Hà Lan ... Bên cạnh Damen")
        got += 0.5 * sum(w for t, w in a.terms.items() if t in prev_terms and fold(t) not in place_terms)
        cand.coverage = got / total
        cand.dense = float(self.index.sentence_vectors[cand.sent] @ qvec)
        cand.score = cand.coverage + 2.0 * (cand.dense - 0.8) + 0.02 / cand.hit_rank
        if a.listing and len(ENUMERATION.findall(cand.text)) >= 3:
            cand.score += 0.15  # a "which ones" question is best answered by an enumeration
        # relevance: lexical coverage and meaning together; an English question has only meaning
        relevant = cand.score >= self.min_score
        if a.english:  # cross-lingual similarity runs lower; glossary coverage must agree
            relevant = cand.coverage >= 0.8 or (cand.dense >= self.min_dense and cand.coverage >= 0.5)
        if not relevant:
            cand.why.append("coverage")
        cand.passes = not cand.why

    # -- answer -------------------------------------------------------------------------
    def select(self, cands: list[Candidate], a: Analysis) -> list[Candidate]:
        ok = sorted((c for c in cands if c.passes), key=lambda c: -c.score)
        if not ok:
            return []
        best = ok[0]
        limit = self.max_sentences + (1 if a.listing or a.comparison else 0)
        chosen = [best]
        if a.listing:  # "which ones": make sure the best enumeration is quoted
            enum = [c for c in ok if len(ENUMERATION.findall(c.text)) >= 3]
            if enum and enum[0] is not best:
                chosen.append(enum[0])
        for c in ok[1:]:
            if c in chosen:
                continue
            if len(chosen) >= limit:
                break
            close = c.score >= best.score - 0.25
            new_doc = all(c.doc.doc_id != x.doc.doc_id for x in chosen)
            if close and (new_doc or a.listing or c.score >= best.score - 0.12):
                chosen.append(c)
        if a.comparison:  # each place compared deserves its own evidence
            for place in (p for p in a.places if p.vietnamese):
                if not any(self._names(c, place) for c in chosen):
                    extra = next((c for c in ok if c not in chosen and self._names(c, place)), None)
                    if extra is not None:
                        chosen.append(extra)
        chosen += self._other_figures(cands, chosen, a)
        return chosen

    def _names(self, cand: Candidate, place: Place) -> bool:
        text = fold(cand.text).lower() + " " + self._about(cand.doc)
        return any(contains(text, v) for v in place.variants)

    def _other_figures(self, cands: list[Candidate], chosen: list[Candidate], a: Analysis) -> list[Candidate]:
        """The same count in older or newer articles ("19 / 23 / 26 địa phương"): figures change
        over time, so a count question shows each article's figure, not just the best match."""
        if a.expects != "number" or not a.unit:
            return []
        unit = re.compile(r"\d[\d.,]*\s+" + re.escape(a.unit), re.IGNORECASE)
        best = chosen[0]
        if not unit.search(best.text):
            return []
        extra: list[Candidate] = []
        for c in sorted(cands, key=lambda c: -c.score):
            if c in chosen or set(c.why) - {"coverage"} or not unit.search(c.text):
                continue
            if any(c.doc.doc_id == x.doc.doc_id for x in chosen + extra):
                continue
            if c.score >= best.score - 0.45 and c.dense >= best.dense - 0.04:
                extra.append(c)
        return extra

    def answer(self, question: str, k: int = 5) -> Answer:
        t0 = time.perf_counter()
        query = self.retriever.prepare(question)
        qvec = self.embedder.query(query.dense_text)
        # subtle: read sentences from twice as many passages as will be shown; BM25 and dense
        # disagree most on list-like questions, and the sentence scores settle it.
        hits = self.retriever.search(query, 2 * k, vector=qvec)
        t1 = time.perf_counter()
        a = analyse(query, self.retriever)
        cands = self.candidates(hits)
        for c in cands:
            self._judge(c, a, query.accented, qvec)
        chosen = self.select(cands, a)
        text, citations = compose(chosen, a)
        t2 = time.perf_counter()
        timings = {"retrieval": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - t0) * 1000}
        return Answer(question=question, text=text, refused=not chosen, citations=tuple(citations), timings_ms=timings)


def _numbers_of(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:[.,]\d+)?", text))


def compose(chosen: list[Candidate], a: Analysis) -> tuple[str, list[Citation]]:
    if not chosen:
        return REFUSAL, []
    docs = {c.doc.doc_id for c in chosen}
    dated = len(docs) > 1 and len({c.doc.date_sort for c in chosen}) > 1
    if dated:  # newest article first: figures change over time
        chosen = sorted(chosen, key=lambda c: (c.doc.date_sort or "0000", -c.score), reverse=True)
    citations = []
    parts = []
    for n, c in enumerate(chosen, start=1):
        citations.append(
            Citation(n=n, doc_id=c.doc.doc_id, title=c.doc.title, date=c.doc.date_label, quote=c.text,
                     passage=c.hit.chunk.text, chunk_id=c.hit.chunk.chunk_id, start=c.start, end=c.end,
                     outlet=c.doc.outlet, url=c.doc.url)
        )
        parts.append(f"- Theo bài {c.doc.date_label}: {c.text} [{n}]" if dated else f"{c.text} [{n}]")
    if dated:
        conflict = a.expects == "number" and len({frozenset(_numbers_of(c.text)) for c in chosen}) > 1
        head = ("Số liệu khác nhau tùy thời điểm của bài viết (mới nhất trước):" if conflict
                else "Các bài viết (mới nhất trước) cho biết:")
        return head + "\n" + "\n".join(parts), citations
    return " ".join(parts), citations
