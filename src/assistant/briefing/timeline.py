"""A locality's timeline: the dated events its articles state, oldest first, each a verified quote.

:func:`timeline` reads every indexed sentence that concerns the subject (and names the
partner, when one is asked for), keeps those ``events.detect`` files under a kind, and groups
the reports of one event. ``to_markdown`` and ``write_docx`` print it.

A sentence concerns the subject when it names it (whole words; diacritics optional, but those
typed, or a known place's own, must match: "Đà Nẵng" is not "đã nâng"), or when
its article is about the subject alone (its one locality, or its title) and the sentence names
no other Vietnamese locality: an article on five provinces does not lend its sentences to one.

One event, reported by several articles, is one entry. Two reports are of one event when they
are of the same kind and state the same date, and
* a figure: they state the same amount (a figure that changed is an event per amount);
* otherwise: the date is a day and they name the same partner (the most specific names:
  "Gunma" rather than "Nhật Bản"), or their wording is close (half of their content words
  shared, Dice >= 0.5: a rewritten lead keeps its nouns; two events of one day and place differ
  in theirs).
A report dated only by its article's date is one event only with a report of the same
article (a headline restating its lead: same kind and partner, or close wording); within one
article, a date may also be restated less precisely ("ngày 9/11/2015", then "năm 2015"). The first
report (the earliest article) is quoted; the others, and the outlets that republished its
article (``Document.copies``), are listed as "Cũng đưa tin"; the other sentences of its own
article taken for the same event are quoted under it ("Cũng trong bài"), so a grouping that
is wrong (a return visit told in the same article) hides nothing. A figure is one event only
with the same amounts about the same partner. A sentence led by another Vietnamese locality
("Quảng Ninh …, vượt Hải Phòng") is that locality's, not the subject's.

Deliberately not here: what a sentence's kind and date are (``events.py``); asking questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..documents import Document, date_bound, folded
from ..question.kinds import RANGE
from ..question.places import find_places
from ..vietnamese import STOPWORDS, fold, has_diacritics, normalize
from .edition import figure_key
from .events import LABELS, Detected, detect
from .markdown import escape
from .wording import TIMELINE_METHOD, TIMELINE_NO_EVENTS, timeline_scope, timeline_source

if TYPE_CHECKING:
    from pathlib import Path

    from ..store.disk import LoadedIndex

SAME_WORDING = 0.5  # Dice of content words above which two reports of one date and kind are one event
_ADMIN = re.compile(r"^(?:tỉnh|thành phố|tp\.?|thủ đô)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Report:
    """One article's sentence stating an event: ``quote == text[start:end]`` of that article."""

    doc_id: str
    title: str
    outlet: str
    date_label: str
    url: str
    quote: str
    start: int
    end: int

    @property
    def source(self) -> str:
        """"vov.vn (16/03/2024)"."""
        return f"{self.outlet or self.title} ({self.date_label})"


@dataclass(frozen=True)
class Event:
    kind: str  # events.KINDS
    start: str  # ISO: the first and last day the event may be on
    end: str
    date_label: str  # "12/03/2019", "03/2019", "2019", or the article's: "27/04/2025 (ngày đăng bài)"
    stated: bool  # the sentence states the date (else it is the article's)
    report: Report
    others: tuple[Report, ...] = ()  # other articles stating it
    restated: tuple[Report, ...] = ()  # other sentences of its own article taken for it: shown, never dropped
    also: tuple[str, ...] = ()  # every other outlet that reported it: "vov.vn (16/03/2024)"

    @property
    def label(self) -> str:
        return LABELS[self.kind]


@dataclass(frozen=True)
class Timeline:
    subject: str
    partner: str | None
    since: str  # ISO bounds, "" for none
    until: str
    articles: tuple[str, ...]  # doc_ids of the articles naming the subject
    total: int  # articles in the index
    events: tuple[Event, ...]

    @property
    def title(self) -> str:
        return f"Dòng thời gian: {self.subject} — " + (self.partner or "các sự kiện đối ngoại")


@dataclass(frozen=True)
class _Draft:
    event: Event
    found: Detected
    order: tuple[str, str, int]  # the article's date, its id, the offset: the earliest report first
    lead: bool = False  # in its article's headline or lead (which restate the article's event)


