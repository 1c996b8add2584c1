"""The Vietnamese a briefing prints, the same in Markdown and in Word: headings, scope, method,
result, and the parts of a footnote and of a source entry; and a timeline's scope, method and
source lines. Renderers add only the markup."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

from .edition import NEW_FIGURE, NEW_QUESTION, NEW_SOURCE, OTHER, UNCHANGED, UNSUPPORTED, Change, Cited
from .model import Briefing, Footnote, Item, Source

if TYPE_CHECKING:
    from .timeline import Report, Timeline

LIST_ARTICLES = 30  # the scope names every article up to this many
UNKNOWN_OUTLET = "không rõ nơi đăng"
SOURCES = "Nguồn tham khảo"
NEW_MARK = "[Mới]"  # before a line or footnote that a recurring briefing's last edition did not have
LABELS = {NEW_QUESTION: "Câu hỏi mới", NEW_FIGURE: "Số liệu mới", NEW_SOURCE: "Nguồn mới",
          UNSUPPORTED: "Không còn được hỗ trợ", UNCHANGED: "Không đổi", OTHER: "Thay đổi khác"}


def date_vi(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def roman(n: int) -> str:
    out = ""
    for value, numeral in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + numeral, n - value
    return out


def outline(b: Briefing) -> Iterator[tuple[str | None, list[tuple[str, Item]]]]:
    """Each section's heading ("I. Lịch sử", or None for a plain list) and its numbered items.

    Questions are numbered 1, 2, … within their section; the result line uses the same numbers.
    """
    titled = any(s.title for s in b.sections)
    for k, section in enumerate(b.sections, start=1):
        heading = f"{roman(k)}. {section.title or 'Câu hỏi khác'}" if titled else None
        yield heading, [(f"{roman(k)}.{j}" if titled else str(j), item)
                        for j, item in enumerate(section.items, start=1)]


def scope_line(b: Briefing) -> str:
    s = b.scope
    span = ""
    if s.first:
        span = f", từ {s.first} đến {s.last}" if s.first != s.last else f", năm {s.first}"
    undated = f"; {s.undated} bài không ghi ngày" if s.undated else ""
    built = f" (chỉ mục lập lúc {s.built_at})" if s.built_at else ""
    return f"Kho tài liệu gồm {len(s.articles)} bài báo{span}{undated}{built}."


def result_line(b: Briefing) -> str:
    """"Trả lời được 6/7 câu hỏi; 1 câu không có thông tin … (câu II.4)"."""
    missing = [n for _, items in outline(b) for n, item in items if not item.answered]
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


def header(b: Briefing) -> list[tuple[str, str]]:
    """The labelled lines under the title."""
    lines = [("Ngày soạn", date_vi(b.written)), ("Phạm vi", scope_line(b)), ("Cách soạn", method_line(b)),
             ("Kết quả", result_line(b))]
    return [*lines, ("Thay đổi", changes_line(b))] if b.changes is not None else lines


# --- a recurring briefing: what changed since the last edition ---------------------------------
def changes_line(b: Briefing) -> str:
    """"So với bản tin ngày 22/11/2026: 1/3 câu hỏi có thay đổi (câu 2)." and the questions dropped."""
    assert b.changes is not None
    changed = [n for _, items in outline(b) for n, item in items if b.changes.of(item).status != (UNCHANGED,)]
    text = f"So với bản tin ngày {date_vi(b.changes.since)}: {len(changed)}/{len(b.items)} câu hỏi có thay đổi"
    if changed:
        text += f" (câu {', '.join(changed)})"
    fresh = sum(NEW_QUESTION in b.changes.of(i).status for i in b.items)
    if fresh:
        text += f", trong đó {fresh} câu hỏi mới"
    if b.changes.dropped:
        text += (f"; {len(b.changes.dropped)} câu hỏi của bản tin trước không còn trong bản tin này: "
                 + "; ".join(f"«{q}»" for q in b.changes.dropped))
    return text + "."


def since_label(b: Briefing) -> str:
    assert b.changes is not None
    return f"Thay đổi so với bản tin ngày {date_vi(b.changes.since)}"


def _article(c: Cited) -> str:
    return f"«{c.title}» ({c.date})" if c.date else f"«{c.title}»"


def change_text(change: Change) -> str:
    """After "Thay đổi so với bản tin ngày …: ", e.g. "Số liệu mới: 350 người (bản trước: 120 người);
    Nguồn mới: «…» (05/10/2023)."."""
    parts = []
    for status in change.status:
        label = LABELS[status]
        if status == NEW_QUESTION:
            parts.append(f"{label} (bản tin trước không hỏi)")
        elif status == NEW_FIGURE:
            before = ", ".join(change.previous_figures) or "không nêu số liệu"
            parts.append(f"{label}: {', '.join(change.new_figures)} (bản trước: {before})")
        elif status == NEW_SOURCE:
            dropped = f"; không còn trích: {', '.join(map(_article, change.dropped_sources))}" \
                if change.dropped_sources else ""
            parts.append(f"{label}: {', '.join(map(_article, change.new_sources))}{dropped}")
        elif status == UNSUPPORTED:
            why = ["bản trước có câu trả lời, nay kho tài liệu không còn thông tin"] if change.now_refused else []
            why += [f"bài {_article(c)} không còn trong kho tài liệu" for c in change.gone_sources]
            why += [f"bài {_article(c)} không còn câu đã trích" for c in change.edited_sources]
            parts.append(f"{label}: {'; '.join(why)}")
        elif status == OTHER:
            what = [f"không còn nêu {', '.join(change.dropped_figures)}"] if change.dropped_figures else []
            what += [f"không còn trích bài {_article(c)}" for c in change.dropped_sources]
            parts.append(f"{label}: {'; '.join(what) or 'câu trả lời khác bản trước'}")
        else:
            parts.append(label)
    return "; ".join(parts) + "."


