"""Follow-up questions -> standalone questions, by rule (no language model).

In a chat the analyst asks "Sở Ngoại vụ Hải Phòng được thành lập khi nào?" and then just
"Còn Hà Nội thì sao?". Retrieval needs the whole question, so the follow-up is rewritten
from the previous (already standalone) question before anything is searched:

* ellipsis -- "còn X thì sao?", "thế còn X?", "X thì sao?", "ở X thì thế nào?": X replaces
  the place (or the year, or the subject) of the previous question;
* a place pronoun -- "thành phố này", "tỉnh đó", "ở đó": the most recent place named in the
  conversation is put in its stead;
* a reference to the previous answer -- "con số đó năm 2016" (the previous question, for
  2016), "ông ấy" (the person the answer named), "năm đó" (the year it gave).

A question that matches neither is returned unchanged. Deliberately not here: rewriting
with an LLM (``prompts/rewrite.txt`` is that template, for generative backends) and any
guess beyond the previous answer's own words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..vietnamese import fold, has_diacritics, normalize
from .kinds import YEAR, expected_kind, spans
from .places import Place, find_places


@dataclass(frozen=True)
class Exchange:
    """One earlier question of a conversation (as it was answered) and its answer's text."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Rewrite:
    original: str
    question: str  # what retrieval gets; equal to ``original`` for a standalone question
    rule: str = ""  # "place", "year", "subject", "append", "pronoun", "person" or "figure"; "" when unchanged

    @property
    def changed(self) -> bool:
        return self.question != self.original


class _Pattern:
    """A regex written with diacritics that also matches text typed without them.

    subtle: pattern and text are both folded, and folding keeps the length of NFC text, so a
    span found in the folded text is the same span in the original.
    """

    def __init__(self, source: str) -> None:
        self.re = re.compile(fold(source), re.IGNORECASE)

    def match(self, text: str) -> re.Match | None:
        return self.re.match(fold(text))

    def search(self, text: str) -> re.Match | None:
        return self.re.search(fold(text))

    def finditer(self, text: str) -> list[re.Match]:
        return list(self.re.finditer(fold(text)))


_TAIL = r"(?:\s+(?:ạ|nhỉ|vậy|thế|nhé))?\s*[?.!]*\s*$"
_HOW = r"(?:sao|thế nào|như thế nào|ra sao|thì sao)"
# "còn X thì sao?", "thế còn X?", "vậy còn ở X thì thế nào?"
_CON_X = _Pattern(r"^(?:(?:thế|vậy|thế thì|vậy thì|và)\s+)?còn\s+(?P<x>.+?)(?:\s+thì)?(?:\s+" + _HOW + r")?" + _TAIL)
# "X thì sao?", "ở X thì thế nào?", "vậy với X thì sao?"
_X_THI = _Pattern(r"^(?:(?:thế|vậy)\s+)?(?P<x>.+?)\s+thì\s+" + _HOW + _TAIL)
_PREP = _Pattern(r"^(?:ở|tại|với|đối với|của|về|trong)\s+")
# Words that make X a question of its own rather than a new subject for the old one. Matched
# with diacritics when X has them: folded, "mấy" would also reject "nhà máy".
_ASKING_SOURCE = r"(?<!\w)(?:bao nhiêu|khi nào|bao giờ|gì|ai|nào|đâu|mấy|không|tại sao|vì sao)(?!\w)"
_ASKING = re.compile(_ASKING_SOURCE, re.IGNORECASE)
_ASKING_FOLDED = _Pattern(_ASKING_SOURCE)
_MAX_X_WORDS = 6
# Where the subject of a question ends: its first verb or question word.
_PREDICATE = _Pattern(
    r"\s(?:được|đã|đang|sẽ|có|là|thành lập|tổ chức|ký|đạt|thu hút|tiếp|đón|hợp tác|làm|gồm|"
    r"bao nhiêu|khi nào|thế nào|như thế nào|ra sao|gì|nào)(?!\w)"
)
_PRONOUN = _Pattern(
    r"(?<!\w)(?:(?P<noun>thành phố|tỉnh|địa phương|địa bàn)|(?P<prep>ở|tại|nơi))\s+(?:này|đó|ấy|đấy|nói trên)(?!\w)"
)


