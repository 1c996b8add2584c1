"""A Briefing as Markdown with ``[^n]`` footnotes (GitHub, Pandoc and Obsidian render them).

subtle: text from the corpus or the user is backslash-escaped where Markdown would read it
as markup (``*``, ``_``, ``[``, ``<`` …, and list or heading markers at the start of a line),
so a quote renders exactly as the article wrote it. :func:`unescape` reverses this, which is
how the tests check every quote against the corpus.
"""

from __future__ import annotations

import re

from .model import NO_INFO, Briefing, Footnote, Item, Line, Scope

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_LINE_START = re.compile(r"^(\s*)([#+\-=]|\d+(?=[.)]))")
LIST_ARTICLES = 30  # the scope lists every article up to this many


def escape(text: str) -> str:
    text = _SPECIAL.sub(r"\\\1", text.replace("\n", " "))

    def mark(m: re.Match) -> str:  # "- x" -> "\- x", "1. x" -> "1\. x"
        space, marker = m.groups()
        return space + (marker + "\\" if marker[0].isdigit() else "\\" + marker)

    return _LINE_START.sub(mark, text, count=1)


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def roman(n: int) -> str:
    out = ""
    for value, numeral in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + numeral, n - value
    return out


def scope_lines(scope: Scope) -> list[str]:
    """The scope as sentences (shared with the DOCX renderer)."""
    n = len(scope.articles)
    span = ""
    if scope.first:
        span = f", từ {scope.first} đến {scope.last}" if scope.first != scope.last else f", năm {scope.first}"
    undated = f"; {scope.undated} bài không ghi ngày" if scope.undated else ""
    built = f" (chỉ mục lập lúc {scope.built_at})" if scope.built_at else ""
    return [f"Kho tài liệu gồm {n} bài báo{span}{undated}{built}."]


def summary_line(b: Briefing) -> str:
    """"Trả lời được 6/7 câu hỏi; 1 câu không có thông tin … (câu II.4)", numbered as the headings are."""
    titled = any(s.title for s in b.sections)
    missing = [f"{roman(k)}.{j}" if titled else str(j)
               for k, section in enumerate(b.sections, start=1)
               for j, item in enumerate(section.items, start=1) if not item.answered]
    total = len(b.items)
    text = f"Trả lời được {total - len(missing)}/{total} câu hỏi"
    if missing:
        text += f"; {len(missing)} câu không có thông tin trong kho tài liệu (câu {', '.join(missing)})"
    return text + "."


def method_line(b: Briefing) -> str:
    """How the answers were written: extractively, or by a model whose sentences were checked."""
    answered = [i for i in b.items if i.answered]
    generated = [i for i in answered if i.backend != "extractive"]
    if not generated:
        text = "Câu trả lời trích nguyên văn từ các bài báo, không dùng mô hình ngôn ngữ."
    elif len(generated) == len(answered):
        text = "Câu trả lời do mô hình ngôn ngữ soạn; chỉ giữ những câu đã đối chiếu được với bài báo."
    else:
        text = (f"Mô hình ngôn ngữ soạn {len(generated)}/{len(answered)} câu trả lời, chỉ giữ những câu đã đối "
                "chiếu được với bài báo; các câu trả lời còn lại trích nguyên văn từ bài báo.")
    return text + " Mỗi ý có chú thích dẫn câu gốc của bài."


def date_vi(d) -> str:
    return d.strftime("%d/%m/%Y")


def footnote_text(b: Briefing, note: Footnote, md: bool = True) -> tuple[str, str, str]:
    """(quote, title, rest) of a footnote: «quote» — title, outlet, date, URL. [Nguồn n]"""
    s = b.source_of(note)
    bits = [s.outlet or "không rõ nơi đăng", s.date]
    if s.url:
        bits.append(f"<{s.url}>" if md else s.url)
    return note.quote, s.title, ", ".join(bits) + f". [Nguồn {s.n}]"


def source_text(s) -> list[str]:
    bits = [s.outlet or "không rõ nơi đăng", s.date]
    if s.url:
        bits.append(s.url)
    bits.append(f"tệp {s.doc_id}")
    return bits


def _line(line: Line) -> str:
    text = "".join(escape(p) if isinstance(p, str) else f"[^{p}]" for p in line.pieces)
    return f"- {text}" if line.bullet else text


def _item(item: Item, heading: str) -> list[str]:
    out = [heading, ""]
    if not item.answered:
        return [*out, f"*{NO_INFO}*", ""]
    for i, line in enumerate(item.lines):
        out.append(_line(line))
        nxt = item.lines[i + 1] if i + 1 < len(item.lines) else None
        if not (line.bullet and nxt is not None and nxt.bullet):  # list items stay together
            out.append("")
    return out


def to_markdown(b: Briefing) -> str:
    out = [f"# {escape(b.title)}", ""]
    out += [f"**Ngày soạn:** {date_vi(b.written)}  ", f"**Phạm vi:** {' '.join(scope_lines(b.scope))}  ",
            f"**Cách soạn:** {method_line(b)}  ", f"**Kết quả:** {summary_line(b)}", ""]
    if len(b.scope.articles) <= LIST_ARTICLES:
        out += ["Các bài trong kho:", ""]
        out += [f"- *{escape(d.title)}* — {escape(d.date_label)}" for d in b.scope.articles] + [""]
    titled = any(s.title for s in b.sections)
    for k, section in enumerate(b.sections, start=1):
        if titled:
            out += [f"## {roman(k)}. {escape(section.title or 'Câu hỏi khác')}", ""]
        for j, item in enumerate(section.items, start=1):
            out += _item(item, f"{'###' if titled else '##'} {j}. {escape(item.question)}")
    if b.sources:
        out += ["## Nguồn tham khảo", ""]
        for s in b.sources:
            notes = ", ".join(map(str, s.notes))
            bits = "; ".join(escape(x) if not x.startswith("http") else f"<{x}>" for x in source_text(s))
            out.append(f"{s.n}. *{escape(s.title)}*; {bits}; chú thích {notes}.")
        out.append("")
    for note in b.footnotes:
        quote, title, rest = footnote_text(b, note)
        rest = re.sub(r"<[^>]+>|[^<]+", lambda m: m.group() if m.group().startswith("<") else escape(m.group()), rest)
        out.append(f"[^{note.n}]: «{escape(quote)}» — *{escape(title)}*, {rest}")
    return "\n".join(out).rstrip() + "\n"
