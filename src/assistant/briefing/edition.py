"""Editions of a recurring briefing: what each one answered, kept so the next can say what changed.

Every ``assistant brief`` writes ``STEM.json`` beside its .md/.docx: the date, the topic and,
per question, whether it was refused, the answer as printed, its figures and its citations.
``assistant brief --since LAST.json`` reads the last one back (:func:`load_edition`) and
:func:`compare` says, per question matched by its normalised text, what is new:

    new_question         not asked in the last edition
    new_figure           a figure stated now that the last edition did not state
    new_source           an article cited now that the last edition did not cite
    no_longer_supported  answered last time and refused now, or a source cited last time
                         that has left the archive or no longer holds the sentence quoted
    unchanged            the same figures from the same articles (or refused both times)
    other                none of these, yet not the same: a figure or an article dropped

Several may hold at once (a new figure from a new source). Figures are the amounts in digits of
the cited sentences as :mod:`question.kinds` finds them, with what they count ("350 người",
"6,2 triệu USD"): money, percentages, measures and counts of things; dates, years, durations,
ordinals and numbers in words are not figures (:func:`figures_in`). Two figures are the same
when they state the same amount in the same unit class (:func:`figure_key`: "350 người" and
"350 học viên", "6,2 triệu USD" and "6,2 triệu đô la Mỹ"). Deliberately not here: judging whether a figure
*contradicts* an older one; the briefing shows both with their dates and the reader decides.

The JSON shape (``version`` 1) is documented in README.md ("Briefings") and kept stable:
a reader should ignore keys it does not know.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..documents import Document
from ..errors import BriefingError
from ..question import kinds
from ..vietnamese import clean_input
from .model import NO_INFO, Briefing, Item, Line

FORMAT = "assistant-briefing-edition"
VERSION = 1
NEW_QUESTION, NEW_FIGURE, NEW_SOURCE = "new_question", "new_figure", "new_source"
UNSUPPORTED, UNCHANGED, OTHER = "no_longer_supported", "unchanged", "other"


@dataclass(frozen=True)
class Cited:
    doc_id: str
    title: str
    date: str  # the label a reader sees
    outlet: str
    url: str
    quote: str
    note: int = 0  # its footnote in that briefing: the [n] of the answer text


@dataclass(frozen=True)
class Answered:
    question: str
    refused: bool
    answer: str
    figures: tuple[str, ...]
    citations: tuple[Cited, ...]

    @property
    def doc_ids(self) -> list[str]:
        return list(dict.fromkeys(c.doc_id for c in self.citations))


@dataclass(frozen=True)
class Edition:
    written: date
    topic: str
    questions: tuple[Answered, ...]


@dataclass(frozen=True)
class Change:
    """What changed for one question since the last edition."""

    status: tuple[str, ...]
    new_figures: tuple[str, ...] = ()
    previous_figures: tuple[str, ...] = ()
    new_sources: tuple[Cited, ...] = ()
    gone_sources: tuple[Cited, ...] = ()  # cited last time, no longer in the archive
    edited_sources: tuple[Cited, ...] = ()  # cited last time, in the archive, but the sentence quoted is no longer in it
    dropped_figures: tuple[str, ...] = ()
    dropped_sources: tuple[Cited, ...] = ()  # cited last time, still in the archive, not cited now
    now_refused: bool = False


@dataclass(frozen=True)
class Comparison:
    since: date  # the last edition's date
    items: tuple[Item, ...]  # the briefing's items, in order
    changes: tuple[Change, ...]  # of each item: a question asked twice has a change each
    dropped: tuple[str, ...]  # questions of the last edition not asked in this one
    new_notes: frozenset[int]  # footnotes quoting a new source or stating a new figure

    def of(self, item: Item) -> Change:
        for i, x in enumerate(self.items):
            if x is item:
                return self.changes[i]
        return self.changes[self.items.index(item)]

    def changed(self, items: list[Item]) -> int:
        """How many of ``items`` changed (anything but "unchanged")."""
        return sum(self.of(i).status != (UNCHANGED,) for i in items)

    def is_new(self, line: Line) -> bool:
        return any(n in self.new_notes for n in line.notes)


def question_key(question: str) -> str:
    """Questions match across editions by this: NFC, old tone style, case and spacing ignored."""
    return re.sub(r"\s+", " ", clean_input(question)).strip().rstrip("?？ ").casefold()


# what a figure counts when it is not a thing: a duration or a clock time ("40 năm", "6 tháng", "9 giờ")
_TIME_NOUNS = frozenset(["năm", "tháng", "ngày", "giờ", "tuần", "phút", "giây", "quý", "thế kỷ", "thập kỷ", "thập niên",
                         "tiếng", "buổi", "đêm", "sáng", "chiều", "tối", "trưa", "h"])
_QUALIFIERS = ("hơn", "trên", "khoảng", "gần", "tới", "hàng", "chừng", "xấp xỉ", "ít nhất", "dưới", "ngót", "tối thiểu",
               "tối đa")
_MULTIPLIERS = {"chục": 10, "trăm": 100, "nghìn": 1000, "ngàn": 1000, "vạn": 10_000, "triệu": 10**6, "tỷ": 10**9,
                "tỉ": 10**9}
# a unit as written -> its class: one currency however it is written, percent, a measure
_UNIT_CLASSES = {"usd": "USD", "us$": "USD", "$": "USD", "đô la mỹ": "USD", "đô la": "USD", "đô-la": "USD",
                 "đô-la mỹ": "USD", "vnd": "VND", "vnđ": "VND", "đồng": "VND", "eur": "EUR", "euro": "EUR",
                 "yên": "JPY", "won": "KRW", "nhân dân tệ": "CNY", "bảng anh": "GBP", "%": "%", "phần trăm": "%",
                 "km2": "km2", "km²": "km2", "m2": "m2", "m²": "m2", "ha": "ha", "héc-ta": "ha", "km": "km",
                 "tấn": "tấn", "kg": "kg", "mw": "MW", "kwh": "kWh", "teu": "TEU"}
# before a number that ranks or names rather than counts: "lần thứ 15", "Điều 12", "hạng 3", "số 5 đường …"
# (but "tổng số 350 người" counts)
_LABEL = re.compile(r"(?<!\w)(?:(?<!tổng )(?<!con )số|thứ|điều|khoản|điểm|hạng|khóa|khoá|chương|mục|phòng|tầng)\s+$",
                    re.IGNORECASE)
_FIGURE = re.compile(r"(?:(?:" + "|".join(_QUALIFIERS) + r")\s+)?(?P<number>\d+(?:(?:[.,]|\s(?=\d{3}(?!\d)))\d+)*)"
                     r"(?P<scales>(?:\s+(?:" + "|".join(_MULTIPLIERS) + r")(?!\w))*)\s*(?P<unit>.*)", re.IGNORECASE)


def figures_in(text: str) -> list[str]:
    """The figures ``text`` states, as written, each with what it counts: "120 người", "6,2 triệu USD", "7,5%".

    A figure is an amount in digits of money, a percentage, a measure or a count of things; not a
    number in words ("hai bên", "một số"), an ordinal ("lần thứ 15"), a duration or a clock time
    ("40 năm", "6 tháng", "9 giờ"), a date or a year, nor a number that says what it counts nowhere."""
    out = []
    for start, end in _joined(text, kinds.spans("number", text)):
        if not text[start].isdigit() or (start and (text[start - 1].isalnum() or text[start - 1] in "-/")) \
                or _LABEL.search(text, max(0, start - 20), start):
            continue  # in words, part of a name ("G20"), or an ordinal or a label ("lần thứ 15", "Điều 12")
        s, e = kinds.counted(text, (start, end))
        figure = re.sub(r"\s+", " ", text[s:e]).strip()
        if figure_key(figure) is not None:
            out.append(figure)
    return out


def _joined(text: str, spans: list[kinds.Span]) -> list[kinds.Span]:
    """``spans`` with a number in thousands grouped by spaces made one: "1 000 người"."""
    out: list[kinds.Span] = []
    for s, e in spans:
        if out and re.fullmatch(r"\d{1,3}(?: \d{3})*", text[out[-1][0] : out[-1][1]]) and text[out[-1][1] : s] == " " \
                and re.match(r"\d{3}(?!\d|[.,]\d)", text[s:e]):
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def figure_key(figure: str) -> tuple[str, str] | None:
    """The amount a figure states, whatever its wording: (the number, its unit class), or None
    when ``figure`` is not a figure ("hai bên", "6 tháng", "lần thứ 15", "2019").

    The number has its thousands separators ("1.000", "1 000") dropped, a decimal comma read
    ("6,2" is 6.2) and its multipliers applied ("6,2 triệu" is 6200000); the class is a currency
    (USD = đô la Mỹ = đô la, VND = đồng = VNĐ, …), "%", a measure ("ha", "tấn") or "count" for a
    count of anything ("350 người" = "350 học viên")."""
    m = _FIGURE.fullmatch(re.sub(r"\s+", " ", clean_input(figure)).strip())
    if not m:
        return None
    unit = m.group("unit").strip().casefold()
    written = m.group("number")
    scales = m.group("scales").split()
    if unit in _UNIT_CLASSES:
        unit_class = _UNIT_CLASSES[unit]
    elif not unit or not re.fullmatch(r"[^\W\d_]+(?:[ -][^\W\d_]+)*", unit) or unit in _TIME_NOUNS \
            or unit.split()[0] in _TIME_NOUNS:
        return None  # counts nothing ("15"), or a time ("6 tháng", "9 giờ")
    elif kinds.YEAR.fullmatch(written) and not scales:
        return None  # a year ("2015 tỉnh")
    else:
        unit_class = "count"
    number = _amount(written)
    for word in scales:
        number *= _MULTIPLIERS[word.casefold()]
    text = format(number.normalize(), "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text), unit_class


def _amount(written: str) -> Decimal:
    """"1.000" and "1 000" are 1000, "6,2" is 6.2, "1.234,5" is 1234.5 (a dot before three digits groups thousands)."""
    whole, _, decimals = written.replace(" ", "").partition(",")
    groups = whole.split(".")
    if len(groups) > 1 and not all(len(g) == 3 for g in groups[1:]):
        whole, decimals = "".join(groups[:-1]), groups[-1] + decimals  # "6.2": a decimal point
    else:
        whole = "".join(groups)
    return Decimal(f"{whole}.{decimals.replace(',', '')}" if decimals else whole)


def _figure_key(figure: str) -> tuple[str, str] | str:
    """What makes two figures the same: their :func:`figure_key`, else (a figure of an older edition
    that is not one now) the text."""
    return figure_key(figure) or re.sub(r"\s+", " ", clean_input(figure)).strip().casefold()


# --- an edition from a briefing, and back from its JSON ----------------------------------------
def _answer_text(item: Item) -> str:
    if not item.answered:
        return NO_INFO
    lines = ("".join(p if isinstance(p, str) else f"[{p}]" for p in ln.pieces) for ln in item.lines)
    return "\n".join(("- " if ln.bullet else "") + text for ln, text in zip(item.lines, lines))


def answered_of(b: Briefing, item: Item) -> Answered:
    notes = list(dict.fromkeys(n for ln in item.lines for n in ln.notes))
    cited = []
    for n in notes:
        note = b.footnotes[n - 1]
        s = b.source_of(note)
        cited.append(Cited(note.doc_id, s.title, s.date, s.outlet, s.url, note.quote, n))
    figures: dict[tuple[str, str] | str, str] = {}  # the same amount in two wordings: the first
    for c in cited:
        for f in figures_in(c.quote):
            figures.setdefault(_figure_key(f), f)
    return Answered(item.question, not item.answered, _answer_text(item), tuple(figures.values()), tuple(cited))


def edition_json(b: Briefing) -> str:
    """The edition file of ``b``: its answers with their figures and citations (and, when it was
    compared with a last edition, what changed)."""
    questions = []
    for section in b.sections:
        for item in section.items:
            a = answered_of(b, item)
            entry: dict[str, Any] = {
                "question": a.question, "section": section.title, "refused": a.refused, "answer": a.answer,
                "figures": list(a.figures),
                "citations": [{"note": c.note, "doc_id": c.doc_id, "title": c.title, "date": c.date, "outlet": c.outlet,
                               "url": c.url, "quote": c.quote} for c in a.citations],
            }
            if b.changes is not None:
                entry["changes"] = _change_json(b.changes.of(item))
            questions.append(entry)
    data: dict[str, Any] = {"format": FORMAT, "version": VERSION, "date": b.written.isoformat(), "topic": b.topic,
                            "title": b.title, "since": None, "questions": questions}
    if b.changes is not None:
        data["since"] = {"date": b.changes.since.isoformat(), "changed": b.changes.changed(b.items),
                         "questions": len(b.items), "dropped_questions": list(b.changes.dropped)}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _change_json(c: Change) -> dict[str, Any]:
    def ids(cited: tuple[Cited, ...]) -> list[str]:
        return [x.doc_id for x in cited]

    return {"status": list(c.status), "new_figures": list(c.new_figures), "previous_figures": list(c.previous_figures),
            "new_sources": ids(c.new_sources), "gone_sources": ids(c.gone_sources),
            "edited_sources": ids(c.edited_sources),
            "dropped_figures": list(c.dropped_figures), "dropped_sources": ids(c.dropped_sources)}


def load_edition(path: Path) -> Edition:
    """The edition in ``path``; BriefingError (one line) when it is missing, not JSON or not an edition."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise BriefingError(f"no such edition file: {path}", hint="give the .json an earlier assistant brief wrote") \
            from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BriefingError(f"cannot read {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise BriefingError(f"{path}:{exc.lineno}: not JSON: {exc.msg}",
                            hint="give the .json an earlier assistant brief wrote") from exc
    try:
        return _edition(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise BriefingError(f"{path}: not a briefing edition ({exc})",
                            hint="give the .json an earlier assistant brief wrote") from exc


def _text(d: dict, key: str) -> str:
    value = d[key]
    if not isinstance(value, str):
        raise TypeError(f"'{key}' should be text")
    return clean_input(value)


def _edition(data: Any) -> Edition:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"no \"format\": \"{FORMAT}\"")
    if data.get("version") != VERSION:
        raise ValueError(f"version {data.get('version')!r}, this assistant reads version {VERSION}")
    if not isinstance(data.get("questions"), list):
        raise TypeError("'questions' should be a list")
    out = []
    for i, q in enumerate(data["questions"], start=1):
        if not isinstance(q, dict) or not isinstance(q.get("refused"), bool):
            raise TypeError(f"questions[{i}] should have a question, refused (true or false) and citations")
        if not isinstance(q.get("figures"), list) or not isinstance(q.get("citations"), list) \
                or not all(isinstance(c, dict) for c in q["citations"]):
            raise TypeError(f"questions[{i}] should have lists of figures and citations")
        figures = tuple(clean_input(f) for f in q["figures"] if isinstance(f, str))
        cited = tuple(Cited(_text(c, "doc_id"), _text(c, "title"), _text(c, "date"), _text(c, "outlet"),
                            _text(c, "url"), _text(c, "quote")) for c in q["citations"])
        out.append(Answered(_text(q, "question"), q["refused"], _text(q, "answer"), figures, cited))
    return Edition(date.fromisoformat(_text(data, "date")), _text(data, "topic"), tuple(out))


# --- comparing --------------------------------------------------------------------------------
def compare(b: Briefing, last: Edition, documents: dict[str, Document]) -> Comparison:
    """What changed in ``b`` since ``last``; ``documents``: the archive now (the index's articles).

    A question asked more than once is compared occurrence by occurrence, in order (the last
    occurrence of the last edition standing for any further ones)."""
    before: dict[str, list[Answered]] = {}
    for a in last.questions:
        before.setdefault(question_key(a.question), []).append(a)
    seen: dict[str, int] = {}
    texts = _Texts(documents)
    changes = []
    new_notes: set[int] = set()
    for item in b.items:
        key = question_key(item.question)
        k = seen[key] = seen.get(key, -1) + 1
        earlier = before.get(key)
        change = _change(earlier[min(k, len(earlier) - 1)] if earlier else None, answered_of(b, item), texts)
        changes.append(change)
        fresh = {c.doc_id for c in change.new_sources}
        figures = {_figure_key(f) for f in change.new_figures}
        for n in (n for ln in item.lines for n in ln.notes):
            note = b.footnotes[n - 1]
            if note.doc_id in fresh or figures & {_figure_key(f) for f in figures_in(note.quote)}:
                new_notes.add(n)
    asked = {question_key(i.question) for i in b.items}
    dropped = tuple(dict.fromkeys(a.question for a in last.questions if question_key(a.question) not in asked))
    return Comparison(last.written, tuple(b.items), tuple(changes), dropped, frozenset(new_notes))


class _Texts:
    """The archive's articles, and whether a sentence is still in one (as indexed: NFC, cleaned)."""

    def __init__(self, documents: dict[str, Document]) -> None:
        self.documents = documents
        self._clean: dict[str, str] = {}

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self.documents

    def still_says(self, cited: Cited) -> bool:
        if cited.doc_id not in self._clean:
            self._clean[cited.doc_id] = _spaced(self.documents[cited.doc_id].text)
        return _spaced(cited.quote) in self._clean[cited.doc_id]


def _spaced(text: str) -> str:
    return re.sub(r"\s+", " ", clean_input(text))


def _change(before: Answered | None, now: Answered, documents: _Texts) -> Change:
    if before is None:
        return Change((NEW_QUESTION,), new_figures=now.figures, new_sources=_firsts(now.citations))
    previous = tuple(f for f in before.figures if figure_key(f) is not None)  # an older edition's noise is no figure
    old_figures = {_figure_key(f) for f in previous}
    new_figures = tuple(f for f in now.figures if _figure_key(f) not in old_figures)
    now_figures = {_figure_key(f) for f in now.figures}
    dropped_figures = tuple(f for f in previous if _figure_key(f) not in now_figures)
    new_sources = tuple(c for c in _firsts(now.citations) if c.doc_id not in before.doc_ids)
    gone_sources = tuple(c for c in _firsts(before.citations) if c.doc_id not in documents)
    # an article still in the archive whose quoted sentence is not (edited, or fetched again under its id)
    edited_sources = _firsts(tuple(c for c in before.citations if c.doc_id in documents and not documents.still_says(c)))
    edited = {c.doc_id for c in edited_sources}
    dropped_sources = tuple(c for c in _firsts(before.citations) if c.doc_id not in now.doc_ids
                            and c.doc_id in documents and c.doc_id not in edited)
    now_refused = now.refused and not before.refused
    status = [s for s, on in ((NEW_FIGURE, new_figures), (NEW_SOURCE, new_sources),
                              (UNSUPPORTED, now_refused or gone_sources or edited_sources)) if on]
    if not status:
        same = (before.refused == now.refused and not dropped_figures and not dropped_sources)
        status = [UNCHANGED if same else OTHER]
    return Change(tuple(status), new_figures, previous, new_sources, gone_sources, edited_sources, dropped_figures,
                  dropped_sources, now_refused)


def _firsts(cited: tuple[Cited, ...]) -> tuple[Cited, ...]:
    """One citation per article, the first."""
    seen: dict[str, Cited] = {}
    for c in cited:
        seen.setdefault(c.doc_id, c)
    return tuple(seen.values())