def footnote_details(source: Source, page: int | None = None) -> list[str]:
    """After «quote» — *title*: outlet, date, the page of a paged file and the URL (when known),
    then "[Nguồn n]"."""
    return [source.outlet or UNKNOWN_OUTLET, source.date, *([f"tr. {page}"] if page else []),
            *([source.url] if source.url else [])]


def source_details(source: Source) -> list[str]:
    """After "n. *title*": outlet, date, URL, corpus file, and the footnotes citing it."""
    return [*footnote_details(source), f"tệp {source.doc_id}", f"chú thích {', '.join(map(str, source.notes))}"]


def source_label(note: Footnote) -> str:
    return f"[Nguồn {note.source}]"


# --- timelines ---------------------------------------------------------------------------------
TIMELINE_NO_EVENTS = "Không có sự kiện nào trong kho tài liệu."
TIMELINE_METHOD = ("Mỗi sự kiện là một câu trích nguyên văn từ bài báo (đã đối chiếu với văn bản gốc). Ngày là ngày "
                   "câu văn nêu; khi câu không nêu ngày, dùng ngày đăng bài.")


def _vn_day(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


def timeline_scope(t: Timeline) -> str:
    """"5 bài viết nhắc đến Hải Phòng (trong 7 bài của kho); thời gian: từ 01/01/2019 đến 31/12/2023; 4 sự kiện."."""
    when = ("từ " + _vn_day(t.since) if t.since else "") + (" đến " + _vn_day(t.until) if t.until else "")
    return (f"{len(t.articles)} bài viết nhắc đến {t.subject} (trong {t.total} bài của kho)"
            + (f", câu nêu {t.partner}" if t.partner else "")
            + f"; thời gian: {when.strip() or 'mọi thời điểm'}; {len(t.events)} sự kiện.")


def timeline_source(r: Report) -> str:
    """What follows an event's article title: " (doc_id), outlet, date"."""
    return "".join(f", {x}" if i else f" ({x})" for i, x in enumerate((r.doc_id, r.outlet, r.date_label)) if x)
