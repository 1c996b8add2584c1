"""Question analysis: what a question is about and what kind of answer it wants.

From the question alone (and the corpus's term statistics) we read: its topic terms with
their IDF weights, the places it names (Vietnamese localities and the wider world, from
``data/places.txt``), the numbers and years it names, whether it picks an article by date
("theo bài năm 2016"), and the kind of answer it asks for: a date for "khi nào", a quantity
for "bao nhiêu", a person for "ai". ``ANSWER_KINDS`` holds the sentence checks for each kind.
Deliberately not here: scoring sentences or composing answers (``answering``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .retrieval import Query, Retriever
from .vietnamese import fold, index_terms, looks_english, normalize

# Words that shape a question but say nothing about its topic.
QUESTION_WORDS = frozenset(
    "bao nhiêu mấy nào gì ai đâu sao khi thế kể tên liệt kê hãy cho biết là những các được có "  # noqa: SIM905
    "năm_nào ngày_nào khi_nào vị người gồm đã đang hiện bằng câu so_với hơn lớn_hơn "
    # words about the articles themselves, not their topic
    "bài viết nêu nhắc tới họ trong đề_cập".split()
)
# A quantity: digits that are not just a date or a year, or an ordinal ("lần thứ III").
_DATES_AND_YEARS = re.compile(r"\b\d{1,2}/\d{1,2}(/\d{2,4})?\b|\b\d{1,2}/\d{4}\b|\b(năm|tháng|ngày) \d{1,4}\b|\b(19|20)\d{2}\b")
_QUANTITY = re.compile(r"\d|\bthứ (hai|ba|tư|năm|sáu|bảy|tám|chín|mười|[IVX]{1,4})\b")


class _QuantityCheck:
    """Matches a sentence that states a quantity once dates and years are set aside."""

    @staticmethod
    def search(text: str) -> bool:
        return bool(_QUANTITY.search(_DATES_AND_YEARS.sub(" ", text)))


_HAS_NUMBER = _QuantityCheck()
_DAY_DATE = re.compile(r"\b\d{1,2}/\d{1,2}(/\d{2,4})?\b|\bngày \d{1,2} tháng \d{1,2}")
_MONTH_DATE = re.compile(r"\b\d{1,2}/\d{4}\b|\btháng \d{1,2}|\b\d{1,2}/\d{1,2}/\d{4}\b")
_YEAR = re.compile(r"\b(1[89]\d{2}|20\d{2})\b")
_SURNAMES = (
    "Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Đinh|Trịnh|Đoàn|Mai|Tô|"
    "Lương|Cao|Thái|Lâm|Chu|Đào|Tạ|Trương|Quách|Vương|Tôn|Triệu|Kiều|Lưu|Hà"
)
_CAP = r"[A-ZĐÀ-Ỹ][a-zà-ỹđ]+"
# A person: a Vietnamese surname and two or more capitalised syllables, or an honorific
# ("ông", "bà", "ngài") before capitalised words (foreign names: "ông Rémi Lambert").
_NAME = re.compile(
    rf"\b(?:{_SURNAMES})(?:\s+{_CAP}){{1,3}}\b|\b(?:[ôÔ]ng|[bB]à|[nN]gài|Mr\.?|Ms\.?)\s+{_CAP}(?:\s+{_CAP})*"
)
class _PersonCheck:
    """A person's name that is not a place ("Hà Nội" looks like surname Hà + a name)."""

    @staticmethod
    def search(text: str) -> bool:
        known = _place_variants()
        for m in _NAME.finditer(text):
            name = fold(m.group(0)).lower()
            if not any(name == v or name.startswith(v + " ") or name.endswith(" " + v) for v in known):
                return True
        return False


ENUMERATION = re.compile(r"(?:^|[,:;]\s*)[A-ZĐÀ-Ỹ]")
_Q_NUMBERS = re.compile(r"\d+(?:[.,/]\d+)*")


@dataclass(frozen=True)
class Place:
    name: str
    variants: tuple[str, ...]  # folded, lower-case
    vietnamese: bool


