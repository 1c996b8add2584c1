"""What the chat shows, as pure functions over plain data: no Gradio here (that is ``ui.py``).

A :class:`Turn` is one question and its answer with the citations it carries. Turns are the
unit of chat state: they are kept per browser tab, survive a page reload as JSON, and every
view (chat bubbles, sources panel, the Markdown copied to a briefing) is rendered from them.

subtle: every string that comes from the corpus or the user is escaped here, for both HTML
and Markdown (the chat bubbles are Markdown that may contain HTML). An article containing
``<script>`` or ``[link](javascript:...)`` is shown as those characters, never run.
"""

from __future__ import annotations

import html
import json
import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlparse

from ..briefing import briefing_stem  # noqa: F401  (the chat names its exports as the CLI does)
from ..briefing.markdown import escape as md_escape
from ..documents import Answer, Citation, Document
from ..store.disk import built_label

# Every ASCII punctuation mark as a numeric character reference: inert in HTML and in
# Markdown alike (no emphasis, links, autolinks, lists, headings, tables or LaTeX).
_INERT = {ord(c): f"&#{ord(c)};" for c in string.punctuation}
_MARKER = re.compile(r"\[(\d+)\]")
_ID = re.compile(r"[0-9a-z]{1,32}")  # turn ids become HTML ids: nothing else may pass
_NOTICES = re.compile(r"^(?:⚠ [^\n]*\n\n)+")  # what Turn.from_answer puts before the answer


@dataclass(frozen=True)
class Turn:
    id: str  # unique per message: anchors in the page are "src-<id>-<n>"
    asked: str  # what the user typed
    question: str = ""  # the standalone question that was answered (after follow-up rewriting)
    text: str = ""  # answer with [n] markers, or a notice for the user
    refused: bool = False
    citations: tuple[Citation, ...] = ()
    notice: bool = False  # a message about the question (empty, too long, failed), not an answer
    backend: str = ""
    nearest: tuple[Citation, ...] = ()  # a refusal: the closest sentences read (Answer.nearest)

    @property
    def body(self) -> str:
        """The answer without the notices ``from_answer`` puts before it."""
        return _NOTICES.sub("", self.text)

    @property
    def rewritten(self) -> bool:
        return bool(self.question) and self.question != self.asked.strip()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["citations"] = [c.to_dict() for c in self.citations]
        d["nearest"] = [c.to_dict() for c in self.nearest]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Turn:
        """Raises TypeError, KeyError or ValueError on anything but a dict from :meth:`to_dict`."""
        def cited(key: str) -> tuple[Citation, ...]:
            return tuple(replace(c, also=tuple(c.also)) for c in (_typed(Citation(**c)) for c in d.get(key, ())))

        turn = _typed(cls(**{**d, "citations": cited("citations"), "nearest": cited("nearest")}))
        if not _ID.fullmatch(turn.id):
            raise ValueError(f"malformed turn id {turn.id!r}")
        return turn

    @classmethod
    def from_answer(cls, turn_id: str, asked: str, answer: Answer) -> Turn:
        # a backend's notice ("the LLM did not answer in time; extractive answer shown") leads the text
        text = "".join(f"⚠ {n}\n\n" for n in answer.notices) + answer.text
        return cls(turn_id, asked, answer.question, text, answer.refused, tuple(answer.citations),
                   backend=answer.backend, nearest=tuple(answer.nearest))


_SCALARS = {"str": str, "int": int, "bool": bool}


def _typed(obj: Any) -> Any:
    """``obj`` if each of its str/int/bool fields holds exactly that type (data from a browser)."""
    for f in fields(obj):
        kind = _SCALARS.get(str(f.type))
        if kind is not None and type(getattr(obj, f.name)) is not kind:
            raise ValueError(f"{type(obj).__name__}.{f.name} should be {kind.__name__}")
        value = getattr(obj, f.name)
        if str(f.type) == "int | None" and value is not None and type(value) is not int:
            raise ValueError(f"{type(obj).__name__}.{f.name} should be an int or null")
        if str(f.type) == "tuple[str, ...]" and not (isinstance(value, (list, tuple))
                                                     and all(type(x) is str for x in value)):
            raise ValueError(f"{type(obj).__name__}.{f.name} should be a list of strings")
    return obj