class _Name:
    """Whole-word matching of a locality as typed. subtle: diacritics are optional, but typed ones
    count ("Đà Nẵng" is not "đã nâng", which folds to the same "da nang"); a known place typed
    without them ("Da Nang") is matched by its own spellings, with diacritics, as places.py does."""

    def __init__(self, name: str) -> None:
        name = _ADMIN.sub("", normalize(name).strip())
        found = find_places(name)
        whole = len(found) == 1 and found[0].start == 0 and found[0].end == len(name)
        self.accented = whole or has_diacritics(name)
        names = [_ADMIN.sub("", v) for v in found[0].place.variants] if whole else [name]
        self.shown = found[0].place.name if whole else name  # "Hai Phong" is titled "Hải Phòng"
        key = (lambda x: normalize(x).casefold()) if self.accented else folded
        self.pattern = re.compile("|".join(rf"(?<!\w){re.escape(key(n))}(?!\w)" for n in names))

    def named(self, text: str, indexed: bool = False) -> bool:
        """Whether ``text`` names it; ``indexed``: an indexed article's text, already normalised."""
        if self.accented:
            return bool(self.pattern.search((text if indexed else normalize(text)).casefold()))
        return bool(self.pattern.search(folded(text)))


def timeline(index: LoadedIndex, subject: str, partner: str | None = None, since: str | None = None,
             until: str | None = None) -> Timeline:
    """The events the articles of ``index`` state about ``subject`` (with ``partner``), from
    ``since`` to ``until`` (as the filters take dates: "2019", "03/2019", "2019-03-12";
    ValueError for a bad one). An event dated by an undated article is left out by a bound."""
    lo = date_bound(since) if since else ""
    hi = date_bound(until, upper=True) if until else ""
    if lo and hi and lo > hi:
        raise ValueError(f"the range is empty: {since} is after {until}")
    who = _Name(subject)
    with_ = _Name(partner) if partner else None
    drafts: list[_Draft] = []
    articles = []
    for doc in index.documents.values():
        if not who.named(" ".join((*doc.localities, doc.title, doc.text)), indexed=True):
            continue
        articles.append(doc.doc_id)
        alone = _about_alone(doc, who)
        for i in index.sentences.of_doc(doc.doc_id):
            ref = index.sentences[i]
            draft = _draft(doc, ref.start, ref.end, who, with_, alone)
            if draft is not None:
                drafts.append(draft)
    # the reports stating their date first, the most precise first: a headline without a date, or
    # "năm 2015" restating "ngày 9/11/2015", joins the event and never leads it
    events = _grouped(sorted(drafts, key=lambda d: (-len(d.found.date.iso) if d.found.date else 0, d.event.start,
                                                    d.order)))
    events = [e for e in events if _within(e, lo, hi)]  # after grouping: "năm 2019" restating "4/11/2019" goes with it
    return Timeline(who.shown, with_.shown if with_ else None, lo, hi, tuple(articles),
                    len(index.documents), tuple(events))


def _about_alone(doc: Document, who: _Name) -> bool:
    if doc.localities:
        return len(doc.localities) == 1 and who.named(doc.localities[0])
    return who.named(doc.title)


def _draft(doc: Document, start: int, end: int, who: _Name, with_: _Name | None,
           alone: bool) -> _Draft | None:
    text = doc.text[start:end]
    start, end = start + len(text) - len(text.lstrip()), end - len(text) + len(text.rstrip())
    quote = doc.text[start:end]
    if not quote or (with_ is not None and not with_.named(quote)):
        return None
    localities = [f for f in find_places(quote, accented=True) if f.place.vietnamese]
    if not who.named(quote):
        if not alone or localities:
            return None
    elif localities and not who.named(quote[localities[0].start : localities[0].end]):
        return None  # another province leads the sentence ("Quảng Ninh …, vượt Hải Phòng"): its event, not ours
    found = detect(quote, doc.date)
    if found is None:
        return None
    report = Report(doc.doc_id, doc.title, doc.outlet, doc.date_label, doc.url, quote, start, end)
    if doc.text[report.start : report.end] != report.quote:  # verified: the quote is the article's, sliced
        return None
    period = _period(quote)
    if found.date is not None:
        first, last, label = date_bound(found.date.iso), date_bound(found.date.iso, upper=True), found.date.label
    elif period is not None:  # "giai đoạn 2010 - 2015": the period the sentence states, not the article's date
        first, last, label = period
    else:
        first, last = _published(doc)
        label = f"{doc.date_label} (ngày đăng bài)" if doc.date else doc.date_label
    event = Event(found.kind, first, last, label, found.date is not None or period is not None, report,
                  also=doc.outlets())
    lead = start <= _lead_end(doc.text)
    return _Draft(event, found, (doc.date_sort or doc.date or "", doc.doc_id, start), lead)


