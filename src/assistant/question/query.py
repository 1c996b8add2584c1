"""A question understood once: ``understand(text, history=..., stats=..., limit=...) -> Query``.

Every front end (CLI, chat, HTTP API, MCP, briefings, evaluation) hands the text it got to
``understand`` through the pipeline, and every later stage reads the :class:`Query` it
returns instead of working the text again. In order, it

1. cleans the text once (invalid UTF-8 and lone surrogates become U+FFFD, control characters
   go, then NFC and one tone convention: ``vietnamese.clean_input``);
2. validates it: empty or over ``limit`` characters is one ``QuestionError`` carrying both the
   English message (CLI, API) and the Vietnamese one (chat);
3. rewrites a follow-up from the conversation so far (``followup.rewrite``);
4. tells an English question from a Vietnamese one, and gives an English question the
   Vietnamese keywords BM25 needs (``restore.translate_keywords``);
5. restores the diacritics of a question typed without them (``restore.DiacriticRestorer``,
   from the index's syllable counts);
6. analyses it (``analysis.analyse``): topic terms weighted by the index's IDF, places, years
   and periods, numbers, acronyms, the kind of answer it wants.

The index's statistics come in as :class:`Stats`, built by the pipeline: this package never
opens an index. Deliberately not here: embedding the question (the pipeline does it, once per
answer) and retrieval.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ..errors import QuestionError
from ..vietnamese import clean_input, has_diacritics, looks_english
from .analysis import Analysis, analyse
from .followup import Exchange, rewrite
from .restore import DiacriticRestorer, translate_keywords

EXAMPLE = "Sở Ngoại vụ Hà Nội thành lập khi nào?"
ANSWER_CHARS = 20_000  # of an earlier answer: follow-ups read its first lines ("con số đó", "ông ấy")


@dataclass(frozen=True)
class Query:
    text: str  # the question answered: cleaned, normalised, a follow-up rewritten
    dense_text: str  # with diacritics restored when the user typed none
    accented: bool  # did the user type diacritics? (an English question counts as accented)
    lexical_text: str = ""  # what BM25 and term coverage read: Vietnamese keywords for English
    asked: str = ""  # as typed (cleaned); differs from ``text`` when a follow-up was rewritten
    rule: str = ""  # the follow-up rule that rewrote it ("place", "year", ...); "" when standalone
    english: bool = False
    analysis: Analysis | None = field(default=None, compare=False)
    # the question's embedding, set by the pipeline: the one embedding of this question
    vector: Any = field(default=None, compare=False, repr=False)

    @property
    def lexical(self) -> str:
        return self.lexical_text or self.dense_text

    @property
    def rewritten(self) -> bool:
        return bool(self.asked) and self.asked != self.text

    def with_vector(self, vector: Any) -> Query:
        return replace(self, vector=vector)


class SyllableStats(Protocol):  # store.lexical.SyllableCounts
    def unigram(self, w: str) -> int: ...

    def bigram(self, a: str, b: str) -> int: ...

    def forms(self) -> dict[str, set[str]]: ...


class Stats:
    """What understanding needs of the index: IDF with and without diacritics, syllable counts.

    subtle: the diacritic restorer is built on first use, not at start: at 10,000 articles it
    costs seconds, and most questions are typed with diacritics.
    """

    def __init__(self, idf: Callable[[str], float], idf_folded: Callable[[str], float],
                 syllables: SyllableStats) -> None:
        self.idf, self.idf_folded, self.syllables = idf, idf_folded, syllables
        self._restorer: DiacriticRestorer | None = None

    @property
    def restorer(self) -> DiacriticRestorer:
        if self._restorer is None:
            self._restorer = DiacriticRestorer(self.syllables)
        return self._restorer

    def idf_for(self, query: Query) -> Callable[[str], float]:
        """IDF of a term as the question's terms are written (with or without diacritics)."""
        return self.idf if query.accented else self.idf_folded


def validate(text: str | None, limit: int) -> str:
    """``text`` cleaned once (see ``clean_input``) and stripped, or a QuestionError."""
    q = clean_input(text if isinstance(text, str) else "").strip()
    if not q:
        raise QuestionError(
            "the question is empty", hint=f'type a question, e.g. "{EXAMPLE}"',
            vi=f"Bạn chưa nhập câu hỏi. Hãy gõ một câu hỏi, ví dụ: «{EXAMPLE}»")
    if len(q) > limit:
        raise QuestionError(
            f"the question is {len(q)} characters long; the limit is {limit}",
            hint="ask a shorter question (or raise max_question_chars)",
            vi=f"Câu hỏi dài {len(q)} ký tự, vượt quá giới hạn {limit} ký tự. "
               "Xin vui lòng đặt câu hỏi ngắn gọn hơn, mỗi lần một ý.")
    return q


def _earlier(history: Sequence[Exchange], limit: int) -> list[Exchange]:
    """The conversation as a client sent it, cleaned as any text from outside and cut to size."""
    out = []
    for h in history:
        question = clean_input(h.question if isinstance(h.question, str) else "").strip()[:limit]
        if question:
            out.append(Exchange(question, clean_input(h.answer if isinstance(h.answer, str) else "")[:ANSWER_CHARS]))
    return out


def understand(text: str | None, *, history: Sequence[Exchange] = (), stats: Stats, limit: int) -> Query:
    """``text`` (with the conversation before it) as a Query every stage reads; see the module doc."""
    asked = validate(text, limit)
    answered = _earlier(history, limit)
    question = asked
    rule = ""
    if answered:
        rewritten = rewrite(asked, [h.question for h in answered], answered[-1].answer)
        # subtle: only a real rewrite replaces what was typed (rewrite() also normalises), and only
        # one within the limit: a follow-up never makes a question longer than could be typed
        if rewritten.changed and len(rewritten.question) <= limit:
            question, rule = rewritten.question, rewritten.rule
    query = _read(question, stats)
    query = replace(query, asked=asked, rule=rule)
    return replace(query, analysis=analyse(query, stats.idf_for(query)))


def _read(question: str, stats: Stats) -> Query:
    if looks_english(question):  # e5 is multilingual; BM25 needs Vietnamese words
        return Query(text=question, dense_text=question, accented=True, english=True,
                     lexical_text=translate_keywords(question))
    accented = has_diacritics(question) or not re.search(r"[A-Za-z]", question)
    dense_text = question if accented else stats.restorer.restore(question)
    return Query(text=question, dense_text=dense_text, accented=accented)