def _strip_q(text: str) -> str:
    return text.rstrip(" ?.!")


def _with_tail(prev: str, addition: str) -> str:
    return f"{_strip_q(prev)} {addition}?"


def _ellipsis_target(question: str) -> str | None:
    """X in "còn X thì sao?" and its kin, or None when ``question`` is not such a question."""
    m = _CON_X.match(question) or _X_THI.match(question)
    if not m:
        return None
    x = question[m.start("x") : m.end("x")].strip(" ,")
    prep = _PREP.match(x)
    x = x[prep.end() :] if prep else x
    asking = _ASKING.search(x) if has_diacritics(x) else _ASKING_FOLDED.search(x)
    if not x or len(x.split()) > _MAX_X_WORDS or asking:
        return None
    return x


def _name(place: Place, like: str) -> str:
    # an unaccented question stays unaccented: retrieval reads a mix as accented text
    return place.name if has_diacritics(like) else fold(place.name)


def _replace_place(prev: str, new: Place) -> tuple[str, str]:
    same_kind = [f for f in find_places(prev) if f.place.vietnamese == new.vietnamese]
    name = _name(new, prev)
    if not same_kind:
        return _with_tail(prev, ("ở " if new.vietnamese else "với ") + name), "append"
    old = same_kind[-1].place  # the one named last: "so sánh Hà Nội và Hải Phòng" -> Hải Phòng
    out = prev
    for f in reversed([f for f in same_kind if f.place is old]):
        out = out[: f.start] + name + out[f.end :]
    return out, "place"


def _replace_subject(prev: str, x: str) -> tuple[str, str]:
    m = _PREDICATE.search(prev)
    subject = prev[: m.start()].strip() if m else ""
    if m is None or not subject or len(subject.split()) > 8:
        return _with_tail(prev, f"– {x}"), "append"
    # keep the subject's place: "còn Phòng Ngoại vụ?" after a question on Hà Nội stays on Hà Nội
    new_subject = " ".join([x, *(_name(f.place, subject) for f in find_places(subject))])
    return new_subject[:1].upper() + new_subject[1:] + prev[m.start():], "subject"


def _replace_year(prev: str, year: str) -> tuple[str, str]:
    if YEAR.search(prev):
        return YEAR.sub(year, prev, count=1), "year"
    return _with_tail(prev, f"năm {year}" if has_diacritics(prev) else f"nam {year}"), "append"


def _ellipsis(x: str, prev: str) -> tuple[str, str]:
    x_places = find_places(x)
    x_years = YEAR.findall(x)
    if x_places:
        new, rule = _replace_place(prev, x_places[0].place)
        if x_years:  # "Năm 2019 Hà Nội thì sao?": both change
            new, _ = _replace_year(new, x_years[0])
        return new, rule
    if x_years:
        return _replace_year(prev, x_years[0])
    return _replace_subject(prev, x)


# --- references to the previous answer -----------------------------------------------------------
# "con số đó", "số liệu này": the figure just given; "năm đó", "thời điểm ấy": its year;
# "ông ấy", "bà đó", "người này": the person it named.
_DEICTIC = r"(?:đó|ấy|này|đấy|kia|nói trên|trên)"
_FIGURE = _Pattern(r"(?<!\w)(?:con số|số liệu|số lượng|tỷ lệ|giá trị|mức|số)\s+" + _DEICTIC + r"(?!\w)")
_WHEN = _Pattern(r"(?<!\w)(?:vào\s+|trong\s+)?(?:năm|thời điểm|thời gian|lúc|hồi|khi)\s+" + _DEICTIC + r"(?!\w)")
_PERSON = _Pattern(r"(?<!\w)(?P<title>ông|bà|anh|chị|ngài|người|vị|nhân vật)\s+" + _DEICTIC + r"(?!\w)")


