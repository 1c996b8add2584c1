"""The records that flow between stages: frozen dataclasses with no third-party imports.

Document -> Chunk -> ScoredChunk -> Citation / Answer. Offsets are always into the
*cleaned* text of the document (``Document.text``), which the index stores verbatim, so a
citation can be checked by slicing.
"""

from __future__ import annotations

import bisect
import calendar
import functools
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Copy:
    """Another publication of an article's text (a wire story republished by another outlet)."""

    doc_id: str
    title: str
    outlet: str
    url: str
    date_label: str
    content_hash: str = ""


@dataclass(frozen=True)
class Document:
    doc_id: str  # corpus file name without its extension
    title: str
    text: str  # cleaned text (NFC, one tone convention, boilerplate removed)
    path: str = ""
    date: str | None = None  # ISO, possibly partial: "2025-04-27", "2016", "2019"
    date_label: str = "không ghi ngày"  # what a reader sees: "27/04/2025", "sau 2020"
    date_sort: str = ""  # sortable key; undated articles use their best lower bound
    outlet: str = ""
    url: str = ""
    localities: tuple[str, ...] = ()
    content_hash: str = ""  # of the raw file bytes
    pages: tuple[int, ...] = ()  # paged files (PDF): offset in ``text`` where page i+1 starts
    copies: tuple[Copy, ...] = ()  # the same text published elsewhere (not indexed again)

    def outlets(self) -> tuple[str, ...]:
        """Where else this article appeared, as a reader sees it: "vov.vn (16/03/2024)"."""
        return tuple(f"{c.outlet or c.doc_id} ({c.date_label})" for c in self.copies)

    def page_at(self, offset: int) -> int | None:
        """The page (1-based) holding ``offset`` of the text, for paged files; else None."""
        if not self.pages:
            return None
        return bisect.bisect_right(self.pages, offset)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["localities"] = list(self.localities)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Document:
        return cls(**{**d, "localities": tuple(d.get("localities", ())), "pages": tuple(d.get("pages", ())),
                      "copies": tuple(Copy(**c) for c in d.get("copies", ()))})


_ISO = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", re.ASCII)
_DMY = re.compile(r"(?:(\d{1,2})/)?(\d{1,2})/(\d{4})", re.ASCII)


def date_bound(text: str, upper: bool = False) -> str:
    """A date as the filters take it ("2019", "2019-05", "2019-05-17", "17/05/2019", "05/2019")
    -> the ISO day it starts (or, ``upper``, ends) on; raises ValueError with the reason."""
    text = text.strip()
    m, d = _ISO.fullmatch(text), _DMY.fullmatch(text)
    if m:
        year, month, day = int(m.group(1)), m.group(2), m.group(3)
    elif d:
        year, month, day = int(d.group(3)), d.group(2), d.group(1)
    else:
        raise ValueError(f"not a date: {text!r} (use YYYY, YYYY-MM, YYYY-MM-DD or dd/mm/yyyy)")
    if month is not None and not 1 <= int(month) <= 12 or year < 1:
        raise ValueError(f"not a date: {text!r}")
    mon = int(month) if month is not None else (12 if upper else 1)
    last = calendar.monthrange(year, mon)[1]
    if day is not None and not 1 <= int(day) <= last:
        raise ValueError(f"not a date: {text!r}")
    dd = int(day) if day is not None else (last if upper else 1)
    return f"{year:04d}-{mon:02d}-{dd:02d}"


_YEAR_IN_TEXT = re.compile(r"(?<!\d)(1[89]\d{2}|20\d{2})(?!\d)")


def years_named(text: str) -> frozenset[int]:
    """Every year 1800-2099 standing alone in ``text``: what an article is about, besides its date."""
    return frozenset(int(y) for y in _YEAR_IN_TEXT.findall(text))


@dataclass(frozen=True)
class Period:
    """A time a question names ("năm 2019", "quý I/2024", "nhiệm kỳ 2020–2025"): ISO days
    ``start``..``end`` and the words it was named with.

    An article is of that time when it was published then, or names one of its years (a
    2021 review of 2019 is about 2019), or has no date to tell by."""

    start: str
    end: str
    label: str

    def admits(self, doc: Document, years: frozenset[int] | None = None) -> bool:
        """``years``: ``years_named(doc.text)``, when the caller keeps it."""
        try:
            lo, hi = _published(doc)
        except ValueError:  # undated: nothing to tell it by
            return True
        if not (hi < self.start or lo > self.end):
            return True
        named = years_named(doc.title + "\n" + doc.text) if years is None else years
        return any(int(self.start[:4]) <= y <= int(self.end[:4]) for y in named)