def restore(data: Any) -> list[Turn]:
    """Turns from JSON-decoded client storage; anything malformed is dropped, never trusted."""
    turns = []
    for d in data if isinstance(data, list) else ():
        try:
            json.dumps(d, ensure_ascii=False).encode("utf-8")  # a lone surrogate raises (a ValueError)
            turns.append(Turn.from_dict(d))
        except (TypeError, KeyError, ValueError, AttributeError):
            continue
    return turns


def inert(text: str) -> str:
    """``text`` escaped for HTML and Markdown at once; line breaks kept."""
    return text.translate(_INERT)


def anchor(turn: Turn, n: int) -> str:
    return f"src-{turn.id}-{n}"


# --- chat bubbles ------------------------------------------------------------------------
def _body(text: str, turn: Turn | None) -> str:
    """Answer text with each [n] as a link to its source; escaped; "- " lines as a list."""
    known = {c.n for c in turn.citations} if turn else set()

    def line(raw: str) -> str:
        out, pos = [], 0
        for m in _MARKER.finditer(raw):
            out.append(inert(raw[pos : m.start()]))
            n = int(m.group(1))
            if turn and n in known:
                out.append(_cite_link(turn, n))
            else:
                out.append(inert(m.group(0)))
            pos = m.end()
        out.append(inert(raw[pos:]))
        return "".join(out)

    lines = []
    for raw in text.strip().split("\n"):
        bullet = raw.startswith("- ")
        lines.append(("- " if bullet else "") + line(raw[2:] if bullet else raw))
    return "\n".join(lines)


def rewritten_note(question: str) -> str:
    return f'<div class="rewritten">Câu hỏi được hiểu là: «{inert(question)}»</div>\n\n'


def assistant_content(turn: Turn, partial: str | None = None) -> str:
    """The assistant bubble: the standalone question if it was rewritten, then the answer.

    ``partial`` is the text streamed so far; links appear once the citations are known.
    """
    head = rewritten_note(turn.question) if turn.rewritten else ""
    if partial is not None:
        return head + (_body(partial, None) if partial.strip() else "_Đang tìm trong các bài viết…_")
    if turn.notice:
        return f'<div class="notice">{inert(turn.text)}</div>'
    body = _body(turn.text, turn)
    if turn.refused:
        hint = inert("Gợi ý: hãy diễn đạt lại câu hỏi, nêu rõ địa phương hoặc thời gian.")
        return head + f'<div class="refused">{body}<br><small>{hint}</small>{nearest_html(turn)}</div>'
    return head + body + "\n\n" + source_line(turn)


def nearest_html(turn: Turn) -> str:
    """"Gần nhất: …", collapsed: the sentence closest to the question in each passage read."""
    if not turn.nearest:
        return ""
    items = "".join(
        f'<li><span class="near-quote">«{inert(c.quote)}»</span> <span class="near-src">— {inert(c.title)} '
        f"({inert(c.date)}{', tr. ' + str(int(c.page)) if c.page else ''})</span></li>" for c in turn.nearest)
    return (f'<details class="nearest"><summary>Gần nhất: {len(turn.nearest)} đoạn văn đã đọc '
            f"(không đủ để trả lời)</summary><ol>{items}</ol></details>")


def _cite_link(turn: Turn, n: int) -> str:
    a = anchor(turn, n)
    return f'<a class="cite" href="#{a}" title="Xem nguồn [{n}]">[{n}]</a>'


def source_line(turn: Turn) -> str:
    """"Nguồn: [1][2] <title> (<date>); [3] …": the articles behind the answer, one entry each."""
    by_doc: dict[str, list[Citation]] = {}
    for c in turn.citations:
        by_doc.setdefault(c.doc_id, []).append(c)
    entries = [
        "".join(_cite_link(turn, c.n) for c in cites) + f" {inert(cites[0].title)} ({inert(cites[0].date)})"
        for cites in by_doc.values()
    ]
    return '<div class="source-line">Nguồn: ' + "; ".join(entries) + "</div>"


