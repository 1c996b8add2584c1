"""Reading a briefing back, as a reader would check it; shared by the CLI and the browser tests.

Both checks assert that every footnote reference resolves, every footnote is used, every quoted
sentence occurs verbatim in the article its source-list entry names ("tệp <doc_id>"), and each
unanswerable question is followed by exactly NO_INFO.
"""

from __future__ import annotations

import re
from pathlib import Path

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from lxml import etree

from assistant.briefing import NO_INFO, unescape
from assistant.documents import Document

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NOTE = re.compile(r"«(.*?)» — .*\[Nguồn (\d+)\]$")
SOURCE = re.compile(r"^(\d+)\. .*; tệp (\S+?); chú thích [\d, ]+\.$")


def md_footnotes(md: str) -> tuple[list[int], dict[int, str]]:
    """The [^n] references in the body, in order, and the (unescaped) text of each [^n]: definition."""
    defs = {int(m.group(1)): unescape(m.group(2)) for m in re.finditer(r"^\[\^(\d+)\]: (.*)$", md, re.MULTILINE)}
    body = re.sub(r"^\[\^\d+\]: .*$", "", md, flags=re.MULTILINE)
    return [int(n) for n in re.findall(r"\[\^(\d+)\]", body)], defs


def sections_of(md: str) -> dict[str, str]:
    """Question heading ("## 1. …" or "### 1. …") -> the text under it, up to the next heading."""
    out: dict[str, str] = {}
    current = None
    for line in md.splitlines():
        if line.startswith("#"):
            m = re.match(r"#{2,3} \d+\. (.*)$", line)
            current = unescape(m.group(1)) if m else None
            if current is not None:
                out[current] = ""
        elif current is not None:
            out[current] += line + "\n"
    return out


def _sources(lines: list[str]) -> dict[int, str]:
    return {int(m.group(1)): m.group(2) for m in map(SOURCE.match, lines) if m}


def _check_note(text: str, sources: dict[int, str], documents: dict[str, Document]) -> str:
    m = NOTE.search(text)
    assert m, text
    quote, source = m.group(1), int(m.group(2))
    assert quote in documents[sources[source]].text, text  # verbatim in the article it names
    return quote


def check_markdown(md: str, documents: dict[str, Document], questions: list[str],
                   unanswerable: list[str]) -> dict[int, str]:
    """Check a Markdown briefing; return footnote number -> quote."""
    refs, defs = md_footnotes(md)
    assert refs and set(refs) == set(defs) == set(range(1, len(defs) + 1))
    assert list(dict.fromkeys(refs)) == sorted(set(refs))  # numbered by first appearance
    sources = _sources([unescape(line) for line in md.splitlines()])
    quotes = {n: _check_note(text, sources, documents) for n, text in defs.items()}
    under = sections_of(md)
    for q in questions:
        assert q in under, (q, list(under))
        if q in unanswerable:
            assert under[q].strip() == f"*{NO_INFO}*", under[q]
        else:  # answered, and every line of the answer carries a footnote (or leads in a list)
            lines = [ln for ln in under[q].strip().splitlines() if ln.strip()]
            assert lines and NO_INFO not in under[q], q
            assert all("[^" in ln or ln.endswith(":") for ln in lines), lines
    return quotes


def check_docx(path: Path, documents: dict[str, Document], questions: list[str],
               unanswerable: list[str]) -> dict[int, str]:
    """Check a DOCX briefing read back with python-docx; return footnote number -> quote."""
    d = docx.Document(str(path))
    notes = etree.fromstring(d.part.part_related_by(RT.FOOTNOTES).blob)
    texts = {int(n.get(f"{W}id")): "".join(n.itertext()).strip() for n in notes.iter(f"{W}footnote")
             if n.get(f"{W}type") is None}  # not the separators
    body = d.element.body
    refs = [int(r.get(f"{W}id")) for r in body.iter(f"{W}footnoteReference")]
    assert len(refs) == len(set(refs)) and set(refs) == set(texts)  # each footnote referenced once
    marks = {b.get(f"{W}name") for b in body.iter(f"{W}bookmarkStart")}
    for instr in body.iter(f"{W}instrText"):  # a repeated citation points at its footnote's bookmark
        assert re.match(r"\s*NOTEREF (\S+) \\f \\h", instr.text).group(1) in marks
    paragraphs = [p.text for p in d.paragraphs]
    sources = _sources(paragraphs)
    # subtle: Word numbers footnotes in the order they are referenced, whatever their ids
    # (ours are 1, 2, …; LibreOffice saves them from 2), so that order gives the number shown
    quotes = {n: _check_note(texts[ref], sources, documents) for n, ref in enumerate(refs, start=1)}
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert "Nguồn tham khảo" in headings
    for q in questions:
        i = next((i for i, t in enumerate(paragraphs) if t.endswith(q) and t in headings), None)
        assert i is not None, (q, headings)
        assert (paragraphs[i + 1] == NO_INFO) == (q in unanswerable), (q, paragraphs[i + 1])
    return quotes
