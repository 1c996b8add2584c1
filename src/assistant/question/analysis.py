"""Question analysis: what a question is about and what kind of answer it wants.

From the question alone and the corpus's term statistics (an ``idf`` function) we read its
topic terms with their IDF weights, the places it names (as written: see ``places``), the
numbers and years it names (a range "2016–2020" names both ends), the laws and articles it
names ("Luật Đầu tư 2020": that year names the law, it is not a period), whether it asks about
the present ("hiện nay", "now"), whether it picks an article by date ("theo bài năm 2016"),
the noun a "bao nhiêu" counts, and the kind of answer it asks for (``kinds.expected_kind``).
``query.understand`` calls it once per question; every stage reads the result from
``Query.analysis``.

Deliberately not here: scoring sentences or composing answers (``answer/extractive.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..vietnamese import fold, index_terms
from .kinds import ACRONYM, NOW_ASKED, NUMBER, RANGE, YEAR, counted_noun, expected_kind, law_refs, law_spans
from .places import Place, find_places

if TYPE_CHECKING:
    from .query import Query

# Words that shape a question but say nothing about its topic: Vietnamese interrogatives and
# the request forms of a question ("hãy cho biết", "kể tên"), and words about the articles.
QUESTION_WORDS = frozenset(
    "bao nhiêu mấy nào gì ai đâu sao thế khi bao_giờ lúc_nào hồi_nào tại_sao vì_sao như_thế_nào thế_nào ra_sao "  # noqa: SIM905
    "bao_nhiêu khi_nào năm_nào ngày_nào tháng_nào ở_đâu là_gì là_ai hãy cho biết cho_biết kể tên kể_tên liệt_kê "
    "là những các được có không chưa phải đúng hay liệu gồm đã đang sẽ vậy ạ nhỉ "
    "bài viết bài_viết bài_báo báo nêu đề_cập nhắc nhắc_đến nhắc_tới theo".split()
)
_ENGLISH_CAPS = {"I", "OK", "US", "UK", "EU", "UN"}  # so common in English questions they are words
_LISTING = re.compile(r"những .*nào|kể tên|liệt kê|\bgồm\b|các .* nào|\bwhich\b|\blist\b")


@dataclass
class Analysis:
    terms: dict[str, float]  # question term -> IDF weight
    places: list[Place]
    numbers: list[str]  # figures and years the question names
    expects: str | None  # see kinds.KINDS
    listing: bool
    english: bool
    unit: str = ""  # the noun a "bao nhiêu" question counts: "địa phương", "quốc gia"
    article_date: str = ""  # "2016" in "theo bài năm 2016"
    now: bool = False  # asks about the present: "hiện nay có bao nhiêu…"
    ranges: list[tuple[str, str]] = field(default_factory=list)  # "2016–2020" -> ("2016", "2020")
    years: list[str] = field(default_factory=list)  # years the question names, outside a range
    acronyms: list[str] = field(default_factory=list)  # "ODA", "APEC": named things, spelled exactly
    laws: list[str] = field(default_factory=list)  # "Luật Đầu tư 2020", "khoản 2 Điều 12": see kinds.law_refs

    @property
    def comparison(self) -> bool:
        return sum(p.vietnamese for p in self.places) >= 2


def analyse(query: Query, idf: Callable[[str], float]) -> Analysis:
    text = query.lexical
    low = query.dense_text.lower()
    english = query.english
    # places as the user wrote them; an English question's glossary words do not count
    found = find_places(query.text)
    places = list(dict.fromkeys(f.place for f in found))
    expects = expected_kind(query.dense_text)
    raw_terms = index_terms(text, folded=not query.accented)
    skip = {fold(w) for w in QUESTION_WORDS} | QUESTION_WORDS
    terms = {t: idf(t) for t in raw_terms if t not in skip}
    # "theo bài năm 2016": a date that picks the article, not a fact to find in the sentence
    article_date = ""
    m = re.search(r"\bbài(?: viết| báo)?(?: (?:năm|ngày|tháng))? ((?:\d{1,2}/)*\d{4})\b", low)
    if m:
        article_date = m.group(1)
        text = text.replace(article_date, " ")
    numbers = [n for n in NUMBER.findall(text) if len(n) >= 2 or "/" in n]
    unit = ""
    m = re.search(r"(?:bao nhiêu|mấy|how many)(?=\s)", low)
    counted = counted_noun(low, m.end()) if m else None
    if counted:
        unit = low[counted[0] : counted[1]]
    # a year in a law's name ("Luật Đầu tư 2020") names the law, not a period
    laws = law_refs(query.dense_text)
    periods = text
    for s, e in reversed(law_spans(text)):
        periods = periods[:s] + " " * (e - s) + periods[e:]
    now = bool(NOW_ASKED.search(low)) and not YEAR.search(periods)
    ranges = RANGE.findall(periods)
    in_ranges = {y for r in ranges for y in r}
    years = [y for y in dict.fromkeys(YEAR.findall(periods)) if y not in in_ranges]
    letters = [ch for ch in query.text if ch.isalpha()]
    shouting = sum(ch.isupper() for ch in letters) > 0.6 * len(letters)  # a question typed in capitals
    in_places = " ".join(f.text for f in found)
    acronyms = [] if shouting else [w for w in dict.fromkeys(ACRONYM.findall(query.text))
                                    if w not in in_places and not (english and w in _ENGLISH_CAPS)]
    return Analysis(terms, places, numbers, expects, bool(_LISTING.search(low)), english, unit, article_date, now,
                    ranges, years, acronyms, laws)
