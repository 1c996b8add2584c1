"""A Briefing as Markdown with ``[^n]`` footnotes (GitHub, Pandoc and Obsidian render them).

subtle: text from the corpus or the user is backslash-escaped where Markdown would read it
as markup (``*``, ``_``, ``[``, ``<`` …, and list or heading markers at the start of a line),
so a quote renders exactly as the article wrote it. :func:`unescape` reverses this, which is
how the tests check every quote against the corpus.
"""

from __future__ import annotations

import re

from .model import NO_INFO, Briefing, Item, Line
from .wording import (
    LIST_ARTICLES,
    NEW_MARK,
    SOURCES,
    change_text,
    footnote_details,
    header,
    outline,
    since_label,
    source_details,
    source_label,
)

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_LINE_START = re.compile(r"^(\s*)([#+\-=]|\d+(?=[.)]))")


def escape(text: str) -> str:
    text = _SPECIAL.sub(r"\\\1", text.replace("\n", " "))

    def mark(m: re.Match) -> str:  # "- x" -> "\- x", "1. x" -> "1\. x"
        space, marker = m.groups()
        return space + (marker + "\\" if marker[0].isdigit() else "\\" + marker)

    return _LINE_START.sub(mark, text, count=1)


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _details(parts: list[str]) -> list[str]:
    return [f"<{p}>" if p.startswith(("http://", "https://")) else escape(p) for p in parts]


_NEW = f"**{escape(NEW_MARK)}** "


def _line(line: Line, new: bool = False) -> str:
    text = (_NEW if new else "") + "".join(escape(p) if isinstance(p, str) else f"[^{p}]" for p in line.pieces)
    return f"- {text}" if line.bullet else text


def _item(b: Briefing, item: Item, heading: str) -> list[str]:
    out = [heading, ""]
    if b.changes is not None:
        out += [f"**{escape(since_label(b))}:** {escape(change_text(b.changes.of(item)))}", ""]
    if not item.answered:
        return [*out, f"*{NO_INFO}*", ""]
    for i, line in enumerate(item.lines):
        out.append(_line(line, b.changes is not None and b.changes.is_new(line)))
        nxt = item.lines[i + 1] if i + 1 < len(item.lines) else None
        if not (line.bullet and nxt is not None and nxt.bullet):  # list items stay together
            out.append("")
    return out


def to_markdown(b: Briefing) -> str:
    out = [f"# {escape(b.title)}", ""]
    lines = [f"**{label}:** {escape(text)}" for label, text in header(b)]
    out += [line + "  " for line in lines[:-1]] + [lines[-1], ""]  # two spaces: a line break
    if len(b.scope.articles) <= LIST_ARTICLES:
        out += ["Các bài trong kho:", ""]
        out += [f"- *{escape(d.title)}* — {escape(d.date_label)}" for d in b.scope.articles] + [""]
    for heading, items in outline(b):
        if heading:
            out += [f"## {escape(heading)}", ""]
        for number, item in items:
            out += _item(b, item, f"{'###' if heading else '##'} {number.split('.')[-1]}. {escape(item.question)}")
    if b.sources:
        out += [f"## {SOURCES}", ""]
        out += [f"{s.n}. *{escape(s.title)}*; {'; '.join(_details(source_details(s)))}." for s in b.sources]
        out.append("")
    for note in b.footnotes:
        s = b.source_of(note)
        details = ", ".join(_details(footnote_details(s, note.page)))
        new = _NEW if b.changes is not None and note.n in b.changes.new_notes else ""
        out.append(f"[^{note.n}]: {new}«{escape(note.quote)}» — *{escape(s.title)}*, {details}. "
                   f"{escape(source_label(note))}")
    return "\n".join(out).rstrip() + "\n"