@lru_cache(maxsize=1)
def places() -> tuple[Place, ...]:
    from importlib.resources import files

    text = files("assistant").joinpath("data/places.txt").read_text(encoding="utf-8")
    out, vietnamese = [], True
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        names = [normalize(n.strip()) for n in line.split("=")]
        if names[0] == "Việt Nam":
            vietnamese = False  # the file lists Vietnamese localities first, then the world
        out.append(Place(names[0], tuple(fold(n).lower() for n in names), vietnamese))
    return tuple(out)


@lru_cache(maxsize=1)
def _place_variants() -> frozenset[str]:
    return frozenset(v for p in places() for v in p.variants)


def contains(haystack_folded: str, needle_folded: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(needle_folded) + r"(?!\w)", haystack_folded) is not None


@dataclass
class Analysis:
    terms: dict[str, float]  # question term -> IDF weight
    places: list[Place]
    numbers: list[str]
    expects: str | None  # "day", "month", "year", "date", "number", "person" or None
    listing: bool
    english: bool
    unit: str = ""  # the noun a "bao nhiêu" question counts: "địa phương", "quốc gia"
    article_date: str = ""  # "2016" in "theo bài năm 2016"

    @property
    def comparison(self) -> bool:
        return sum(p.vietnamese for p in self.places) >= 2


# The kind of answer a question asks for, first match wins (so "ngày nào" beats "khi nào").
_EXPECTS = (
    ("day", r"ngày nào|ngày bao nhiêu|ngày tháng|what date|which day"),
    ("month", r"tháng nào|tháng mấy"),
    ("year", r"năm nào|năm bao nhiêu|what year|which year"),
    ("date", r"khi nào|bao giờ|lúc nào|thời điểm nào|từ khi|\bwhen\b"),
    ("number", r"bao nhiêu|\bmấy\b|how many|how much|tỷ lệ|phần trăm"),
    ("person", r"^ai\b|\bai\b|người nào|vị .*nào|\bwho\b"),
)


def analyse(query: Query, retriever: Retriever) -> Analysis:
    text = query.lexical
    low = query.dense_text.lower()
    folded = fold(low + " " + text.lower())  # English: the glossary's Vietnamese names count too
    found: list[Place] = []
    for place in places():
        if any(contains(folded, v) for v in place.variants):
            found.append(place)
    # a name inside a longer one ("Hà Lan" in "Vương quốc Hà Lan"): keep the longer match
    found = [p for p in found if not any(p is not q and p.variants[0] in q.variants[0] for q in found)]
    expects = next((kind for kind, pattern in _EXPECTS if re.search(pattern, low)), None)
    listing = bool(re.search(r"những .*nào|kể tên|liệt kê|\bgồm\b|các .* nào|\bwhich\b|\blist\b", low))
    bm25 = retriever.bm25 if query.accented else retriever.bm25_folded
    # subtle: segment the restored text even for an unaccented question (pyvi needs the
    # diacritics to find compounds), then compare folded forms on both sides.
    raw_terms = index_terms(text, folded=not query.accented)
    skip = {fold(w) for w in QUESTION_WORDS} | QUESTION_WORDS
    terms = {t: bm25.idf(t) for t in raw_terms if t not in skip}
    # "theo bài năm 2016": a date that picks the article, not a fact to find in the sentence
    article_date = ""
    m = re.search(r"\bbài(?: viết| báo)?(?: (?:năm|ngày|tháng))? ((?:\d{1,2}/)*\d{4})\b", low)
    if m:
        article_date = m.group(1)
        text = text.replace(article_date, " ")
    numbers = [n for n in _Q_NUMBERS.findall(text) if len(n) >= 2 or "/" in n]
    unit = ""
    m = re.search(r"(?:bao nhiêu|mấy|how many)\s+(\w+(?:\s+\w+)?)", low)
    if m:
        unit = m.group(1)
    return Analysis(terms, found, numbers, expects, listing, looks_english(query.text), unit, article_date)


ANSWER_KINDS = {
    "day": _DAY_DATE, "month": _MONTH_DATE, "year": _YEAR,
    "date": re.compile(f"{_DAY_DATE.pattern}|{_MONTH_DATE.pattern}|{_YEAR.pattern}"),
    "number": _HAS_NUMBER, "person": _PersonCheck,
}