def _published(doc: Document) -> tuple[str, str]:
    """The first and last ISO day ``doc`` may have been published on; ValueError when undated."""
    when = doc.date or ""
    if when[:4].isdigit() and when[:4].isascii():
        try:
            date_bound(when)
        except ValueError:  # "2019-00-00" from a PDF's properties: its year is what is known
            when = when[:4]
    return date_bound(when), date_bound(when, upper=True)


@dataclass(frozen=True)
class Filters:
    """Which articles answer: published from ``since`` to ``until`` (ISO days, from
    ``date_bound``), about one of ``localities``, from one of ``outlets``; empty means every
    article. An undated article is left out by a date filter; a partly dated one ("2019")
    is in when its period meets the range."""

    since: str = ""
    until: str = ""
    localities: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    period: Period | None = None  # named in the question (``question.period``), not chosen by the user

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.localities or self.outlets or self.period)

    @classmethod
    def of(cls, since: str | None = None, until: str | None = None, localities: Sequence[str] = (),
           outlets: Sequence[str] = ()) -> Filters:
        """From what a user typed; raises ValueError naming a bad date or an empty range."""
        lo = date_bound(since) if since else ""
        hi = date_bound(until, upper=True) if until else ""
        if lo and hi and lo > hi:
            raise ValueError(f"the range is empty: {since} is after {until}")
        return cls(lo, hi, tuple(x.strip() for x in localities if x.strip()),
                   tuple(x.strip() for x in outlets if x.strip()))

    def admits(self, doc: Document, plain: str | None = None, years: frozenset[int] | None = None) -> bool:
        """Whether ``doc`` answers under these filters; ``plain``: ``Filters.plain(doc)`` and
        ``years``: ``years_named(doc.text)``, when the caller keeps them (reading an archive's
        text costs seconds)."""
        if self.since or self.until:
            try:
                lo, hi = _published(doc)
            except ValueError:  # undated
                return False
            if self.since and hi < self.since or self.until and lo > self.until:
                return False
        if self.period is not None and not self.period.admits(doc, years):
            return False
        if self.outlets:  # its outlet as written ("VnExpress"), its address's site, and its copies'
            have = {_site(x) for x in (doc.outlet, doc.url, *(c.outlet for c in doc.copies),
                                       *(c.url for c in doc.copies)) if x}
            if not any(_same_site(o, h) for o in self.outlets for h in have):
                return False
        if self.localities:
            text = self.plain(doc) if plain is None else plain
            if not any(re.search(rf"(?<!\w){re.escape(folded(x))}(?!\w)", text) for x in self.localities):
                return False
        return True

    @staticmethod
    def plain(doc: Document) -> str:
        """What a locality is looked for in: the article's localities, else its title and text, folded."""
        return " ".join(folded(x) for x in (doc.localities or (doc.title, doc.text)))

    def described(self) -> str:
        """The notice an answer carries: "Chỉ tìm trong các bài viết đăng từ 01/01/2019 đến 31/12/2019, về Hà Nội"."""
        parts = []
        if self.since and self.until:
            parts.append(f"đăng từ {_vn_day(self.since)} đến {_vn_day(self.until)}")
        elif self.since:
            parts.append(f"đăng từ {_vn_day(self.since)}")
        elif self.until:
            parts.append(f"đăng đến {_vn_day(self.until)}")
        if self.localities:
            parts.append("về " + ", ".join(self.localities))
        if self.outlets:
            parts.append("của " + ", ".join(self.outlets))
        if self.period is not None:
            parts.append(f"của thời gian câu hỏi nêu ({self.period.label}: đăng trong thời gian đó, "
                         "nhắc đến năm đó, hoặc không ghi ngày)")
        return "Chỉ tìm trong các bài viết " + ", ".join(parts) + "."

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"since": self.since or None, "until": self.until or None,
                             "localities": list(self.localities), "outlets": list(self.outlets)}
        if self.period is not None:
            d["period"] = {"start": self.period.start, "end": self.period.end, "named": self.period.label}
        return d