def chat_messages(turns: Sequence[Turn], pending: Turn | None = None, partial: str = "") -> list[dict[str, str]]:
    """Chat bubbles for ``turns``, plus the answer being streamed for ``pending``."""
    messages = []
    for t in [*turns, *([pending] if pending else [])]:
        if t.asked.strip():
            messages.append({"role": "user", "content": inert(_preview(t.asked))})
        content = assistant_content(t, partial) if t is pending else assistant_content(t)
        messages.append({"role": "assistant", "content": content})
    return messages


def turn_of_message(turns: Sequence[Turn], index: int) -> Turn | None:
    """The turn whose answer is message ``index`` of :func:`chat_messages`; None for a question."""
    i = 0
    for t in turns:
        if t.asked.strip():
            i += 1
        if i == index:
            return t
        i += 1
        if i > index:
            return None
    return None


def _preview(text: str, limit: int = 600) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


# --- sources panel -----------------------------------------------------------------------
_SENTENCE_GAP = re.compile(r"(?<=[.!?…])\s+|\n")


def _clip(text: str, limit: int, *, keep_end: bool) -> str:
    """At most ``limit`` characters of the end (or start) of ``text``, cut between sentences if
    one ends in there, else between words."""
    if len(text) <= limit:
        return text
    if keep_end:
        cut = text[-limit:]
        gaps = list(_SENTENCE_GAP.finditer(cut))
        if gaps:
            return "… " + cut[gaps[0].end() :]
        return "…" + cut[cut.find(" ") + 1 :] if " " in cut else "…" + cut
    cut = text[:limit]
    gaps = list(_SENTENCE_GAP.finditer(cut))
    if gaps and gaps[-1].start() > 0:
        return cut[: gaps[-1].start()] + " …"
    return (cut[: cut.rfind(" ")] if " " in cut else cut) + "…"


def passage_html(c: Citation, context: int = 320) -> str:
    """The quoted sentence highlighted inside its passage (up to ``context`` characters each side)."""
    i = c.passage.find(c.quote) if c.quote else -1
    if i < 0:  # defensive: the answerer guarantees quote ⊂ passage
        return f"<mark>{inert(c.quote)}</mark>"
    before = _clip(c.passage[:i], context, keep_end=True)
    after = _clip(c.passage[i + len(c.quote) :], context, keep_end=False)
    return f"{inert(before)}<mark>{inert(c.quote)}</mark>{inert(after)}".replace("\n", "<br>")