def _lead_end(text: str) -> int:
    """Where an article's headline and lead end: its first line, and the first sentence after it."""
    title = text.find("\n")
    if title < 0:
        return len(text)
    m = re.search(r"[.!?…](?:\s|$)", text[title + 1 :])
    return title + 1 + (m.end() if m else len(text) - title - 1)


def _period(quote: str) -> tuple[str, str, str] | None:
    """The first and last day, and the label ("2010–2015"), of the period of years ``quote`` states."""
    m = RANGE.search(quote)
    years = re.findall(r"(?<!\d)(1[89]\d{2}|20\d{2})(?!\d)", m.group(0)) if m else []
    if len(years) != 2 or years[0] > years[1]:
        return None
    return date_bound(years[0]), date_bound(years[1], upper=True), f"{years[0]}–{years[1]}"


def _published(doc: Document) -> tuple[str, str]:
    """The days ``doc`` was published in; an undated one's best lower bound (``date_sort``) twice, or ""."""
    for when, dated in ((doc.date, True), (doc.date_sort, False)):
        try:
            if when:
                first = date_bound(when[:10])
                return first, date_bound(when[:10], upper=True) if dated else ""
        except ValueError:
            continue
    return "", ""


def _within(e: Event, lo: str, hi: str) -> bool:
    if not (lo or hi):
        return True
    if not e.end:  # undated: nothing to bound it by
        return False
    return not (lo and e.end < lo or hi and e.start > hi)


def _grouped(drafts: list[_Draft]) -> list[Event]:
    """The drafts as events, oldest first (undated last). Each draft is compared with the groups
    it could join only: of its kind, and of its year or of its article (never all: an archive's
    subject may have tens of thousands of candidate sentences)."""
    groups: list[list[_Draft]] = []
    by_year: dict[tuple[str, str], list[int]] = {}
    by_doc: dict[tuple[str, str], list[int]] = {}
    for d in drafts:
        kind, doc = d.found.kind, d.event.report.doc_id
        year = d.found.date.iso[:4] if d.found.date is not None else ""
        candidates = sorted({*by_doc.get((kind, doc), []), *(by_year.get((kind, year), []) if year else [])})
        for i in candidates:
            if _same_event(groups[i][0], d):
                groups[i].append(d)
                break
        else:
            groups.append([d])
            by_doc.setdefault((kind, doc), []).append(len(groups) - 1)
            if year:
                by_year.setdefault((kind, year), []).append(len(groups) - 1)
    groups.sort(key=lambda g: (not g[0].event.start, g[0].event.start, g[0].order))  # oldest first, undated last
    out = []
    for first, *rest in groups:
        others = tuple(r.event.report for r in rest if r.event.report.doc_id != first.event.report.doc_id)
        restated = tuple(r.event.report for r in rest if r.event.report.doc_id == first.event.report.doc_id)
        also = [*first.event.also]
        for r in rest:
            if r.event.report.doc_id != first.event.report.doc_id:
                also += [r.event.report.source, *r.event.also]
        out.append(replace(first.event, others=tuple(dict.fromkeys(others)), also=tuple(dict.fromkeys(also)),
                           restated=restated))
    return out


