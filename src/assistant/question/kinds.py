"""What an answer looks like: dates and periods, quantities, people, places, yes/no.

A question asks for a kind of answer ("khi nào" a time, "bao nhiêu" a quantity, "ai" a
person, "ở đâu" a place, "có ... không" or "đã ... chưa" yes or no); :func:`expected_kind`
reads it, and :func:`spans` finds the stretches of a sentence that are of that kind. The
answerer uses both to judge a sentence (does it hold the kind of thing asked for?) and to
lead its answer with the thing itself ("17/12/1996 [1]"): a quantity whole ("900 triệu
USD"), with what it counts (:func:`counted`: "hơn 190 dự án"). :func:`law_refs` finds the
laws and articles a text names ("Luật Đầu tư 2020", "khoản 2 Điều 12"), whose years are
names, not periods.

The rules are general Vietnamese (and a little English, for English questions): calendar
dates and periods ("sau mùa mưa", "thời kỳ Phục hưng", "thế kỷ 16"), numbers in digits or
in words ("năm bang", "hai mươi", "ba nghìn"), names in any script's romanisation ("Walter
Gropius", "Kim Jong-un") as well as Vietnamese ones. Deliberately not here: scoring.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from collections.abc import Callable
from functools import lru_cache

from ..vietnamese import fold, is_syllable, segment
from .places import find_places

Span = tuple[int, int]

# --- the patterns every stage shares: years, periods, "now", figures, acronyms ------------------
YEAR = re.compile(r"(?<!\d)(?:1[89]\d{2}|20\d{2})(?!\d)")  # a year 1800-2099 standing alone
# a period "2016–2020", "2016 đến 2020": both ends
RANGE = re.compile(r"(?<!\d)((?:1[89]|20)\d{2})\s*(?:-|–|—|đến|tới|to)\s*((?:1[89]|20)\d{2})(?!\d)")
# a question about the present ("hiện nay có bao nhiêu…")
NOW_ASKED = re.compile(r"\b(?:hiện nay|hiện tại|hiện giờ|bây giờ|ngày nay|đến nay|hiện có|currently|now|today|"
                       r"at present)\b")
# a sentence that dates itself to its article's date ("hiện có 26 địa phương")
NOW_STATED = re.compile(r"\b(?:hiện nay|hiện tại|hiện|nay|đến nay|bây giờ)\b", re.IGNORECASE)
NUMBER = re.compile(r"\d+(?:[.,/]\d+)*")  # a figure or a date in digits: "7,63", "19/3/1983"
ACRONYM = re.compile(r"(?<![\w.-])[A-ZĐ]{2,6}(?![\w.-])")  # "ODA", "APEC": named things, spelled exactly

# --- the kind a question asks for (first match wins: "ngày nào" before "khi nào") -------------
_EXPECTS = (
    ("day", r"ngày nào|ngày bao nhiêu|ngày mấy|what date|which day|what day"),
    ("month", r"tháng nào|tháng mấy|which month|what month"),
    ("year", r"năm nào|năm bao nhiêu|năm mấy|what year|which year"),
    ("date", (r"khi nào|bao giờ|lúc nào|hồi nào|thời điểm nào|thời gian nào|thời kỳ nào|giai đoạn nào|"
              r"thế kỷ nào|thập niên nào|\bwhen\b")),
    ("number", r"bao nhiêu|\bmấy\b|bao lâu|bao xa|how many|how much|how long|tỷ lệ|phần trăm"),
    ("person", r"(?:^|\s)ai(?:\s|$|\?)|người nào|(?:^|\s)vị(?: \w+){0,2} nào|nhân vật nào|\bwho\b|\bwhom\b"),
    ("place", (r"ở đâu|tại đâu|từ đâu|đến đâu|nơi nào|chỗ nào|(?:thành phố|tỉnh|nước|quốc gia|địa phương|thủ đô|"
               r"bang|vùng|khu vực|châu lục|lục địa|thị trấn|làng|xã|huyện|quận) nào|\bwhere\b|"
               r"which (?:city|country|province|state|region)")),
    ("yesno", (r"^(?:có phải|phải chăng|liệu)\b|\b(?:có|đã)\b.*\b(?:không|chưa)\s*\?*\s*$|"
               r"(?:đúng|phải) không\s*\?*\s*$|"
               r"^(?:is|are|was|were|does|do|did|can|has|have|had)\b")),
)


def expected_kind(question: str) -> str | None:
    """The kind of answer a question (with diacritics, as typed or restored) asks for."""
    low = " ".join(question.lower().split())
    for kind, pattern in _EXPECTS:
        found = [m.group(0).lstrip() for m in re.finditer(pattern, low)]
        if kind == "person" and found and all(f.startswith("vị ") for f in found) and not _classifier_vi(low):
            continue  # "đơn vị nào": which unit, not who
        if found:
            return kind
    return None


def _classifier_vi(low: str) -> bool:
    """Is "vị" in "vị (lãnh đạo) nào" the classifier of an honoured person, a word of its own?
    In "đơn vị nào", "quý vị", "vị trí nào" it is a syllable of another word, which the word
    segmenter joins ("đơn_vị")."""
    toks = segment(low).split()
    return any(t == "vị" and "nào" in toks[i + 1 : i + 4] for i, t in enumerate(toks))


# --- dates and periods -------------------------------------------------------------------------
_MONTH_WORD = r"(?:giêng|chạp|một|hai|ba|tư|năm|sáu|bảy|tám|chín|mười(?: một| hai)?|\d{1,2})"
_DAY = re.compile(r"(?:\bngày )?\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\bngày \d{1,2}(?: tháng " + _MONTH_WORD + r")?(?:(?: năm|,)? \d{3,4})?",
                  re.IGNORECASE)
_MONTH = re.compile(r"\b\d{1,2}/\d{4}\b|\btháng " + _MONTH_WORD + r"\b(?:(?: năm|/|,)? ?\d{3,4})?", re.IGNORECASE)
_YEAR_WORDS = re.compile(r"\b(?:năm )?(?:1\d{3}|20\d{2})\b|\bnăm \d{1,4}(?: (?:TCN|SCN|trước Công nguyên))?\b",
                   re.IGNORECASE)
_PERIOD = re.compile(
    r"\b(?:thế kỷ|thế kỉ)(?: thứ)? [\dIVXLC]+\b|\bthế kỷ (?:này|trước|sau|\w+)|\b(?:thập niên|thập kỷ|những năm) \d+\b|"
    r"\b(?:thời kỳ|thời đại|thời|kỷ nguyên|triều đại|triều|giai đoạn|mùa|dịp|buổi|hồi|đời)(?: \w+){1,3}|"
    r"\b(?:sau khi|trước khi|kể từ khi|từ khi|cho đến khi|trong khi|ngay khi|sau|trước)(?: \w+){1,3}|"
    r"\b(?:đầu|cuối|giữa) (?:năm|tháng|thế kỷ|thập niên|những năm|thời kỳ|mùa)\b|"
    r"\b(?:thứ (?:hai|ba|tư|năm|sáu|bảy)|chủ nhật)\b|\b\d{1,2} giờ\b|\b(?:hôm|ngày) (?:nay|qua|mai)\b|"
    r"\bkhi(?: \w+){1,4}|\b(?:thế chiến|chiến tranh|cách mạng)(?: \w+){1,3}",
    re.IGNORECASE,
)


def _within(spans: list[Span], start: int, end: int) -> bool:
    """Is ``start:end`` inside one of ``spans`` (sorted, not overlapping)? A bisection: callers
    stay linear on long text."""
    k = bisect_right(spans, (start, sys.maxsize)) - 1
    return k >= 0 and spans[k][0] <= start and end <= spans[k][1]


def _last_char(text: str, pos: int) -> str:
    """The last character before ``pos`` that is not a space, "" at the text's start (so
    ``in ".!?"`` holds there too). It looks back a bounded stretch: callers stay linear."""
    return text[max(0, pos - 200) : pos].rstrip()[-1:]


def _regex_spans(*patterns: re.Pattern) -> Callable[[str], list[Span]]:
    def find(text: str) -> list[Span]:
        return _merge([m.span() for p in patterns for m in p.finditer(text)])

    return find


def _merge(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(e, out[-1][1]))
        else:
            out.append((s, e))
    return out


# --- quantities ----------------------------------------------------------------------------------
_NUMBER_WORDS = ["một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười", "mươi", "mốt", "lăm", "tư", "linh", "lẻ", "trăm", "nghìn", "ngàn", "vạn", "triệu", "tỷ", "tỉ", "chục", "rưỡi", "nửa", "vài"]
_NUM_WORD = r"(?:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_CAP_NUM_WORD = r"(?:" + "|".join(sorted((w.capitalize() for w in _NUMBER_WORDS), key=len, reverse=True)) + r")"
_WORD_NUMBER = re.compile(rf"(?<!\w)(?:{_NUM_WORD}|{_CAP_NUM_WORD})(?:\s+{_NUM_WORD})*(?=\s+\w)")
# "năm" is also "year" ("năm nay", "mỗi năm"), "tư" also "private"/"fourth" ("đầu tư"),
# "một" also "a"; these count only where they cannot be read so.
_NOT_AFTER_NAM = re.compile(r"\s+(?:\d|nay|ngoái|trước|sau|qua|đó|này|ấy|đấy|học|tài|tới|mới|rồi|sinh|tháng|kia|xưa)")
_NOT_BEFORE_NAM = {"mỗi", "hằng", "hàng", "trong", "cuối", "đầu", "giữa", "cả", "nhiều", "vài", "mấy", "cùng", "từng",
                   "các", "những", "quanh", "suốt", "nửa", "thâm", "lâu", "tết", "chục"}
_ONLY_AFTER = {"tư", "lẻ", "linh", "mốt", "lăm", "mươi", "rưỡi"}
# a scale word multiplies the number before it and is never a quantity alone ("hàng triệu")
_SCALE_WORDS = {"trăm", "nghìn", "ngàn", "vạn", "triệu", "tỷ", "tỉ", "chục"}
_SCALES = re.compile(r"(?:\s+(?:" + "|".join(sorted(_SCALE_WORDS, key=len, reverse=True)) + r")(?!\w))*")
# what a figure or a scaled number is counted in: currencies, percent and measures
_UNITS = (r"USD|EUR|VND|VNĐ|đồng|đô la Mỹ|đô la|đô-la|euro|yên|won|nhân dân tệ|bảng Anh|km2|km²|km|m2|m²|ha|"
          r"héc-ta|tấn|kg|MW|kWh|TEU")
_PERCENT = re.compile(r"\s*%|\s+phần trăm(?!\w)")
_UNIT = re.compile(r"\s+(?:" + _UNITS + r")(?![\w-])")
_HAS_UNIT = re.compile(r"(?:%|(?<!\w)(?:phần trăm|" + _UNITS + r"))$")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*(?:\s*%)?")
_NEXT_WORD = re.compile(r"\s+(\w)")


def _quantity_spans(text: str) -> list[Span]:
    """Whole quantities: a figure or number words, their scale words and the currency,
    percent or measure right after ("khoảng 900 triệu USD" -> "900 triệu USD", "101%", "ba
    nghìn"). Dates are not quantities; neither is a scale word alone ("hàng triệu người")."""
    dated = _merge([m.span() for f in (_DAY, _MONTH, _YEAR_WORDS) for m in f.finditer(text)])
    out = [_scaled(text, *m.span(), True) for m in _DIGITS.finditer(text) if not _within(dated, *m.span())]
    for m in _WORD_NUMBER.finditer(text):
        span = _number_words(text, m)
        if span:
            out.append(_scaled(text, *span, False))
    return _merge(out)


def _number_words(text: str, m: re.Match) -> Span | None:
    """The span of a run of number words that is a number here, or None ("năm nay", "đầu tư",
    "một dịp", "hàng triệu", "Ba Lan")."""
    words = m.group(0).split()
    start = m.start()
    prev = text[max(0, start - 40) : start].split()[-1:] or [""]
    if words[0][0].isupper():  # "Hai bên…" at a sentence's start; "Ba Lan", "Hai Bà Trưng" are names
        after = _NEXT_WORD.match(text, m.end())
        if _last_char(text, start) not in ".!?:" or (after and after.group(1).isupper()):
            return None
        words[0] = words[0].lower()
    # a word that only counts after another number word ("hai mươi tư") cannot lead
    while len(words) > 1 and words[0] in _ONLY_AFTER and prev[0].lower() not in _NUMBER_WORDS:
        start = text.index(words[1], start + len(words[0]))
        prev, words = [words[0]], words[1:]
    if words == ["năm"] and (_NOT_AFTER_NAM.match(text, m.end()) or prev[0].lower() in _NOT_BEFORE_NAM):
        return None
    if len(words) == 1 and words[0] in _ONLY_AFTER | {"một", "nửa"} and prev[0].lower() not in ("thứ", "mười", "mươi"):
        return None
    if all(w in _SCALE_WORDS for w in words):
        return None  # "hàng triệu", and "triệu" in "900 triệu", which the figure takes
    return start, m.end()


def _scaled(text: str, start: int, end: int, figure: bool) -> Span:
    """``start:end`` with the scale words and the unit that follow it: percent after any
    number, a currency or measure after a scale word ("5,1 tỷ USD") or after a ``figure`` in
    digits when it is a word of its own there ("500 đồng", but "1.000 đồng bào" are people and
    "3 đồng chí" comrades: the word segmenter joins "đồng_bào")."""
    scales = _SCALES.match(text, end)
    scaled = text[start:end].split()[-1] in _SCALE_WORDS
    if scales and scales.end() > end:
        end, scaled = scales.end(), True
    unit = _PERCENT.match(text, end)
    if not unit and (figure or scaled):
        unit = _UNIT.match(text, end)
        if unit and not scaled:
            word = unit.group(0).strip()
            joined = segment(text[unit.end() - len(word) : unit.end() + 12]).split()[0]
            unit = None if len(joined) > len(word) else unit
    return (start, unit.end()) if unit else (start, end)


# the words that may stand before a quantity and say how exact it is
_QUALIFIER = re.compile(r"(?<!\w)(?:hơn|trên|khoảng|gần|tới|hàng|chừng|xấp xỉ|ít nhất|dưới|ngót|tối thiểu|tối đa)\s+$",
                        re.IGNORECASE)
# function words: never the thing counted, never part of a law's name
FUNCTION_WORDS = frozenset(
    ["và", "của", "với", "trong", "tại", "là", "được", "đã", "từ", "cho", "vào", "so", "bị", "sẽ", "đang", "có", "không", "chưa", "này", "đó", "ở", "theo", "về", "như", "thì", "mà", "để", "do", "bởi", "trên", "dưới", "đến", "tới", "hoặc", "hay", "nhưng", "rằng", "khi", "các", "những", "một", "hơn"]
)
_NEXT_SYLLABLES = re.compile(r"\s+(\w+(?:\s+\w+){0,3})")
_YEAR_AFTER = re.compile(r"\s+năm\s+\d", re.IGNORECASE)


def counted(text: str, span: Span) -> Span:
    """A quantity's span with the qualifier before it and the noun it counts after it:
    "hơn 190 dự án", "trên 5,1 tỷ USD", "58 quốc gia". The noun is the next word (as the word
    segmenter joins syllables: "dự án", "quốc gia", "người" in "người tham gia") when it is a
    lower-case word and not a function word; a quantity with its unit ("5,1 tỷ USD", "7%") has
    its noun already."""
    start, end = span
    q = _QUALIFIER.search(text, max(0, start - 20), start)
    if q:
        start = q.start()
    noun = None if _HAS_UNIT.search(text[span[0] : end]) else counted_noun(text, end)
    return (start, noun[1]) if noun else (start, end)


def counted_noun(text: str, pos: int) -> Span | None:
    """The span of the noun right after ``pos`` that a number there counts, or None.

    subtle: "năm" after a figure is counted years ("20 năm qua") unless a figure follows it
    ("hạng 3 năm 2020": a rank, then a date)."""
    after = _NEXT_SYLLABLES.match(text, pos)
    if not after or not after.group(1)[:1].islower() or _YEAR_AFTER.match(text, pos):
        return None
    first = segment(after.group(1)).split()[0]
    syllables = first.split("_")
    if not all(w.isalpha() and w.islower() for w in syllables) or syllables[0] in FUNCTION_WORDS:
        return None
    m = re.compile(r"\s+(" + r"\s+".join(map(re.escape, syllables)) + r")(?!\w)").match(text, pos)
    return m.span(1) if m else None


# --- laws and articles -------------------------------------------------------------------------------
# "Luật Đầu tư năm 2020", "Nghị định số 15/2018/NĐ-CP", "khoản 2 Điều 12": a year in a law's
# name names the law, not a period. "Quyết định" and "Chỉ thị" are verbs too ("quyết định đầu
# tư năm 2020"): written in lower case they head a law only with its number.
_LAW_HEAD = re.compile(r"(?<!\w)(Bộ luật|Luật|Hiến pháp|Pháp lệnh|Nghị quyết|Nghị định thư|Nghị định|"
                       r"Thông tư liên tịch|Thông tư|Quyết định|Chỉ thị|Hiệp định|Hiệp ước|Công ước)(?!\w)",
                       re.IGNORECASE)
_VERB_HEADS = {"quyết định", "chỉ thị"}
_DOC_NUMBER = re.compile(r"\s+(?:số\s+)?(\d+(?:/\d{4})?[/-][^\W\d_]{2,}\d*(?:[-/][^\W\d_]{2,}\d*)*)(?![\w/-])",
                         re.IGNORECASE)
_BARE_NUMBER = re.compile(r"(?<![\w/-])\d+(?:/\d{4})?[/-][A-ZĐ]{2,}\d*(?:[-/][A-ZĐ]{2,}\d*)*(?![\w/-])")
_ARTICLE = re.compile(r"(?<!\w)(?:điểm [a-zđ]\)?,?\s+)?(?:khoản \d+,?\s+)?điều \d+[a-zđ]?(?!\w)", re.IGNORECASE)
_NAME_WORD = re.compile(r"\s+(\w+(?:-\w+)*)")
_LAW_YEAR = re.compile(r"\s+(?:năm\s+)?((?:1[89]|20)\d{2})(?![\w/])", re.IGNORECASE)
_MAX_NAME_WORDS = 8


def law_refs(text: str) -> list[str]:
    """The laws, decrees and articles ``text`` names, once each, as written but with spaces
    collapsed and "số"/"năm" dropped: "Luật Đầu tư năm 2020" -> "Luật Đầu tư 2020",
    "Nghị định số 15/2018/NĐ-CP" -> "Nghị định 15/2018/NĐ-CP", "khoản 2 Điều 12". Without a
    year a name is its first word as the word segmenter joins it ("Luật Bảo vệ" of "Luật Bảo vệ
    môi trường quy định"): a prefix of the full name, which is where a name without a year ends
    is not known from the words alone."""
    return list(dict.fromkeys(ref for _, ref in _laws(text)))


def law_spans(text: str) -> list[Span]:
    """Where :func:`law_refs` found its references in ``text``."""
    return _merge([span for span, _ in _laws(text)])


def _laws(text: str) -> list[tuple[Span, str]]:
    found = [(m.span(), " ".join(m.group(0).split())) for m in _ARTICLE.finditer(text)]
    end = 0
    for m in _LAW_HEAD.finditer(text):
        if m.start() < end:
            continue  # inside the previous name: "Công ước … về Luật Biển"
        law = _law_at(text, m)
        if law:
            found.append(law)
            end = law[0][1]
    named = _merge([span for span, _ in found])
    found += [(b.span(), b.group(0)) for b in _BARE_NUMBER.finditer(text) if not _within(named, *b.span())]
    return sorted(found)


def _law_at(text: str, head: re.Match) -> tuple[Span, str] | None:
    """The law whose name starts with ``head`` ("Luật", "Nghị định"), or None ("luật pháp")."""
    name = head.group(1)
    number = _DOC_NUMBER.match(text, head.end())
    if number:
        return (head.start(), number.end()), f"{name} {number.group(1)}"
    lower = name[0].islower()
    if lower and name.lower() in _VERB_HEADS:
        return None
    if lower and segment(text[head.start() : head.end() + 12]).split()[0].count("_") > name.count(" "):
        return None  # "luật pháp", "luật sư": the head is a syllable of another word
    words: list[re.Match] = []
    pos, year = head.end(), None
    while len(words) < _MAX_NAME_WORDS:
        year = _LAW_YEAR.match(text, pos)
        word = None if year else _NAME_WORD.match(text, pos)
        if not word or word.group(1).lower() in FUNCTION_WORDS or word.group(1)[0].isdigit():
            break
        if not words and word.group(1)[0].islower() and not lower:
            break  # "Luật được thông qua": a capitalised head names a law by a capitalised word
        words.append(word)
        pos = word.end()
    if year:
        return (head.start(), year.end()), " ".join([name, *(w.group(1) for w in words), year.group(1)])
    if lower or not words:
        return ((head.start(), head.end()), name) if name.lower() == "hiến pháp" else None
    first = segment(" ".join(w.group(1) for w in words)).split()[0]
    words = words[: max(1, first.count("_") + 1)]
    return (head.start(), words[-1].end()), " ".join([name, *(w.group(1) for w in words)])


# --- people ----------------------------------------------------------------------------------------
_SURNAMES = frozenset(
    ["nguyễn", "trần", "lê", "phạm", "hoàng", "huỳnh", "phan", "vũ", "võ", "đặng", "bùi", "đỗ", "hồ", "ngô", "dương", "lý", "đinh", "trịnh", "đoàn", "mai", "tô", "lương", "cao", "thái", "lâm", "chu", "đào", "tạ", "trương", "quách", "vương", "tôn", "triệu", "kiều", "lưu", "hà", "văn", "châu", "âu", "lã", "mạc", "khổng", "thân", "tăng", "lục", "phùng", "diệp", "nghiêm", "giang", "doãn", "hứa", "khúc", "kim", "lò", "quan", "tống"]
)
_HONORIFIC = re.compile(
    r"(?:\b(?:ông|bà|ngài|anh|chị|cô|đồng chí|Mr|Mrs|Ms|Dr|Sir|Lord|TS|ThS|GS|PGS|BS|Tổng thống|Thủ tướng|"
    r"Chủ tịch|Bộ trưởng|Thứ trưởng|Đại sứ|Thị trưởng|Thống đốc|Giám đốc|Tổng Giám đốc|Hoàng đế|Vua|vua|"
    r"Nữ hoàng|Hoàng tử|Công chúa|Giáo hoàng|Tướng|tướng|Thánh|nhà \w+|kiến trúc sư|giáo sư|tiến sĩ|"
    r"nhạc sĩ|họa sĩ|ca sĩ|nhà văn|nhà thơ|tác giả|cầu thủ|huấn luyện viên|người sáng lập)\.?)\s+$"
)
# an administrative unit before a name makes a foreign name a place ("tỉnh Gunma"); a
# Vietnamese full name there is still a person ("Phó Chủ tịch UBND tỉnh Nguyễn Thị Hạnh")
_PLACE_NOUN = re.compile(r"\b(?:tỉnh|thành phố|thủ đô|bang|quận|huyện|xã|phường|thị xã|thị trấn|làng|đảo|TP)\.?\s+$")
_WORD = re.compile(r"\w+(?:['’.-]\w+)*")


def _cap(word: str) -> bool:
    return word[:1].isupper()


def _code(word: str) -> bool:
    """An acronym or a reference ("QĐ-UB", "FDI", "A320"), not a name."""
    letters = [ch for ch in word if ch.isalpha()]
    return any(ch.isdigit() for ch in word) or (len(letters) >= 2 and all(ch.isupper() for ch in letters))


_PARTICLES = frozenset(["de", "da", "van", "von", "der", "den", "del", "di", "du", "la", "le", "bin", "ibn", "al", "el", "y", "dos", "das"])
# institutions are capitalised too ("Sở Ngoại vụ", "Hội đồng Bảo an")
_INSTITUTIONS = frozenset(
    ["sở", "bộ", "ủy", "ủy-ban", "ban", "đoàn", "phòng", "cục", "tổng", "hội", "viện", "trường", "đại", "công", "tập", "ngân", "liên", "tổ", "quỹ", "trung", "đảng", "quốc", "chính", "nhà", "thành", "tỉnh", "hiệp", "văn", "học", "cơ", "sân", "nhóm", "đội", "câu", "giải", "chương", "dự", "luật", "hiến", "hiệp-định"]
)


def _is_foreign(token: str) -> bool:
    return any(not is_syllable(part) for part in re.split(r"['’-]", token) if part)


def _person_spans(text: str) -> list[Span]:
    places = [(f.start, f.end) for f in find_places(text, accented=True)]  # left to right, not overlapping
    toks = list(re.finditer(r"\w+(?:['’.-]\w+)*", text))
    out: list[Span] = []
    i = 0
    while i < len(toks):
        if not _cap(toks[i].group(0)) or _code(toks[i].group(0)):
            i += 1
            continue
        j = i + 1  # a run of capitalised words, particles allowed inside ("Ludwig van Beethoven")
        while j < len(toks) and ((_cap(toks[j].group(0)) and not _code(toks[j].group(0))) or (
                toks[j].group(0) in _PARTICLES and j + 1 < len(toks) and _cap(toks[j + 1].group(0)))):
            if text[toks[j - 1].end() : toks[j].start()].strip(" "):  # punctuation ends the run
                break
            j += 1
        for piece in _pieces(toks[i:j], places):
            span = _person(text, piece, places)
            if span:
                out.append(span)
        i = j
    return out


def _pieces(run: list[re.Match], places: list[Span]) -> list[list[re.Match]]:
    """A run cut after each place inside it that more words follow: in "Sở Ngoại vụ tỉnh Quảng
    Ninh Nguyễn Văn Hùng" or "Đại sứ … tại Việt Nam Ito Naoki" the name comes after the place
    its bearer serves. A place a surname shortly before leads into stays in the name ("Ông
    Nguyễn Thái Bình Minh"): there it is a given name."""
    pieces: list[list[re.Match]] = []
    k = 0
    first = max(0, bisect_right(places, (run[0].start(), sys.maxsize)) - 1)  # it may begin before: "tỉnh Quảng Ninh"
    for ps, pe in places[first : bisect_right(places, (run[-1].end(), -1))]:
        inside = [n for n, t in enumerate(run) if ps <= t.start() and t.end() <= pe]
        if not inside or inside[-1] + 1 >= len(run) or inside[0] < k:
            continue
        before = run[k : inside[0]]
        if any(t.group(0).lower() in _SURNAMES - _INSTITUTIONS for t in before[-3:]):
            continue
        pieces += [p for p in (before, run[inside[0] : inside[-1] + 1]) if p]
        k = inside[-1] + 1
    return [*pieces, run[k:]]


def _person(text: str, run: list[re.Match], places: list[Span]) -> Span | None:
    """The span of a run of capitalised words that names a person, or None."""
    words = [t.group(0) for t in run]
    start, end = run[0].start(), run[-1].end()
    if _within(places, start, end):
        return None  # "Hà Nội", "Thụy Điển": a place
    before = text[max(0, start - 40) : start]
    titled = bool(_HONORIFIC.search(before))
    sentence_start = _last_char(text, start) in ".!?:\"“"
    if sentence_start and len(words) > 1 and not _is_foreign(words[0]) and words[0].lower() not in _SURNAMES:
        run, words = run[1:], words[1:]  # "Ông Walter…", "Kiến trúc sư…": the first word is capitalised anyway
        start = run[0].start()
    head = words[0].lower()
    vietnamese = len(words) >= 2 and head in _SURNAMES and all(is_syllable(w) for w in words)
    # "Đoàn" heads a delegation ("Đoàn Thái tử Bỉ", "Đoàn đại biểu") and is a surname: a name
    # only after a title or as a full name of three or four syllables
    if head in _INSTITUTIONS and not (head in _SURNAMES and (titled or (vietnamese and 3 <= len(words) <= 4))):
        return None
    foreign = any(_is_foreign(w) for w in words)
    if foreign and not vietnamese and _PLACE_NOUN.search(before):
        return None  # "tỉnh Gunma": a place the list does not know
    # one foreign word inside a sentence is a name too ("Newton", "Rollo"); at its start it
    # may be any capitalised word
    person = (len(words) >= 2 and (foreign or vietnamese)) or titled or (foreign and not sentence_start)
    return (start, end) if person else None


# --- places -----------------------------------------------------------------------------------------
_PLACE_CUE = re.compile(
    r"\b(?:ở|tại|từ|đến|tới|sang|thăm|trong|ngoài|gần|phía|miền|vùng|khu vực|bờ|trên|tỉnh|thành phố|thủ đô|"
    r"bang|quận|huyện|xã|làng|thị trấn|đảo|quần đảo|sông|núi|hồ|biển|vịnh|châu|nước|quốc gia|lục địa|"
    r"in|at|from|to|near)\s+$", re.IGNORECASE)


def _place_spans(text: str) -> list[Span]:
    """Known places, and capitalised names inside a sentence that are foreign words or follow a
    place word or a preposition of place ("tại Weimar", "tỉnh Savannakhet")."""
    known = [(f.start, f.end) for f in find_places(text, accented=True)]
    named: list[Span] = []
    runs: list[list[re.Match]] = []
    for m in _WORD.finditer(text):
        if _cap(m.group(0)) and _last_char(text, m.start()) not in ".!?:":
            if runs and not text[runs[-1][-1].end() : m.start()].strip():
                runs[-1].append(m)  # "Thành phố New York": one name
            else:
                runs.append([m])
    for run in runs:
        s, e = run[0].start(), run[-1].end()
        if len(run) > 1 and run[0].group(0).lower() in _INSTITUTIONS - {"thành", "tỉnh"}:
            continue  # a body or an event named in a foreign word ("Giải Golf", "Hội Rotary")
        if any(_is_foreign(m.group(0)) for m in run) or _PLACE_CUE.search(text[max(0, s - 20) : s]):
            named.append((s, e))
    return _merge(known + named)


_FINDERS: dict[str, Callable[[str], list[Span]]] = {
    "day": _regex_spans(_DAY),
    "month": _regex_spans(_MONTH, _DAY),
    "year": _regex_spans(_YEAR_WORDS, _DAY, _MONTH),
    "date": _regex_spans(_DAY, _MONTH, _YEAR_WORDS, _PERIOD),
    "number": _quantity_spans,
    "person": _person_spans,
    "place": _place_spans,
    "yesno": lambda text: [(0, len(text))] if text.strip() else [],
}
KINDS = tuple(_FINDERS)


def spans(kind: str, text: str) -> list[Span]:
    """Stretches of ``text`` that are of ``kind`` (one of :data:`KINDS`)."""
    return _FINDERS[kind](text)


@lru_cache(maxsize=4096)
def has(kind: str, text: str) -> bool:
    return bool(spans(kind, text))


def new_spans(kind: str, text: str, asked: frozenset[str]) -> list[Span]:
    """Spans of ``kind`` that say something the question does not: an answer is new information
    ("Hoa Kỳ" does not answer "Thành phố nào của Hoa Kỳ…?"). ``asked``: the question's
    folded lower-case words (:func:`folded_words`)."""
    if kind == "yesno":
        return spans(kind, text)
    return [(s, e) for s, e in spans(kind, text) if not folded_words(text[s:e]) <= asked]


_SUBNATIONAL = re.compile(r"(?:thành phố|tỉnh|bang|quận|huyện|xã|thị trấn|vùng|địa phương|thủ phủ) nào|"
                          r"which (?:city|province|state|region)", re.IGNORECASE)


# a question for a named place ("tỉnh nào", "nước nào"), which only a name answers; not "loại
# thành phố nào" (a sort of city) nor "tiểu bang nào" inside a road's name
_NAMED_PLACE = re.compile(r"(?<!loại )(?<!tiểu )\b(?:thành phố|tỉnh|nước|quốc gia|thủ đô|bang|địa phương|huyện|quận) nào|"
                          r"which (?:city|country|province|state)\b", re.IGNORECASE)


_COUNTRY_ASKED = re.compile(r"(?:nước|quốc gia) nào|which country", re.IGNORECASE)


def asks_named_place(question: str) -> bool:
    return bool(_NAMED_PLACE.search(question))


def asks_country(question: str) -> bool:
    """"nước nào", "quốc gia nào": a country answers it, another province is a near miss."""
    return bool(_COUNTRY_ASKED.search(question))


def answer_spans(kind: str, text: str, question: str) -> list[Span]:
    """:func:`new_spans`, and for a place, one that fits the question: a city or province is not
    answered by a country, and "thành phố nào của Hoa Kỳ" not by a Vietnamese province."""
    found = new_spans(kind, text, folded_words(question))
    if kind != "place":
        return found
    foreign = [f.place for f in find_places(question) if f.place.country and f.place.name != "Việt Nam"]
    sub = bool(_SUBNATIONAL.search(question))
    if not foreign and not sub:
        return found
    known = {(f.start, f.end): f.place for f in find_places(text, accented=True)}

    def fits(span: Span) -> bool:
        inside = [p for (s, e), p in known.items() if span[0] <= s and e <= span[1]]
        if not inside:
            return True  # a name the list does not know: it may be the city asked for
        return any(not ((sub and p.country) or (foreign and (p.vietnamese or p.country))) for p in inside)

    return [sp for sp in found if fits(sp)]


# --- yes/no --------------------------------------------------------------------------------------------
_NEGATION = re.compile(r"\b(?:không|chưa|chẳng|chả|never|not|no)\b", re.IGNORECASE)
# "không" that negates nothing: the Sino-Vietnamese word for air or space ("hàng không",
# "không quân", "không gian") and the affirmative idioms "không chỉ/không những … mà còn" (not
# only), "không ngừng" (ceaselessly), "không ít" (quite a few), "không kém" (no less)
_NOT_NEGATION = re.compile(r"\b(?:hàng không|chân không|hư không|không (?:khí|gian|quân|phận|trung|vận|lưu|kích|ảnh|"
                           r"tưởng|chỉ|những|ngừng|ít|kém))\b", re.IGNORECASE)
# between a negation or an aspect marker and its verb: "chưa từng ký", "không được phê duyệt"
_AUX = r"(?:\s+(?:hề|từng|được|có|đã|phải|bao giờ|thể))*"
_ASKED_VERB = re.compile(r"\b(?:đã|có)" + _AUX + r"\s+(\w+)", re.IGNORECASE)


def yes_or_no(sentence: str, question: str) -> str:
    """ "Có" or "Không" for a yes/no question, by the sentence's negation against the question's.

    The verb the question asks about ("ký" in "đã ký MOU … chưa?", "phê" in "có được phê duyệt
    không?") decides first: "chưa ký", "không hề ký" say no, "đã ký" or plain "ký" yes. A sentence
    that does not repeat the verb is read by any negation in it. "không" in "hàng không" or
    "không chỉ … mà còn" negates nothing."""
    sentence = _NOT_NEGATION.sub(" ", sentence)
    question = question.strip()
    asked_negated = bool(_NEGATION.search(_NOT_NEGATION.sub(" ", re.sub(r"\b(?:không|chưa)\s*\?*\s*$", "", question))))
    verb = _ASKED_VERB.search(question)
    negated = bool(_NEGATION.search(sentence))
    if verb:
        said = rf"\b{re.escape(verb.group(1))}\b"
        if re.search(r"\b(?:không|chưa|chẳng|chả)" + _AUX + r"\s+" + said, sentence, re.IGNORECASE):
            negated = True
        elif re.search(said, sentence, re.IGNORECASE):
            negated = False
    return "Không" if negated != asked_negated else "Có"


def folded_words(text: str) -> frozenset[str]:
    return frozenset(_folded(w) for w in _WORDS.findall(text))


_WORDS = re.compile(r"\w+")


@lru_cache(maxsize=1 << 16)  # asked of every candidate sentence's words: an archive's answer folded 6,000 words
def _folded(word: str) -> str:
    return fold(word).lower()