NO_FILTERS = Filters()


def _same_site(wanted: str, have: str) -> bool:
    """"vnexpress.net" is "VnExpress" (a name without its domain) and "https://vnexpress.net/a"."""
    a, b = _site(wanted), have
    return a == b or ("." not in a or "." not in b) and a.split(".")[0] == b.split(".")[0]


def _site(outlet: str) -> str:
    return re.sub(r"^(https?://)?(www\.)?", "", (outlet or "").strip().casefold()).split("/")[0]


def folded(text: str) -> str:
    """``vietnamese.fold``, casefolded; a table for the precomposed letters (NFC text: an
    article's whole text in milliseconds), the full fold for anything the table leaves."""
    out = text.translate(_fold_table())
    if _COMBINING.search(out):  # decomposed input (NFD): the table saw base letters and marks
        from .vietnamese import fold

        out = fold(out)
    return out.casefold()


_COMBINING = re.compile("[\u0300-\u036f]")


@functools.lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    from .vietnamese import fold

    chars = [chr(c) for r in ((0xC0, 0x250), (0x1E00, 0x1F00)) for c in range(*r)]
    return {ord(c): fold(c) for c in chars if fold(c) != c}


def _vn_day(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


@dataclass(frozen=True)
class Chunk:
    chunk_id: str  # content hash: stable across rebuilds while the text is unchanged
    doc_id: str
    title: str
    date_label: str
    start: int  # character offsets into Document.text
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Chunk:
        return cls(**d)


@dataclass(frozen=True)
class ScoredChunk:
    chunk: Chunk
    score: float  # fused score; higher is better
    dense_rank: int | None = None  # 1-based rank in each list it came from
    bm25_rank: int | None = None


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    date: str  # the date label a reader sees
    quote: str  # the exact sentence, sliced from the cleaned text
    passage: str  # the chunk it came from
    chunk_id: str = ""
    start: int = 0  # offsets of the quote in the cleaned document text
    end: int = 0
    outlet: str = ""
    url: str = ""
    page: int | None = None  # page of the quote, for paged files (PDF)
    also: tuple[str, ...] = ()  # other outlets that published the same article ("vov.vn (16/03/2024)")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SentenceCheck:
    """The verifier's verdict on one sentence a language model generated."""

    sentence: str  # as generated, citation markers included
    verdict: str  # "kept", "flagged" or "removed"
    reasons: tuple[str, ...] = ()  # e.g. "invented_citation:[7]", "citation_corrected:[2]->[3]"
    citations: tuple[int, ...] = ()  # passage numbers the shown sentence carries
    lexical: float = 0.0  # support by its best passage: share of words found there
    similarity: float = 0.0  # and the e5 cosine with that passage's closest sentence
    relevance: float = 0.0  # e5 cosine of a kept sentence with the question

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["reasons"], d["citations"] = list(self.reasons), list(self.citations)
        for key in ("lexical", "similarity", "relevance"):
            d[key] = round(d[key], 3)
        return d


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    notices: tuple[str, ...] = ()
    backend: str = "extractive"
    # generative backends only (None / "" for extractive answers, and then left out of to_dict)
    verification: tuple[SentenceCheck, ...] | None = None
    prompt: str = ""  # the messages sent to the model, for evaluation artifacts
    # the answer itself, when the question asks for a date, number, name, place or yes/no
    # ("17/12/1996"), and the number of the citation it was read from
    short_answer: str | None = None
    short_citation: int | None = None
    asked: str = ""  # as typed, when a follow-up was rewritten into ``question``; else ""
    # a refusal: the closest sentence of each passage read, so the reader can judge it (not claims)
    nearest: tuple[Citation, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "notices": list(self.notices),
            "backend": self.backend,
            "short_answer": (None if not self.short_answer else
                             {"text": self.short_answer, "citation": self.short_citation}),
        }
        if self.verification is not None:
            d["verification"] = {
                verdict: [c.to_dict() for c in self.verification if c.verdict == verdict]
                for verdict in ("kept", "flagged", "removed")
            }
        if self.prompt:
            d["prompt"] = self.prompt
        if self.asked:
            d["asked"] = self.asked
        if self.nearest:
            d["nearest"] = [c.to_dict() for c in self.nearest]
        return d


@dataclass(frozen=True)
class SentenceRef:
    doc_id: str
    start: int
    end: int