def _link(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return inert(url)  # shown, not linked: "javascript:" and friends stay text
    return f'<a href="{inert(url)}" target="_blank" rel="noopener noreferrer">{inert(parsed.netloc)}</a>'


STALE = {
    "gone": "Bài viết này không còn trong kho tài liệu; đoạn trích dưới đây là bản đã lưu lúc trả lời.",
    "changed": "Bài viết này đã thay đổi sau khi trả lời và không còn câu được trích; "
               "đoạn trích dưới đây là bản đã lưu lúc trả lời.",
}


def citation_state(c: Citation, documents: dict[str, Document]) -> str:
    """"" if the article still holds the quote; "changed" if it no longer does; "gone" if it left."""
    doc = documents.get(c.doc_id)
    if doc is None:
        return "gone"
    if doc.text[c.start : c.end] == c.quote or (c.quote and c.quote in doc.text):
        return ""
    return "changed"


def citation_html(turn: Turn, c: Citation, state: str = "") -> str:
    stale = f'<div class="src-stale">⚠ {inert(STALE[state])}</div>' if state in STALE else ""
    meta = ([inert(c.date)] + [inert(c.outlet)] * bool(c.outlet) + [_link(c.url)] * bool(c.url)
            + ([f"tr. {int(c.page)}"] if c.page else [])
            + ([inert("cũng đăng trên: " + ", ".join(c.also))] if c.also else []))
    return (
        f'<article class="src-card" id="{anchor(turn, c.n)}">'
        f'<header><span class="src-n">{c.n}</span><span class="src-title">{inert(c.title)}</span></header>'
        f'<div class="src-meta">{" · ".join(meta)}</div>{stale}'
        f'<p class="src-passage">{passage_html(c)}</p>'
        "</article>"
    )


def sources_html(turns: Sequence[Turn], documents: dict[str, Document] | None = None) -> str:
    """Every cited passage of the conversation, newest answer first.

    With the index's ``documents``, a card whose article changed or left the index says so
    (turns reopened from storage can be older than the index).
    """
    groups = []
    for t in reversed(turns):
        if not t.citations:
            continue
        cards = "".join(citation_html(t, c, citation_state(c, documents) if documents is not None else "")
                        for c in t.citations)
        groups.append(
            f'<section class="src-turn" id="turn-{t.id}">'
            f'<div class="src-q">{inert(t.question or t.asked)}</div>{cards}</section>'
        )
    if not groups:
        return (
            '<div class="src-empty">Các đoạn văn được trích dẫn sẽ hiện ở đây. '
            "Bấm vào số <b>[n]</b> trong câu trả lời để xem câu gốc trong bài viết.</div>"
        )
    return "".join(groups)


# --- copying ------------------------------------------------------------------------------
def to_markdown(turn: Turn) -> str:
    """The answer with its numbered sources, ready to paste into a briefing.

    subtle: escaped as the briefing's Markdown is: pasted into a Markdown editor or a
    page, an article's ``<script>`` or ``[x](javascript:…)`` stays text. Only an http(s)
    address becomes an autolink.
    """
    answer = "\n".join(_escape_keeping_markers(line) for line in turn.text.strip().splitlines())
    lines = [f"**Câu hỏi:** {md_escape(turn.question or turn.asked)}", "", answer]
    if turn.citations:
        lines += ["", "**Nguồn:**", ""]
        for c in turn.citations:
            url = f"<{c.url}>" if _SAFE_URL.fullmatch(c.url or "") else md_escape(c.url or "")
            page = f"tr. {int(c.page)}" if c.page else ""
            also = md_escape("cũng đăng trên: " + ", ".join(c.also)) if c.also else ""
            where = " — ".join(x for x in (md_escape(c.date), md_escape(c.outlet), url, page, also) if x)
            lines.append(f"{c.n}. {md_escape(c.title)} — {where}")
            lines.append(f"   > {md_escape(c.quote)}")
    return "\n".join(lines) + "\n"


def _escape_keeping_markers(line: str) -> str:
    """A line of the answer escaped, its "[n]" markers and a leading "- " bullet kept as written."""
    bullet = "- " if line.startswith("- ") else ""
    parts = re.split(r"(\[\d+\])", line[len(bullet):])
    return bullet + "".join(p if i % 2 else md_escape(p) for i, p in enumerate(parts))


_SAFE_URL = re.compile(r"https?://[^\s<>\"'`\\]+", re.IGNORECASE)


def last_answer_markdown(turns: Iterable[Turn]) -> str:
    answers = [t for t in turns if not t.notice]
    return to_markdown(answers[-1]) if answers else ""


def to_html(turn: Turn) -> str:
    """The answer as rich text for the clipboard: Word and mail keep the bold question, the
    footnote-style [n] and the numbered sources with their quotes. Everything escaped."""
    def line(raw: str) -> str:
        parts = re.split(r"(\[\d+\])", raw)
        return "".join(f"<sup>{p}</sup>" if i % 2 else html.escape(p) for i, p in enumerate(parts))

    body = turn.body.strip()
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    out = [f"<p><b>Câu hỏi:</b> {html.escape(turn.question or turn.asked)}</p>"]
    for p in paragraphs:
        rows = p.split("\n")
        bullets = [r[2:] for r in rows if r.startswith("- ")]
        head = [r for r in rows if not r.startswith("- ")]
        if head:
            out.append("<p>" + "<br>".join(line(r) for r in head) + "</p>")
        if bullets:
            out.append("<ul>" + "".join(f"<li>{line(b)}</li>" for b in bullets) + "</ul>")
    if turn.citations:
        items = []
        for c in turn.citations:
            url = (f'<a href="{html.escape(c.url)}">{html.escape(c.url)}</a>' if _SAFE_URL.fullmatch(c.url or "")
                   else html.escape(c.url or ""))
            where = " — ".join(x for x in (html.escape(c.date), html.escape(c.outlet), url,
                                           f"tr. {int(c.page)}" if c.page else "") if x)
            items.append(f"<li>{html.escape(c.title)} — {where}<br><i>«{html.escape(c.quote)}»</i></li>")
        out.append("<p><b>Nguồn:</b></p><ol>" + "".join(items) + "</ol>")
    return "\n".join(out)



def clipboard(turns: Sequence[Turn]) -> str:
    """What the copy buttons put on the clipboard, as JSON: the latest answer (a refusal is no
    answer to copy) and the whole conversation, each as Markdown and as HTML."""
    answered = [t for t in turns if not t.notice]
    last = next((t for t in reversed(answered) if not t.refused), None)
    return json.dumps({
        "last": {"md": to_markdown(last), "html": to_html(last)} if last else None,
        "all": {"md": "\n---\n\n".join(to_markdown(t) for t in answered),
                "html": "<hr>".join(to_html(t) for t in answered)} if answered else None,
    }, ensure_ascii=False)


# --- exporting a briefing ---------------------------------------------------------------
def answers_of(turns: Iterable[Turn]) -> list[Answer]:
    """The answered turns (notices left out) as Answers, for ``assistant.briefing.assemble``.

    The citations are whatever the turns carry (possibly from the browser's storage): the
    briefing re-verifies each against the index and drops any that is not verbatim there.
    """
    return [Answer(question=t.question or t.asked, text=t.text, refused=t.refused, citations=tuple(t.citations),
                   backend=t.backend) for t in turns if not t.notice]


def common_backend(answers: Iterable[Answer], default: str) -> str:
    """The backend every answer came from; ``default`` when they differ or none is named."""
    names = {a.backend for a in answers if a.backend}
    return names.pop() if len(names) == 1 else default


# --- corpus coverage -----------------------------------------------------------------------
def _date(sort_key: str) -> str:
    parts = sort_key.split("-")
    return "/".join(reversed(parts))  # "2025-04-27" -> "27/04/2025", "2016-07" -> "07/2016"


@dataclass(frozen=True)
class Coverage:
    articles: int
    chunks: int
    first: str = ""
    last: str = ""
    built_at: str = ""
    localities: tuple[str, ...] = field(default_factory=tuple)

    def text(self) -> str:
        parts = [f"{self.articles} bài viết"]
        if self.first:
            parts.append(f"từ {self.first} đến {self.last}" if self.first != self.last else f"năm {self.first}")
        if self.localities:
            parts.append(", ".join(self.localities[:6]) + (" …" if len(self.localities) > 6 else ""))
        if self.built_at:
            parts.append(f"chỉ mục lập lúc {self.built_at}")
        return " · ".join(parts)


def coverage(documents: dict[str, Document], manifest: dict[str, Any], timezone: str = "") -> Coverage:
    # subtle: the key alone; two articles of one date must not fall through to comparing Documents
    dated = sorted(((d.date_sort or d.date or "", d) for d in documents.values() if d.date_sort or d.date),
                   key=lambda pair: (pair[0], pair[1].doc_id))
    first = last = ""
    if dated:
        first, last = (_label(key, doc) for key, doc in (dated[0], dated[-1]))
    counts: dict[str, int] = {}
    for d in documents.values():
        for place in d.localities:
            counts[place] = counts.get(place, 0) + 1
    localities = tuple(sorted(counts, key=lambda p: (-counts[p], p)))
    return Coverage(len(documents), int(manifest.get("chunks", 0)), first, last,
                    built_label(manifest, timezone), localities)


def _label(key: str, doc: Document) -> str:
    # the article's own label when it is a plain date ("2016", "27/04/2025"); else the sort key
    return doc.date_label if re.fullmatch(r"[\d/]+", doc.date_label) else _date(key)
