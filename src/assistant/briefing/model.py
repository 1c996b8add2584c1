"""A briefing as data: answered questions whose every claim points at a verified footnote.

:func:`assemble` turns answers (from ``assistant brief`` or a chat session) into a
:class:`Briefing`; the renderers in ``markdown.py`` and ``word.py`` only read it, so both
formats carry the same content and the same footnote numbers.

Verified citations only. A citation counts when its quote is the exact slice
``doc.text[start:end]`` of an article in the index, or occurs verbatim elsewhere in it (the
offsets are then corrected); anything else is dropped. A sentence left without a verified
citation, or marked unverified by a generative backend, is dropped with it: the briefing
never states an uncited claim. An answer left with nothing, and every refusal, reads
:data:`NO_INFO`, never filled in.

Footnotes are numbered by first appearance. The same sentence of the same article cited twice
gets one footnote; every cited article gets one entry in the source list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from ..documents import Answer, Citation, Document

if TYPE_CHECKING:
    from .edition import Comparison

NO_INFO = "Không có thông tin trong kho tài liệu."
UNVERIFIED = "(⚠ chưa kiểm chứng)"  # what the verifier appends to a flagged sentence
_MARKS = re.compile(r"(?:\s*\[\d+\])+")
_LEAD = re.compile(r"^[\s.,;:!?…)\]»”]+")  # punctuation that closes the sentence before a marker

Piece = str | int  # text, or the number of a footnote


@dataclass(frozen=True)
class Line:
    pieces: tuple[Piece, ...]
    bullet: bool = False

    @property
    def notes(self) -> list[int]:
        return [p for p in self.pieces if isinstance(p, int)]


@dataclass(frozen=True)
class Item:
    question: str
    lines: tuple[Line, ...] = ()  # empty: the corpus does not answer it
    dropped: int = 0  # sentences left out because no citation of theirs could be verified
    backend: str = "extractive"  # who wrote the answer: a generative backend may fall back to extractive

    @property
    def answered(self) -> bool:
        return bool(self.lines)


@dataclass(frozen=True)
class Section:
    title: str  # "" when the questions came as a plain list
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Source:
    n: int
    doc_id: str
    title: str
    outlet: str
    date: str  # the label a reader sees
    url: str
    notes: tuple[int, ...] = ()  # the footnotes that cite it


@dataclass(frozen=True)
class Footnote:
    n: int
    source: int  # Source.n
    quote: str  # verbatim: documents[doc_id].text[start:end]
    doc_id: str
    start: int
    end: int
    page: int | None = None  # paged files (PDF): the page the quote starts on


@dataclass(frozen=True)
class Scope:
    articles: tuple[Document, ...]  # every article in the index, oldest first, undated last
    first: str = ""  # date labels of the oldest and newest dated article
    last: str = ""
    undated: int = 0
    built_at: str = ""


@dataclass(frozen=True)
class Briefing:
    title: str
    written: date
    scope: Scope
    sections: tuple[Section, ...]
    footnotes: tuple[Footnote, ...]
    sources: tuple[Source, ...]
    backend: str = "extractive"
    warnings: tuple[str, ...] = field(default_factory=tuple)
    topic: str = ""
    changes: Comparison | None = None  # what changed since the last edition (assistant brief --since)

    @property
    def items(self) -> list[Item]:
        return [i for s in self.sections for i in s.items]

    def source_of(self, note: Footnote) -> Source:
        return self.sources[note.source - 1]


def title_for(topic: str) -> str:
    return f"Bản tin: {topic}" if topic else "Bản tin tổng hợp"


def assemble(sections: Sequence[tuple[str, Sequence[Answer]]], documents: dict[str, Document], *,
             topic: str = "", written: date | None = None, built_at: str = "", backend: str = "extractive",
             warnings: Iterable[str] = ()) -> Briefing:
    """A Briefing from ``(section title, answers)`` pairs, citations checked against ``documents``."""
    notes = _Notes(documents)
    out = tuple(Section(title, tuple(notes.item(a) for a in answers)) for title, answers in sections)
    return Briefing(title_for(topic), written or date.today(), scope_of(documents, built_at), out,
                    tuple(notes.footnotes), notes.sources(), backend, tuple(warnings), topic)


def scope_of(documents: dict[str, Document], built_at: str = "") -> Scope:
    dated = sorted((d for d in documents.values() if d.date), key=lambda d: (d.date_sort or d.date or "", d.doc_id))
    undated = sorted((d for d in documents.values() if not d.date), key=lambda d: d.doc_id)
    first = dated[0].date_label if dated else ""
    last = dated[-1].date_label if dated else ""
    return Scope(tuple(dated + undated), first, last, len(undated), built_at)


class _Notes:
    """Numbers footnotes and sources in order of first appearance, verifying each quote."""

    def __init__(self, documents: dict[str, Document]) -> None:
        self.documents = documents
        self.footnotes: list[Footnote] = []
        self._by_quote: dict[tuple[str, int, int], int] = {}
        self._source_n: dict[str, int] = {}

    def note(self, c: Citation | None) -> int | None:
        """The footnote number for ``c``, or None when its quote is not verbatim in its article."""
        if c is None:
            return None
        doc = self.documents.get(c.doc_id)
        if doc is None or not c.quote.strip():
            return None
        start, end = c.start, c.end
        if doc.text[start:end] != c.quote:
            start = doc.text.find(c.quote)
            if start < 0:
                return None
            end = start + len(c.quote)
        key = (doc.doc_id, start, end)
        if key not in self._by_quote:
            source = self._source_n.setdefault(doc.doc_id, len(self._source_n) + 1)
            n = len(self.footnotes) + 1
            self.footnotes.append(Footnote(n, source, c.quote, doc.doc_id, start, end, doc.page_at(start)))
            self._by_quote[key] = n
        return self._by_quote[key]

    def sources(self) -> tuple[Source, ...]:
        out = []
        for doc_id, n in sorted(self._source_n.items(), key=lambda kv: kv[1]):
            d = self.documents[doc_id]
            cited = tuple(f.n for f in self.footnotes if f.source == n)
            out.append(Source(n, doc_id, d.title, d.outlet, d.date_label, d.url, cited))
        return tuple(out)

    def item(self, answer: Answer) -> Item:
        if answer.refused:
            return Item(answer.question, backend=answer.backend)
        by_n = {c.n: c for c in answer.citations}
        lines: list[Line] = []
        dropped = 0
        for raw in answer.text.split("\n"):
            raw = raw.strip()
            if not raw or raw.startswith("⚠"):  # a backend's notice, not a claim
                continue
            bullet = raw.startswith("- ")
            line, lost = self._line(raw[2:] if bullet else raw, by_n)
            dropped += lost
            if line is not None:
                lines.append(Line(line.pieces, bullet))
        # a lead-in ("Các bài viết cho biết:") stays only above a cited list item
        kept = [ln for i, ln in enumerate(lines)
                if ln.notes or (i + 1 < len(lines) and lines[i + 1].bullet and lines[i + 1].notes)]
        if not any(ln.notes for ln in kept):
            return Item(answer.question, (), dropped, answer.backend)
        return Item(answer.question, tuple(kept), dropped, answer.backend)

    def _line(self, body: str, by_n: dict[int, Citation]) -> tuple[Line | None, int]:
        """One line of an answer: each run of text before its [n] markers is a claim."""
        pieces: list[Piece] = []
        dropped, pos, kept = 0, 0, False
        for m in _MARKS.finditer(body):
            text, flagged = self._unflag(self._close(body[pos : m.start()], pieces if kept else None))
            dropped += flagged
            pos = m.end()
            found = [self.note(by_n.get(int(n))) for n in re.findall(r"\d+", m.group())]
            verified = list(dict.fromkeys(n for n in found if n is not None))
            kept = bool(verified and text.strip())
            if kept:
                pieces += [(" " if pieces else "") + text.strip(), *verified]
            else:
                dropped += 1
        tail, flagged = self._unflag(self._close(body[pos:], pieces if kept else None))
        dropped += flagged
        tail = tail.strip()
        if tail and not pieces and tail.endswith(":"):
            return Line((tail,)), dropped  # a lead-in: kept only above cited list items
        if tail:
            dropped += 1
        return (Line(tuple(pieces)) if pieces else None), dropped

    @staticmethod
    def _unflag(text: str) -> tuple[str, int]:
        """``text`` after its last sentence flagged as unverified, and how many were flagged.

        subtle: a generative backend shows an uncited sentence only flagged (others it removes),
        so everything up to the last flag is unverified and the rest is the cited claim.
        """
        if UNVERIFIED not in text:
            return text, 0
        return text.rsplit(UNVERIFIED, 1)[1], text.count(UNVERIFIED)

    @staticmethod
    def _close(text: str, previous: list[Piece] | None) -> str:
        """``text`` without the punctuation closing the claim before the marker; the claim gets it
        when it was kept (``previous``), else it goes with the claim."""
        m = _LEAD.match(text)
        if not m:
            return text
        if previous and m.group().strip():
            previous.append(m.group().strip())
        return text[m.end():]
