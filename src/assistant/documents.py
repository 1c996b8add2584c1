"""The records that flow between stages: frozen dataclasses with no third-party imports.

Document -> Chunk -> ScoredChunk -> Citation / Answer. Offsets are always into the
*cleaned* text of the document (``Document.text``), which the index stores verbatim, so a
citation can be checked by slicing.
"""

from __future__ import annotations

import bisect
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
        return d


@dataclass(frozen=True)
class SentenceRef:
    doc_id: str
    start: int
    end: int
