"""Is a sentence a dated event of foreign affairs, and of which kind? (the timeline's detector)

Four kinds, in the order a sentence of several is filed under: a relationship established
("kết nghĩa", "thiết lập quan hệ"), an agreement signed (a signing verb and a signed document),
a visit or delegation (with a foreign counterpart named), and a figure (investment, aid,
trade: a topic word and an amount of money or a count of projects). The words come from
``data/event_cues.tsv``, where each carries its source; ``bench/timeline_precision.py``
measures them on invented sentences, plans and refusals among them.

A cue does not count after a hedge in its clause ("dự kiến ký", "chưa ký", "mong muốn thiết
lập", "sẽ sang thăm", "nhằm thiết lập"): what is planned, refused, wished for or aimed at has
not happened, and an anniversary recalls an event. A sentence that tallies up to now ("đến
nay đã thiết lập quan hệ với 19 địa phương") states a state, not an event, unless a figure. Cues are
matched on segmented words, so "đoàn" is not "đoàn_kết" and "thăm" not "thăm_dò".

The date an event is stated on is read with ``question.kinds``'s date patterns; a period
("2016-2020") and a date of birth ("sinh năm 1965") are not an event's date.

Deliberately not here: which sentences concern a locality, and grouping reports of one
event (``timeline.py``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from ..question.kinds import RANGE, counted, spans
from ..question.places import find_places
from ..vietnamese import fold, normalize, segment

KINDS = ("relation", "agreement", "visit", "figure")  # a sentence of several kinds is filed under the first
LABELS = {"agreement": "Ký kết", "visit": "Chuyến thăm/Đoàn", "relation": "Thiết lập quan hệ", "figure": "Số liệu"}
_HEDGE_WINDOW = 5  # words of the clause before a cue that a hedge is looked for in


@dataclass(frozen=True)
class StatedDate:
    iso: str  # "2019-03-12", "2019-03" or "2019"
    label: str  # "12/03/2019", "03/2019" or "2019"


@dataclass(frozen=True)
class Detected:
    kind: str  # one of KINDS
    date: StatedDate | None  # the date the sentence states, or None
    partners: frozenset[str]  # foreign places and names it states, folded: {"gunma", "nhat ban"}
    figures: tuple[str, ...] = ()  # the amounts of a figure: ("350 triệu USD",)


@dataclass(frozen=True)
class _Cues:
    words: dict[tuple[str, str], re.Pattern]  # (kind, role) -> any of its cues, on segmented lower-case text
    units: re.Pattern  # a currency at the end of an amount
    counted: frozenset[str]  # the nouns a count of which is a figure


def _alternatives(cues: list[str]) -> str:
    # a space in a cue is a space or the segmenter's "_"; \w on both sides keeps "ký" out of "ký_kết"
    return r"(?<!\w)(?:" + "|".join(re.escape(c).replace(r"\ ", "[ _]") for c in sorted(cues, key=len, reverse=True)) \
        + r")(?!\w)"


@lru_cache(maxsize=1)
def cues() -> _Cues:
    from importlib.resources import files

    rows: dict[tuple[str, str], list[str]] = {}
    for line in files("assistant").joinpath("data/event_cues.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, role, cue = line.split("\t")[:3]
            rows.setdefault((kind, role), []).append(normalize(cue).lower())
    words = {key: re.compile(_alternatives(v)) for key, v in rows.items() if key[1] not in ("unit", "counted")}
    units = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(u) for u in rows[("figure", "unit")]) + r")$", re.IGNORECASE)
    return _Cues(words, units, frozenset(rows[("figure", "counted")]))


def detect(sentence: str, published: str | None = None) -> Detected | None:
    """The event ``sentence`` states, or None. ``published``: its article's ISO date, which
    gives a year to a day stated without one ("Chiều 5/9, …")."""
    c = cues()
    low = _segmented(sentence)
    if c.words[("hedge", "anywhere")].search(low):
        return None
    partners = _partners(sentence)
    figures: tuple[str, ...] = ()
    kind = None
    status = bool(c.words[("hedge", "status")].search(low))
    for k in KINDS:
        if status and k != "figure":
            continue
        if k == "figure":
            figures = _figures(sentence)
            found = bool(figures) and _said(low, c.words[("figure", "topic")])
        elif k == "agreement":
            found = _said(low, c.words[("agreement", "verb")]) and bool(c.words[("agreement", "object")].search(low))
        elif k == "visit":
            found = _said(low, c.words[("visit", "cue")]) and bool(partners or c.words[("visit", "counterpart")].search(low))
        else:
            found = _said(low, c.words[(k, "cue")])
        if found:
            kind = k
            break
    if kind is None:
        return None
    date, planned = stated_dates(sentence, published)
    if planned:
        return None  # every date it states is after its article's: a plan or a target
    return Detected(kind, date, partners, figures if kind == "figure" else ())


_LONG_WORD = re.compile(r"\w+(?:_\w+){2,}")


def _segmented(sentence: str) -> str:
    """``sentence`` segmented into words, lower case. subtle: the segmenter sometimes joins a
    phrase into one word ("ký_kết_hợp_đồng", "hòa_bình_thiết_lập"); a "word" of three syllables
    or more is split back, so its cues are seen. Two-syllable words stay whole: "đoàn_kết"
    (solidarity) holds no "đoàn" (delegation)."""
    return _LONG_WORD.sub(lambda m: m.group(0).replace("_", " "), segment(normalize(sentence)).lower())


_CLAUSE = re.compile(r"[,;:.!?()\[\]“”\"]")


def _said(low: str, pattern: re.Pattern) -> bool:
    """Some cue of ``pattern`` occurs in ``low`` (segmented), and none after a hedge in its clause."""
    hedge = cues().words[("hedge", "before")]
    hits = list(pattern.finditer(low))
    for m in hits:
        clause = _CLAUSE.split(low[: m.start()])[-1]
        if hedge.search(" ".join(clause.split()[-_HEDGE_WINDOW:])):
            return False
    return bool(hits)


# --- who with: foreign places and names ----------------------------------------------------
_ADMIN = re.compile(r"^(?:tỉnh|thành phố|tp\.?|thủ đô|bang|quận|huyện|vùng|khu vực|nước)\s+", re.IGNORECASE)
_ACRONYM = re.compile(r"^[A-ZĐ0-9]{2,6}$")


def _partners(sentence: str) -> frozenset[str]:
    """Places and foreign names the sentence states that are not Vietnam or its localities, folded."""
    vietnamese = [(f.start, f.end) for f in find_places(sentence, accented=True) if f.place.vietnamese]
    out = set()
    for s, e in spans("place", sentence):
        if any(vs <= s < ve or s <= vs < e for vs, ve in vietnamese) or fold(sentence[s:e]).lower() == "viet nam":
            continue
        name = _ADMIN.sub("", sentence[s:e].strip())
        if name and not _ACRONYM.match(name):
            out.add(fold(name).lower())
    return frozenset(out)


def _figures(sentence: str) -> tuple[str, ...]:
    """Amounts of money ("350 triệu USD") and counts of projects ("45 dự án") in ``sentence``."""
    c = cues()
    out = []
    for span in spans("number", sentence):
        text = sentence[span[0] : span[1]]
        if c.units.search(text):
            out.append(" ".join(text.split()))
            continue
        e = counted(sentence, span)[1]
        noun = sentence[span[1] : e].strip().lower()
        if noun in c.counted:
            out.append(" ".join(sentence[span[0] : e].split()))
    return tuple(out)


# --- the date stated ------------------------------------------------------------------------
_MONTH_WORDS = {"giêng": 1, "một": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "tám": 8,
                "chín": 9, "mười": 10, "mười một": 11, "mười hai": 12, "chạp": 12}
_MONTH = r"(\d{1,2}|" + "|".join(sorted(_MONTH_WORDS, key=len, reverse=True)) + r")"
_FORMS = (  # (pattern, what its groups are), most precise first
    (re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})(?![\d/])"), "dmy"),
    (re.compile(r"ngày (\d{1,2}) tháng " + _MONTH + r"(?:(?: năm|,)? (\d{4}))?", re.IGNORECASE), "dmy"),
    (re.compile(r"tháng " + _MONTH + r"(?: năm|/|,)? ?(\d{4})", re.IGNORECASE), "my"),
    (re.compile(r"(?<![\d/])(\d{1,2})/(\d{4})(?![\d/])"), "my"),
    (re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?![\d/])"), "dm"),
    (re.compile(r"(?<!\d)((?:1[89]|20)\d{2})(?!\d)"), "y"),
)
_BIRTH = re.compile(r"\bsinh(?: ra)?(?: vào)?\s*(?:ngày|tháng|năm)?\s*$", re.IGNORECASE)


_DOCUMENT = re.compile(r"(?:\bsố|nghị quyết|quyết định|chỉ thị|thông tư|nghị định|công văn|kế hoạch|thông báo)\s*$",
                       re.IGNORECASE)  # "Nghị quyết 05/2019": a document's number, not its month


def stated_dates(sentence: str, published: str | None = None) -> tuple[StatedDate | None, bool]:
    """``(date, planned)``: the most precise date ``sentence`` states (a day, else a month, else a
    year), the first of those, and whether every date it states is after its article's date.

    Not a date: a year inside a period ("2016-2020"), a date of birth, a document's number
    ("Nghị quyết 05/2019"), a bare number counting something ("2000 tỷ đồng", "1800 doanh
    nghiệp"), nor a date after the article's (news reports what has happened: "đến năm 2030",
    "định hướng đến 2020" in 2016 is a plan or a target, and such a sentence is no event)."""
    periods = [m.span() for m in RANGE.finditer(sentence)]
    best: tuple[int, int, StatedDate] | None = None
    future = False
    for s, e in spans("year", sentence):
        text = sentence[s:e]
        if any(ps <= s and e <= pe for ps, pe in periods) or _BIRTH.search(sentence[max(0, s - 20) : s]):
            continue
        if _DOCUMENT.search(sentence[max(0, s - 20) : s]):
            continue
        if text.isdigit() and sentence[e : counted(sentence, (s, e))[1]].strip():
            continue  # "2000 tỷ đồng": an amount
        found = _parse(text, published)
        if found is None:
            continue
        n = min(len(found.iso), len(published or ""))
        if published and published[:4].isdigit() and found.iso[:n] > published[:n]:
            future = True  # after the article: planned, not done
            continue
        rank = (-len(found.iso), s)
        if best is None or rank < best[:2]:
            best = (*rank, found)
    if best is None and not future:
        relative = _relative(sentence, published)
        if relative is not None:
            return relative, False
    return (best[2] if best else None), future and best is None


_RELATIVE = re.compile(r"(?<!\w)(hôm qua|tối qua|đêm qua|hôm nay|sáng nay|trưa nay|chiều nay|tối nay)(?!\w)",
                       re.IGNORECASE)


def _relative(sentence: str, published: str | None) -> StatedDate | None:
    """"Hôm qua", "sáng nay": the day before the article's, or its day (a news report's own words)."""
    m = _RELATIVE.search(sentence)
    if m is None or not published or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", published):
        return None
    day = dt.date.fromisoformat(published) - dt.timedelta(days=1 if m.group(1).lower().endswith("qua") else 0)
    return StatedDate(day.isoformat(), f"{day:%d/%m/%Y} ({m.group(1).lower()})")


def stated_date(sentence: str, published: str | None = None) -> StatedDate | None:
    """The date ``sentence`` states (see :func:`stated_dates`), or None."""
    return stated_dates(sentence, published)[0]


def _month(word: str) -> int:
    return int(word) if word.isdigit() else _MONTH_WORDS[word.lower()]


def _parse(text: str, published: str | None) -> StatedDate | None:
    for pattern, form in _FORMS:
        m = pattern.search(text)
        if not m:
            continue
        g = m.groups()
        if form == "y":
            return StatedDate(g[0], g[0])
        if form == "my":
            mon, y = _month(g[0]), int(g[1])
            return StatedDate(f"{y:04d}-{mon:02d}", f"{mon:02d}/{y}") if 1 <= mon <= 12 and y >= 1800 else None
        day, mon = int(g[0]), _month(g[1])
        year: int | None = int(g[2]) if form == "dmy" and g[2] else _year_of(day, mon, published)
        if year is None or not (1 <= mon <= 12 and year >= 1800 and 1 <= day <= calendar.monthrange(year, mon)[1]):
            return None
        return StatedDate(f"{year:04d}-{mon:02d}-{day:02d}", f"{day:02d}/{mon:02d}/{year}")
    return None


def _year_of(day: int, month: int, published: str | None) -> int | None:
    """The year of a day stated without one ("Chiều 5/9"): news reports what has passed, so
    the last such day on or before the article's date; None when the article has no full date."""
    if not published or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", published):
        return None
    year = int(published[:4])
    return year if f"{year:04d}-{month:02d}-{day:02d}" <= published else year - 1