def _year_of(answer: str, prev: str) -> str | None:
    """The year the previous answer gave (its short answer first), else the previous question's."""
    for text in (answer.split("\n", 1)[0], answer, prev):
        years = YEAR.findall(text)
        if years:
            return years[0]
    return None


def _person_of(answer: str, prev: str) -> str | None:
    for text in (answer.split("\n", 1)[0], answer, prev):
        clean = re.sub(r"\[\d+\]", " ", text)
        found = spans("person", clean)
        if found:
            s, e = found[0]
            return re.sub(r"^(?:[ÔôBb]à|[Ôô]ng|[Nn]gài)\s+", "", clean[s:e])
    return None


def _resolve_reference(q: str, prev: str, answer: str) -> tuple[str, str] | None:
    m = _PERSON.search(q)
    if m:
        name = _person_of(answer, prev)
        if name is None:
            return None
        title = q[m.start("title") : m.end("title")]
        keep = title if fold(title).lower() in {"ong", "ba", "ngai"} else ""
        said = f"{keep} {name}".strip()
        said = said[:1].upper() + said[1:] if m.start() == 0 else said
        return q[: m.start()] + said + q[m.end() :], "person"
    m = _WHEN.search(q)
    if m:
        year = _year_of(answer, prev)
        if year is None:
            return None
        rest = (q[: m.start()] + q[m.end() :]).strip(" ,")
        x = _ellipsis_target(rest) if rest else None
        if x is not None or not rest.strip(" ?"):  # "Năm đó Hà Nội thì sao?", "Còn năm đó?"
            new, _ = _ellipsis(x, prev) if x else (prev, "")
            if expected_kind(prev) in ("year", "date", "day", "month"):
                return new, "year"  # the year was the answer: ask the same of the new subject
            return _replace_year(new, year)[0], "year"
        return q[: m.start()] + ("năm " if has_diacritics(q) else "nam ") + year + q[m.end() :], "year"
    m = _FIGURE.search(q)
    if m:
        rest = q[: m.start()] + q[m.end() :]
        years, places = YEAR.findall(rest), find_places(rest)
        if not years and not places:
            return None
        new = prev
        if places:
            new, _ = _replace_place(new, places[0].place)
        if years:
            new, _ = _replace_year(new, years[0])
        return new, "figure"
    return None


def _last_locality(history: Sequence[str]) -> Place | None:
    for text in reversed(history):
        local = [f.place for f in find_places(normalize(text)) if f.place.vietnamese]
        if local:
            return local[-1]
    return None


def _resolve_pronouns(question: str, place: Place) -> str:
    out, pos = [], 0
    for m in _PRONOUN.finditer(question):
        out.append(question[pos : m.start()])
        name = _name(place, question)
        if m.group("prep"):
            out.append(f"{question[m.start('prep') : m.end('prep')]} {name}")
        else:
            noun = question[m.start("noun") : m.end("noun")]
            if fold(noun).lower() in {"dia phuong", "dia ban"} or fold(name).lower().startswith(fold(noun).lower()):
                out.append(name)  # "Thành phố Hồ Chí Minh", not "thành phố Thành phố Hồ Chí Minh"
            else:
                out.append(f"{noun} {name}")
        pos = m.end()
    out.append(question[pos:])
    return "".join(out)


def rewrite(question: str, history: Sequence[str], answer: str = "") -> Rewrite:
    """``question`` as a standalone question, given the earlier standalone questions and the
    text of the previous answer (for "con số đó", "ông ấy", "năm đó")."""
    q = normalize(question).strip()
    if not history:
        return Rewrite(q, q)
    prev = normalize(history[-1]).strip()
    resolved = _resolve_reference(q, prev, normalize(answer or ""))
    if resolved is not None:
        return Rewrite(q, *resolved)
    x = _ellipsis_target(q)
    if x is not None:
        new, rule = _ellipsis(x, prev)
        return Rewrite(q, new, rule)
    if _PRONOUN.search(q) and not any(f.place.vietnamese for f in find_places(q)):
        place = _last_locality(history)
        if place is not None:
            return Rewrite(q, _resolve_pronouns(q, place), "pronoun")
    return Rewrite(q, q)