def _same_event(a: _Draft, b: _Draft) -> bool:
    if a.found.kind != b.found.kind:
        return False
    same_article = a.event.report.doc_id == b.event.report.doc_id
    if a.found.date is None or b.found.date is None:  # dated by the article: one event only within it
        if not same_article:
            return False
    elif a.found.date.iso != b.found.date.iso:
        nested = a.found.date.iso.startswith(b.found.date.iso) or b.found.date.iso.startswith(a.found.date.iso)
        if not (same_article and nested):  # one article may restate "9/11/2015" as "năm 2015"
            return False
    close = _dice(a.event.report.quote, b.event.report.quote) >= SAME_WORDING
    if a.found.kind == "figure":  # the same amounts about the same partner: a changed figure is another event
        pa, pb = _specific(a.found.partners), _specific(b.found.partners)
        return _amounts(a.found.figures) == _amounts(b.found.figures) and (pa == pb or not pa or not pb or bool(pa & pb))
    day = a.found.date is not None and b.found.date is not None and len(a.found.date.iso) == 10
    if (day or same_article) and _specific(a.found.partners) & _specific(b.found.partners):
        return True  # one day (or one article: its headline restating its lead) and one partner
    if same_article and a.found.partners & b.found.partners:
        return True  # one article, one partner named two ways ("Nhà vua Philippe", "Nhà vua Vương quốc Bỉ")
    return close


def _amounts(figures: tuple[str, ...]) -> set:
    """The amounts stated, whatever their wording ("200 triệu USD" = "200 triệu đô la Mỹ")."""
    return {figure_key(f) or f for f in figures}


def _specific(partners: frozenset[str]) -> frozenset[str]:
    """The names that are not countries ("gunma" of {"gunma", "nhat ban"}), else all of them."""
    # title case: a one-word name is a place only capitalised ("My" is Mỹ, "my" nothing)
    names = frozenset(p for p in partners if not any(f.place.country for f in find_places(p.title(), accented=False)))
    return names or partners


_FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS)


def _dice(a: str, b: str) -> float:
    wa, wb = ({w for w in re.findall(r"\w+", folded(t)) if w not in _FOLDED_STOPWORDS} for t in (a, b))
    return 2 * len(wa & wb) / (len(wa) + len(wb)) if wa or wb else 0.0


# --- rendering -------------------------------------------------------------------------------
def _report(r: Report) -> dict:
    return {"doc_id": r.doc_id, "title": r.title, "outlet": r.outlet, "date": r.date_label, "url": r.url,
            "quote": r.quote, "start": r.start, "end": r.end}


def timeline_payload(t: Timeline) -> dict:
    """``t`` as JSON (the HTTP API's): each event's kind, its date (``first_day``/``last_day``: the
    days it may be on), whether the sentence states it, its quote with its article and offsets
    (``text[start:end] == quote``, as in ``assistant ask --json``), and the other reports of it."""
    return {"title": t.title, "subject": t.subject, "partner": t.partner, "since": t.since or None,
            "until": t.until or None, "articles": list(t.articles), "total_articles": t.total,
            "events": [{"kind": e.kind, "label": e.label, "date": e.date_label, "first_day": e.start or None,
                        "last_day": e.end or None, "stated": e.stated, **_report(e.report),
                        "others": [_report(r) for r in e.others], "restated": [_report(r) for r in e.restated],
                        "also": list(e.also)} for e in t.events]}



def to_markdown(t: Timeline) -> str:
    out = [f"# {escape(t.title)}", "", f"**Phạm vi:** {escape(timeline_scope(t))}  ",
           f"**Cách lập:** {escape(TIMELINE_METHOD)}", ""]
    if not t.events:
        out += [f"*{TIMELINE_NO_EVENTS}*", ""]
    for e in t.events:
        r = e.report
        lines = [f"**{escape(e.date_label)}** · {escape(e.label)}", f"«{escape(r.quote)}»",
                 f"— *{escape(r.title)}*{escape(timeline_source(r))}"]
        lines += [f"Cũng trong bài: «{escape(r.quote)}»" for r in e.restated]
        if e.also:
            lines.append("Cũng đưa tin: " + escape(", ".join(e.also)))
        out += [line + "  " for line in lines[:-1]] + [lines[-1], ""]  # two spaces: a line break
    return "\n".join(out).rstrip() + "\n"


def write_docx(t: Timeline, path: Path) -> None:
    """``t`` as a Word document at ``path``: the same content, A4, Times New Roman, vi-VN."""
    from .word import timeline_document

    timeline_document(t).save(str(path))
