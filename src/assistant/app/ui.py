"""The Gradio chat: an adapter over :class:`~assistant.app.chat.ChatEngine` and ``chatview``.

``create_app(settings)`` builds the app without serving it; ``launch(...)`` serves it. This
is the only module that imports Gradio. Everything the user reads is Vietnamese.

``create_app`` composes panels: the header, the conversations sidebar, the chat, the briefing
export, the settings, the upload and user-management panels, the sources. Each builds its
components where it is called (so in the order of the page), and once all exist, ``wire``
connects its events, since most events show their results in other panels too.

How citations stay put: each answer is a Turn holding its own citations. The chat bubbles and
the sources panel are re-rendered from the turns, with anchors unique per turn
("src-<turn>-<n>"), so [1] of an earlier answer still opens that answer's source. The turns
are kept per tab in ``sessionStorage`` (as JSON, re-escaped on the way back in), so a page
reload shows the same conversation while another tab keeps its own.

Signed in (the server's login, ``server.py``), the conversations are the user's own and kept
server-side instead (``conversations.py``): a sidebar lists them, newest first; the tab keeps
only the id of the open one, so a reload or a server restart reopens it. The role decides
whether the upload panel shows (editors and admins), and the upload handler checks it again.
Without accounts, ``request.username`` is empty and everything is as above.

"Xuất bản tin" turns the session's answers into a cited briefing (``assistant.briefing``),
written as Markdown and Word into a fresh temporary folder and offered as two downloads. The
briefing re-verifies every citation against the index, so turns restored from the browser
cannot smuggle a quote into it.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
import uuid
from collections import OrderedDict
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from string import Template
from typing import Any

from ..briefing import briefing_stem
from ..config import K_RANGE, Settings
from ..documents import Filters
from ..errors import AssistantError, BackendError, ConfigError
from ..ingest.feeds import FeedListError
from ..store.disk import built_label
from ..vietnamese import clean_input, fold
from . import static, uploads
from .accounts import AccountError, Accounts
from .chat import ChatEngine, available_backends, backend_label
from .chatview import (
    Turn,
    answers_of,
    chat_messages,
    clipboard,
    common_backend,
    coverage,
    inert,
    restore,
    sources_html,
    turn_of_message,
)
from .conversations import Conversations

try:
    import gradio as gr
except ImportError as exc:  # pragma: no cover - depends on the install
    raise BackendError("the chat UI needs Gradio", hint='pip install -e ".[ui]"') from exc

TITLE = "Trợ lý tra cứu đối ngoại địa phương"
EXAMPLES = [
    "Sở Ngoại vụ Hải Phòng được thành lập khi nào?",
    "Hà Nội có quan hệ hợp tác với bao nhiêu thành phố nước ngoài?",
    "Hải Phòng có quan hệ hữu nghị với những địa phương nào?",
    "Hải Phòng có bao nhiêu kiều bào?",
]
STORAGE_KEY = "assistant-chat-v1"
TOPIC_CHARS = 200
MAX_SAVED_CHARS = 10_000_000  # a conversation restored from the browser: larger copies are dropped
MAX_SAVED_TURNS = 500

log = logging.getLogger(__name__)

NOTHING_CHOSEN = "Chưa chọn câu trả lời nào để đưa vào bản tin: hãy đánh dấu ít nhất một câu ở «Chọn câu trả lời»."
NOTHING_TO_EXPORT = ("Chưa có câu trả lời nào để xuất bản tin. "
                     "Hãy đặt ít nhất một câu hỏi, rồi bấm «Xuất bản tin» lần nữa.")
EXPORT_FAILED = ("Xin lỗi, chưa soạn được bản tin do lỗi ngoài dự kiến. Vui lòng thử lại; "
                 "nếu lỗi lặp lại, hãy báo cho quản trị viên.")

# subtle: no web fonts. The default theme asks Google Fonts for Inter, which never arrives on
# an offline machine; these local fonts all carry Vietnamese diacritics.
FONTS = ["Segoe UI", "Roboto", "Helvetica Neue", "Arial", "Liberation Sans", "DejaVu Sans", "sans-serif"]
MONO = ["Consolas", "Liberation Mono", "DejaVu Sans Mono", "monospace"]

CSS = static.read("chat.css")
VI_JS = static.read("vi-strings.js")  # lang="vi", and Gradio's own English strings in Vietnamese
# One delegated listener for the whole page: the chat bubbles are re-rendered on every turn.
NAVIGATE_JS = static.read("cite-links.js")
COPY_JS = static.read("copy.js")
LOAD_JS = Template(static.read("load.js")).substitute(storage_key=STORAGE_KEY)
SAVE_JS = Template(static.read("save.js")).substitute(storage_key=STORAGE_KEY)
CONFIRM_DELETE_JS = static.read("confirm-delete.js")
CONFIRM_NEW_JS = static.read("confirm-new.js")
CONFIRM_REMOVE_USER_JS = static.read("confirm-remove-user.js")
CONFIRM_REMOVE_DOC_JS = static.read("confirm-remove-doc.js")


def theme() -> Any:
    return gr.themes.Soft(primary_hue="blue", neutral_hue="slate", font=FONTS, font_mono=MONO)


def _header(engine: ChatEngine) -> str:
    cov = coverage(engine.index.documents, engine.index.manifest, engine.default.settings.timezone)
    return (
        f'<div id="header"><h1>{TITLE}</h1>'
        "<p>Hỏi đáp về công tác đối ngoại của các tỉnh, thành phố. Mỗi câu trả lời trích nguyên văn "
        "từ bài viết; bấm vào số [n] để xem đoạn nguồn.</p>"
        f'<span class="coverage" id="coverage">Kho dữ liệu: {inert(cov.text())}</span></div>'
    )


def _outputs(turns: list[Turn], documents: dict | None = None, conversation: str | None = None,
             signed_in: bool = False) -> tuple:
    """chatbot, sources, turns, copy text, saved JSON: every view of the conversation.

    What the tab saves: the turns themselves, or (signed in) only the open conversation's id.
    """
    if signed_in:
        saved = json.dumps({"conversation": conversation})
    else:
        saved = json.dumps([t.to_dict() for t in turns], ensure_ascii=False)
    return chat_messages(turns), sources_html(turns, documents), turns, clipboard(turns), saved


ROLE_WORDS = {"reader": "người đọc", "editor": "biên tập viên", "admin": "quản trị viên"}


def users_table(accounts: Accounts) -> str:
    """The accounts, for an admin: name, role, API keys, created."""
    rows = "".join(
        f"<tr><td>{inert(u.name)}</td><td>{ROLE_WORDS[u.role]}</td><td>{u.keys}</td>"
        f"<td>{datetime.fromtimestamp(u.created).strftime('%d/%m/%Y')}</td></tr>" for u in accounts.list())
    return ('<table class="users"><thead><tr><th>Tên đăng nhập</th><th>Vai trò</th><th>Khoá API</th>'
            f"<th>Ngày tạo</th></tr></thead><tbody>{rows}</tbody></table>")


def feeds_table(settings: Settings) -> str:
    """The feeds followed, for an admin: name, address, who added it, the last fetch's result."""
    from .newsroom import list_feeds

    try:
        followed = list_feeds(settings)
    except ValueError as exc:
        return f'<p class="feeds-error">Không đọc được danh sách nguồn tin: {inert(str(exc))}</p>'
    if not followed:
        return '<p class="feeds-empty">Chưa theo dõi nguồn tin nào.</p>'
    rows = []
    for f in followed:
        last = f.last or {}
        when = _local(last["at"], settings.timezone) if last.get("at") else "chưa lấy"
        failed = "".join(f"<li>{inert(u)}: {inert(why)}</li>" for u, why in last.get("failed", [])[:10])
        result = inert(last.get("line", "")) + (f"<ul class='feed-failed'>{failed}</ul>" if failed else "")
        added = _local(f.added_at, settings.timezone)[6:] if f.added_at else ""
        rows.append(f"<tr><td>{inert(f.name)}</td><td>{inert(f.url)}</td><td>{inert(f.added_by)} {added}</td>"
                    f"<td>{when}</td><td>{result}</td></tr>")
    return ('<table class="users feeds"><thead><tr><th>Tên</th><th>Địa chỉ</th><th>Người thêm</th>'
            f"<th>Lần lấy gần nhất</th><th>Kết quả</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _local(stamp: float, timezone: str) -> str:
    """"17:00 22/11/2026": a moment in the reader's time zone (the setting ``timezone``)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return datetime.fromtimestamp(stamp, ZoneInfo(timezone)).strftime("%H:%M %d/%m/%Y")
    except (ZoneInfoNotFoundError, ValueError):
        return datetime.fromtimestamp(stamp).strftime("%H:%M %d/%m/%Y")


def _user_line(user) -> str:
    # subtle: signing out is a POST of this page's own form: a link elsewhere cannot sign anyone out
    return (f'<div class="user-line"><span>Đăng nhập: <b>{inert(user.name)}</b> · {ROLE_WORDS.get(user.role, "")} · '
            '</span><form method="post" action="logout" class="logout"><button type="submit" id="logout">Đăng xuất'
            '</button></form></div>')


def _remove(folder: str | None) -> None:
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def _exported(b) -> str:
    """"Đã soạn bản tin: 3 câu hỏi, 5 chú thích." plus what was left out, for the status line."""
    items = b.items
    text = f"Đã soạn bản tin: {len(items)} câu hỏi, {len(b.footnotes)} chú thích."
    missing = sum(not i.answered for i in items)
    if missing:
        text += f" {missing} câu không có thông tin trong kho tài liệu."
    dropped = sum(i.dropped for i in items)
    if dropped:
        text += f" Đã bỏ {dropped} câu không đối chiếu được với bài viết."
    return text + " Bấm nút bên dưới để tải về."


UPLOAD_TYPES = [".html", ".htm", ".pdf", ".docx", ".txt", ".md"]
STATUS_WORDS = {"added": "đã thêm", "updated": "đã cập nhật", "unchanged": "không đổi", "skipped": "bỏ qua"}


def _added(report) -> str:
    """What an upload did, one line per file, for the upload panel's status."""
    lines = []
    counts = {s: len(report.of(s)) for s in STATUS_WORDS}
    lines.append(", ".join(f"{STATUS_WORDS[s].capitalize() if i == 0 else STATUS_WORDS[s]} {n}"
                           for i, (s, n) in enumerate(counts.items())) + " tệp.")
    for p in report.placed:
        why = f": {inert(p.reason_vi or p.reason)}" if p.reason else ""
        shown = Path(p.source).name
        renamed = f" → {inert(p.name)}" if p.name and p.name != shown else ""
        lines.append(f"- {inert(shown)}{renamed} — {STATUS_WORDS[p.status]}{why}")
    mine = {n for p in report.placed if p.name for n in (p.name, Path(p.name).stem)}  # doc ids are stems or names
    for copy, article in (report.build.copies if report.build else ()):
        if copy not in mine and article not in mine:
            continue  # the corpus's other duplicates are not this upload's news
        lines.append(f"- {inert(copy)} trùng nội dung với {inert(article)}: ghi nhận là một nơi đăng khác của bài đó")
    if report.build is not None:
        lines += ["", "**Đã cập nhật chỉ mục: có thể hỏi ngay về các tài liệu mới.**"]
    return "\n".join(lines)


SESSIONS_KEPT = 100_000  # Gradio session hashes remembered with their user


class _Context:
    """What the panels share: the settings, the engine and, on the department's server, the
    accounts and their saved conversations."""

    def __init__(self, settings: Settings, engine: ChatEngine, accounts: Accounts | None,
                 upload_folders: bool = False) -> None:
        self.settings, self.engine, self.accounts = settings, engine, accounts
        self.upload_folders = upload_folders  # each user's uploads in a folder of their own (the server's)
        self.backends = available_backends(settings)
        self.store = Conversations(accounts) if accounts is not None else None
        self.uploads = settings.allow_upload or accounts is not None
        self._owners: OrderedDict[str, str] = OrderedDict()  # Gradio session hash -> its user ("" = none)
        self._header: tuple[tuple[str, str] | None, str] = (None, "")
        self._lock = threading.Lock()

    def signed_in(self, request: gr.Request | None):
        """The signed-in User, or None (no accounts: one person on their own machine).

        A Gradio session (its state: the open conversation, its turns) belongs to the user who
        opened it: a request naming another user's session hash is refused, not served.
        """
        name = getattr(request, "username", None) if request is not None else None
        user = self.accounts.user(name) if name and self.accounts is not None else None
        session = getattr(request, "session_hash", None) if request is not None else None
        if session and self.accounts is not None:
            with self._lock:
                owner = self._owners.setdefault(session, user.name if user else "")
                self._owners.move_to_end(session)
                while len(self._owners) > SESSIONS_KEPT:
                    self._owners.popitem(last=False)
            if owner != (user.name if user else ""):
                log.warning("session %s of %r used by %r: refused", session[:6], owner, name)
                raise gr.Error("Phiên làm việc này thuộc về người khác. Vui lòng tải lại trang.")
        return user

    def docs(self) -> dict:
        return self.engine.index.documents

    def header(self) -> str:
        """The page's header for the live index (made once per build)."""
        key = (str(self.engine.index.path), self.settings.timezone)
        if self._header[0] != key:
            self._header = (key, _header(self.engine))
        return self._header[1]

    def listing(self, user, current: str | None):
        choices = [(c.title, c.id) for c in self.store.list(user.name)] if user and self.store else []
        return gr.update(choices=choices, value=current if any(v == current for _, v in choices) else None)


class _Tab:
    """One browser tab's state, and ``views``: every component that shows its conversation."""

    def __init__(self) -> None:
        self.turns = gr.State([])
        self.conversation = gr.State(None)  # the open saved conversation's id (signed in)
        self.folder = gr.State(None, delete_callback=_remove)  # this tab's latest export, removed with the tab
        self.saved = gr.Textbox(visible="hidden", elem_id="chat-store")
        self.copy_text = gr.Textbox(visible="hidden", elem_id="copy-text")
        self.views: list = []  # chatbot, sources, turns, copy text, saved: in the order of _outputs

    def show(self, chatbot: gr.Chatbot, sources: gr.HTML) -> None:
        self.views = [chatbot, sources, self.turns, self.copy_text, self.saved]


def _header_panel(ctx: _Context) -> gr.HTML:
    """The title, and the coverage of the index (refreshed after an upload); the page's CSS."""
    return gr.HTML(_header(ctx.engine), head=f"<style>\n{CSS}</style>\n<script>\n{VI_JS}</script>")


class _Export:
    """"Xuất bản tin": the tab's answers as a cited briefing, offered as two downloads."""

    def __init__(self, ctx: _Context, tab: _Tab) -> None:
        self.ctx, self.tab = ctx, tab
        with gr.Row(equal_height=True, elem_id="export-row"):
            self.topic = gr.Textbox(
                label="Chủ đề bản tin", show_label=False, container=False, elem_id="brief-topic", scale=3,
                lines=1, max_lines=1, max_length=TOPIC_CHARS,
                placeholder="Chủ đề bản tin (không bắt buộc), ví dụ: Đối ngoại Hải Phòng",
            )
            self.button = gr.Button("Xuất bản tin", size="sm", elem_id="export", scale=1, min_width=120)
        with gr.Accordion("Chọn câu trả lời và sửa tiêu đề", open=False, elem_id="export-choose") as self.choose:
            self.pick = gr.CheckboxGroup([], label="Câu trả lời đưa vào bản tin", elem_id="export-pick")
            self.headings = gr.Textbox(label="Tiêu đề từng mục (mỗi dòng ứng với một câu trả lời ở trên, theo thứ tự)",
                                       lines=3, max_lines=20, elem_id="export-headings")
            self.chosen = gr.State(False)  # the list above was filled: export what it says
        self.status = gr.Markdown("", elem_id="export-status")
        with gr.Row():
            self.dl_md = gr.DownloadButton("Tải bản tin Markdown (.md)", size="sm", visible=False, elem_id="dl-md")
            self.dl_docx = gr.DownloadButton("Tải bản tin Word (.docx)", size="sm", visible=False, elem_id="dl-docx")
        self.outputs = [self.status, self.dl_md, self.dl_docx, tab.folder]

    def wire(self) -> None:
        self.choose.expand(self.fill, inputs=[self.tab.turns], outputs=[self.pick, self.headings, self.chosen])
        for trigger in (self.button.click, self.topic.submit):
            trigger(self.export, inputs=[self.tab.turns, self.topic, self.tab.folder, self.chosen, self.pick,
                                         self.headings], outputs=self.outputs,
                    concurrency_limit=2, concurrency_id="export")

    @staticmethod
    def _answered(turns: list[Turn]) -> list[Turn]:
        return [t for t in turns or [] if not t.notice]

    @staticmethod
    def heading(turn: Turn) -> str:
        """A question as a briefing's heading: one line, its first letter a capital."""
        text = " ".join((turn.question or turn.asked).split())
        return text[:1].upper() + text[1:]

    def fill(self, turns: list[Turn]):
        """Every answer of the tab, ticked (refusals not), and their headings to edit."""
        answered = self._answered(turns)
        choices = [(f"{i}. {self.heading(t)}" + (" (không có thông tin)" if t.refused else ""), t.id)
                   for i, t in enumerate(answered, start=1)]
        return (gr.update(choices=choices, value=[t.id for t in answered if not t.refused]),
                "\n".join(self.heading(t) for t in answered), True)

    def reset_after(self, event) -> None:
        """Once ``event`` changed the conversation, the export of the previous one goes."""
        event.then(reset_export, inputs=[self.tab.folder], outputs=self.outputs)

    def export(self, turns: list[Turn], topic: str, folder: str | None, chosen: bool, pick: list[str] | None,
               headings: str, request: gr.Request):
        """status, Markdown download, Word download, export folder: the session as a briefing
        (the answers ticked, under the headings as edited, once the list was opened)."""
        self.ctx.signed_in(request)  # the session's own user only
        engine = self.ctx.engine
        answered = self._answered(turns)
        if chosen is True:
            lines = [" ".join(clean_input(x).split())[:TOPIC_CHARS] for x in (headings or "").split("\n")]
            named = {t.id: (lines[i] if i < len(lines) and lines[i] else self.heading(t))
                     for i, t in enumerate(answered)}
            wanted = set(pick or [])
            answered = [replace(t, question=named[t.id]) for t in answered if t.id in wanted]
            if not answered:
                return (NOTHING_CHOSEN, gr.update(visible=False), gr.update(visible=False), folder)
        answers = answers_of(answered)
        if not answers:
            return NOTHING_TO_EXPORT, gr.update(visible=False), gr.update(visible=False), folder
        fresh = None
        try:
            from ..briefing import assemble, write_briefing

            topic = " ".join(clean_input(topic or "").split())[:TOPIC_CHARS]
            today = date.today()
            b = assemble([("", answers)], engine.index.documents, topic=topic, written=today,
                         built_at=built_label(engine.index.manifest, engine.default.settings.timezone),
                         backend=common_backend(answers, engine.default.settings.backend))
            fresh = tempfile.mkdtemp(prefix="ban-tin-")
            md, docx = write_briefing(b, Path(fresh) / briefing_stem(topic, today), ("md", "docx"))
        except Exception:
            log.exception("exporting a briefing of %d answers failed", len(answers))
            _remove(fresh)
            return EXPORT_FAILED, gr.update(visible=False), gr.update(visible=False), folder
        _remove(folder)  # the previous export's files: Gradio served them from its own cache
        return (_exported(b), gr.update(value=str(md), visible=True), gr.update(value=str(docx), visible=True),
                fresh)


class _Timeline:
    """"Dòng thời gian": the dated events the articles state about a locality (and a partner),
    oldest first, each a verified quote (``briefing.timeline``), with Markdown and Word downloads."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        with gr.Accordion("Dòng thời gian", open=False, elem_id="timeline-panel"):
            with gr.Row():
                self.subject = gr.Textbox(label="Địa phương", placeholder="ví dụ: Hải Phòng", max_lines=1,
                                          max_length=TOPIC_CHARS, elem_id="timeline-subject")
                self.partner = gr.Textbox(label="Đối tác (không bắt buộc)", placeholder="ví dụ: Kitakyushu",
                                          max_lines=1, max_length=TOPIC_CHARS, elem_id="timeline-partner")
            with gr.Row():
                self.since = gr.Textbox(label="Từ (năm, tháng hoặc ngày)", max_lines=1, elem_id="timeline-since")
                self.until = gr.Textbox(label="Đến", max_lines=1, elem_id="timeline-until")
                self.button = gr.Button("Lập dòng thời gian", size="sm", elem_id="timeline-make", min_width=120)
            self.view = gr.Markdown("", elem_id="timeline-view", max_height=600)
            with gr.Row():
                self.dl_md = gr.DownloadButton("Tải Markdown (.md)", size="sm", visible=False, elem_id="timeline-md")
                self.dl_docx = gr.DownloadButton("Tải Word (.docx)", size="sm", visible=False, elem_id="timeline-docx")
            self.folder = gr.State(None)

    def wire(self) -> None:
        self.button.click(self.make, inputs=[self.subject, self.partner, self.since, self.until, self.folder],
                          outputs=[self.view, self.dl_md, self.dl_docx, self.folder])

    def make(self, subject: str, partner: str, since: str, until: str, folder: str | None, request: gr.Request):
        """The timeline shown, its two downloads, and the folder holding them."""
        from ..briefing import timeline_stem, write_atomically
        from ..briefing.timeline import timeline, to_markdown, write_docx

        self.ctx.signed_in(request)  # the session's own user only
        hidden = gr.update(visible=False)
        subject, partner = (" ".join(clean_input(x or "").split())[:TOPIC_CHARS] for x in (subject, partner))
        since, until = (" ".join(clean_input(x or "").split())[:20] for x in (since, until))
        if not subject:
            return "Hãy nhập tên địa phương (tỉnh, thành phố).", hidden, hidden, folder
        try:
            t = timeline(self.ctx.engine.index, subject, partner or None, since or None, until or None)
        except ValueError:
            return ("Không lập được: thời gian phải là năm, tháng hoặc ngày (2019, 03/2019, 12/03/2019) và «Từ» "
                    "không sau «Đến»."), hidden, hidden, folder
        text = to_markdown(t)
        fresh = tempfile.mkdtemp(prefix="dong-thoi-gian-")
        try:
            stem = Path(fresh) / timeline_stem(subject, partner or None)
            md, docx = stem.with_suffix(".md"), stem.with_suffix(".docx")
            write_atomically(md, lambda tmp: tmp.write_text(text, encoding="utf-8"))
            write_atomically(docx, lambda tmp: write_docx(t, tmp))
        except Exception:
            log.exception("writing the timeline of %s failed", subject)
            _remove(fresh)
            return text, hidden, hidden, folder
        _remove(folder)
        return text, gr.update(value=str(md), visible=True), gr.update(value=str(docx), visible=True), fresh


def reset_export(folder: str | None):
    _remove(folder)
    return "", gr.update(value=None, visible=False), gr.update(value=None, visible=False), None


class _Sidebar:
    """Signed in: who, and their saved conversations (new, reopen, rename, delete); hidden otherwise."""

    def __init__(self, ctx: _Context, tab: _Tab) -> None:
        self.ctx, self.tab = ctx, tab
        with gr.Column(scale=1, min_width=220, visible=False, elem_id="sidebar") as self.column:
            self.user_line = gr.HTML("", elem_classes=["user-line"])
            self.new_btn = gr.Button("+ Cuộc hội thoại mới", size="sm", elem_id="new-conversation")
            self.saved_list = gr.Radio([], label="Hội thoại đã lưu", elem_id="conversations", interactive=True)
            with gr.Accordion("Đổi tên / xoá hội thoại đang mở", open=False, elem_id="manage"):
                self.new_title = gr.Textbox(show_label=False, placeholder="Tên mới", lines=1, max_lines=1,
                                            max_length=TOPIC_CHARS, elem_id="rename-title")
                with gr.Row():
                    self.rename_btn = gr.Button("Đổi tên", size="sm", elem_id="rename")
                    self.delete_btn = gr.Button("Xoá", size="sm", variant="stop", elem_id="delete")
                self.confirmed = gr.Checkbox(False, visible=False)  # set by the confirmation dialog
        self.confirmed_new = gr.Checkbox(True, visible=False)  # "Cuộc hội thoại mới" confirmed

    def wire(self, export: _Export, new_conversation=None) -> None:
        """``new_conversation``: the chat panel's button that also starts a new conversation; it
        asks first when that would wipe an unsaved conversation (no accounts)."""
        tab, views = self.tab, self.tab.views
        outputs = [*views, tab.conversation, self.saved_list]
        export.reset_after(self.new_btn.click(self.start_new, outputs=outputs))
        if new_conversation is not None:
            export.reset_after(new_conversation.click(self.start_new, inputs=[self.confirmed_new, tab.saved],
                                                      outputs=outputs, js=CONFIRM_NEW_JS))
        export.reset_after(self.saved_list.input(self.reopen, inputs=[self.saved_list],
                                                 outputs=[*views, tab.conversation]))
        self.rename_btn.click(self.rename, inputs=[tab.conversation, self.new_title],
                              outputs=[self.saved_list, self.new_title])
        self.new_title.submit(self.rename, inputs=[tab.conversation, self.new_title],
                              outputs=[self.saved_list, self.new_title])
        # subtle: the confirmation's answer travels in a hidden checkbox: Gradio takes gr.State
        # inputs from the session, so a null returned for the State never reached the handler
        self.delete_btn.click(self.delete, inputs=[tab.conversation, self.confirmed],
                              outputs=[*views, tab.conversation, self.saved_list], js=CONFIRM_DELETE_JS)

    def reopen(self, conversation: str | None, request: gr.Request):
        ctx, store = self.ctx, self.ctx.store
        user = ctx.signed_in(request)
        if not (user and store and isinstance(conversation, str) and store.owns(user.name, conversation)):
            return (*_outputs([], ctx.docs(), None, bool(user)), None)
        return (*_outputs(store.turns(user.name, conversation), ctx.docs(), conversation, True), conversation)

    def start_new(self, confirmed: bool = True, saved: str = "", request: gr.Request = None):  # type: ignore[assignment]
        user = self.ctx.signed_in(request)
        if confirmed is not True:  # the user kept the conversation
            return tuple(gr.skip() for _ in range(7))
        return (*_outputs([], self.ctx.docs(), None, bool(user)), None, self.ctx.listing(user, None))

    def rename(self, conversation: str | None, title: str, request: gr.Request):
        ctx = self.ctx
        user = ctx.signed_in(request)
        if user and ctx.store and conversation:
            ctx.store.rename(user.name, conversation, clean_input(title or "")[:TOPIC_CHARS])
        return ctx.listing(user, conversation), ""

    def delete(self, conversation: str | None, confirmed: bool, request: gr.Request):
        ctx = self.ctx
        user = ctx.signed_in(request)
        if not (conversation and confirmed is True):  # nothing open, or the confirmation was cancelled
            return tuple(gr.skip() for _ in range(7))
        if user and ctx.store:
            ctx.store.delete(user.name, conversation)
        return (*_outputs([], ctx.docs(), None, bool(user)), None, ctx.listing(user, None))


class _ChatPanel:
    """The conversation and the question box: asking, copying the last answer, starting afresh."""

    def __init__(self, ctx: _Context, tab: _Tab) -> None:
        self.ctx, self.tab = ctx, tab
        self.chatbot = gr.Chatbot(
            elem_id="chat", label="Hội thoại", show_label=False, height=600, buttons=[], latex_delimiters=[],
            feedback_options=("Like", "Dislike") if ctx.accounts is not None else None, layout="bubble",
            placeholder="**Đặt câu hỏi về công tác đối ngoại của các địa phương.**<br>"
                        "Câu trả lời trích nguyên văn từ bài viết, kèm nguồn.",
        )
        with gr.Row(equal_height=True):
            self.box = gr.Textbox(
                elem_id="question", show_label=False, scale=6, lines=1, max_lines=6, autofocus=True,
                placeholder="Nhập câu hỏi, ví dụ: Sở Ngoại vụ Hà Nội được thành lập khi nào?",
            )
            self.send = gr.Button("Gửi", variant="primary", scale=1, min_width=90, elem_id="send")
        self.feedback = _FeedbackPanel(ctx)
        self.filters = _FilterPanel(ctx)
        with gr.Row():
            self.copy = gr.Button("Sao chép câu trả lời", size="sm", elem_id="copy")
            self.copy_all = gr.Button("Sao chép cả hội thoại", size="sm", elem_id="copy-all")
            self.clear = gr.Button("Cuộc hội thoại mới", size="sm", elem_id="clear")

    def wire(self, export: _Export, saved_list: gr.Radio, k: gr.Slider, backend: gr.Dropdown, header: gr.HTML) -> None:
        tab = self.tab
        # subtle: one shared concurrency group, so several tabs are answered at once (ChatEngine
        # serialises the pipeline steps); Gradio's default would queue each tab behind the others.
        ask = {"fn": self.respond, "inputs": [self.box, tab.turns, k, backend, tab.conversation,
                                              *self.filters.inputs],
               "outputs": [*tab.views, self.box, tab.conversation, saved_list, header],
               "concurrency_limit": 4, "concurrency_id": "ask", "show_progress": "hidden"}
        self.copy.click(None, inputs=[tab.copy_text, gr.State("last")], outputs=None, js=COPY_JS)
        self.copy_all.click(None, inputs=[tab.copy_text, gr.State("all")], outputs=None, js=COPY_JS)
        self.feedback.wire(self.chatbot, tab)
        # a new question makes an earlier export stale: hide it first
        for trigger in (self.box.submit, self.send.click):
            trigger(reset_export, inputs=[tab.folder], outputs=export.outputs, show_progress="hidden").then(**ask)

    def respond(self, message: str, turns: list[Turn], k: float, backend: str, conversation: str | None,
                since: str, until: str, localities: list[str] | None, outlets: list[str] | None,
                request: gr.Request):
        ctx = self.ctx
        user = ctx.signed_in(request)
        history = list(turns or [])
        first = True
        try:
            filters = _FilterPanel.read(since, until, localities, outlets)
        except ValueError as exc:
            history.append(Turn(uuid.uuid4().hex[:10], "", text=str(exc), notice=True))
            yield (*_outputs(history, ctx.docs(), conversation, bool(user)), gr.skip(), conversation, gr.skip(),
                   gr.skip())
            return
        for turn, partial in ctx.engine.stream(message, history, int(k), backend, filters):
            box = "" if first else gr.skip()
            first = False
            if partial is not None:
                yield chat_messages(history, pending=turn, partial=partial), gr.skip(), gr.skip(), gr.skip(), \
                    gr.skip(), box, gr.skip(), gr.skip(), gr.skip()
            else:
                history.append(turn)
                if user and ctx.store:
                    conversation = ctx.store.add_turn(user.name, conversation, turn)
                # the header follows the index: another user's upload shows in the next answer's page
                yield (*_outputs(history, ctx.docs(), conversation, bool(user)), box, conversation,
                       ctx.listing(user, conversation), ctx.header())


class _FeedbackPanel:
    """👍/👎 on each answer (the chat's own icons), and for 👎 what was wrong: kept with the
    answer (``feedback.py``) for ``assistant feedback export`` to make fixtures of."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        docs = sorted(ctx.docs().values(), key=lambda d: (d.date_sort or "", d.doc_id), reverse=True)
        self.judgement = gr.State(None)  # the id of this tab's latest 👎, for its details
        self.status = gr.Markdown("", elem_id="feedback-status")
        with gr.Group(visible=False, elem_id="feedback-panel") as self.panel:
            gr.Markdown("**Góp ý cho câu trả lời chưa đúng** (không bắt buộc; giúp đánh giá và cải thiện trợ lý)")
            self.note = gr.Textbox(label="Nhận xét", lines=2, max_lines=6, max_length=2000, elem_id="feedback-note")
            self.correct = gr.Textbox(label="Câu trả lời đúng (cụm từ một câu trả lời đúng phải có)", max_lines=2,
                                      max_length=500, elem_id="feedback-correct",
                                      placeholder="ví dụ: 26/11/2004")
            self.source = gr.Dropdown([(f"{d.title} ({d.date_label})", d.doc_id) for d in docs], value=None,
                                      label="Bài viết có câu trả lời đúng", elem_id="feedback-source",
                                      allow_custom_value=False)
            self.not_covered = gr.Checkbox(False, label="Các bài viết không có thông tin này (trợ lý nên từ chối)",
                                           elem_id="feedback-not-covered")
            self.send = gr.Button("Gửi góp ý", size="sm", elem_id="feedback-send")

    def wire(self, chatbot: gr.Chatbot, tab: _Tab) -> None:
        if self.ctx.accounts is None:  # nowhere to keep it (and a like listener without icons breaks the chat)
            return
        chatbot.like(self.judge, inputs=[tab.turns, tab.conversation],
                     outputs=[self.status, self.panel, self.judgement, self.note, self.correct, self.source,
                              self.not_covered])
        self.send.click(self.detail, inputs=[self.judgement, self.note, self.correct, self.source, self.not_covered],
                        outputs=[self.status, self.panel])

    def _store(self):
        from .feedback import Feedback

        return Feedback(self.ctx.accounts) if self.ctx.accounts is not None else None

    def judge(self, turns: list[Turn], conversation: str | None, data: gr.LikeData, request: gr.Request):
        user = self.ctx.signed_in(request)
        store = self._store()
        turn = turn_of_message(turns or [], data.index if isinstance(data.index, int) else -1)
        skip = (gr.skip(),) * 7
        if store is None or turn is None or turn.notice or data.liked not in (True, False):
            return skip
        verdict = "up" if data.liked else "down"
        judgement = store.judge(user.name if user else "", turn, verdict, conversation)
        log.info("feedback %s on turn %s by %r", verdict, turn.id, user.name if user else "")
        if verdict == "up":
            return ("Đã ghi nhận: câu trả lời đúng 👍. Cảm ơn bạn!", gr.update(visible=False), None,
                    "", "", None, False)
        return ("Đã ghi nhận 👎. Nếu được, hãy cho biết câu trả lời đúng ở bên dưới.", gr.update(visible=True),
                judgement, "", "", None, False)

    def detail(self, judgement: int | None, note: str, correct: str, source: str | None, not_covered: bool,
               request: gr.Request):
        user = self.ctx.signed_in(request)
        store = self._store()
        if store is None or not isinstance(judgement, int):
            return "Hãy bấm 👎 trên câu trả lời trước khi gửi góp ý.", gr.skip()
        if source is not None and source not in self.ctx.docs():
            source = None
        ok = store.detail(user.name if user else "", judgement, clean_input(note or "").strip(),
                          clean_input(correct or "").strip(), source or "", bool(not_covered))
        if not ok:
            return "Không tìm thấy góp ý này. Hãy bấm 👎 lại.", gr.skip()
        return "Đã lưu góp ý. Cảm ơn bạn! Câu hỏi này sẽ vào bộ câu hỏi đánh giá của đơn vị.", gr.update(visible=False)


def feedback_table(accounts: Accounts, limit: int = 20) -> str:
    """The newest 👎, for an admin: when, who, the question, what they said was right."""
    from .feedback import Feedback

    rows = Feedback(accounts).list("down", limit)
    if not rows:
        return '<p class="feedback-none">Chưa có góp ý 👎 nào.</p>'
    body = "".join(
        f"<tr><td>{datetime.fromtimestamp(j.at).strftime('%H:%M %d/%m/%Y')}</td><td>{inert(j.user or '-')}</td>"
        f"<td>{inert(j.turn.question or j.turn.asked)}</td><td>{inert(j.note)}</td>"
        f"<td>{inert('không có trong bài viết' if j.not_covered else j.correct)}</td></tr>" for j in rows)
    return ('<table class="users feedback"><thead><tr><th>Lúc</th><th>Người góp ý</th><th>Câu hỏi</th>'
            f"<th>Nhận xét</th><th>Câu trả lời đúng</th></tr></thead><tbody>{body}</tbody></table>")


class _FilterPanel:
    """"Lọc bài viết": answer only from articles of a time, about localities, from outlets."""

    LIMIT = 20  # localities or outlets chosen at once, as the API allows

    def __init__(self, ctx: _Context) -> None:
        docs = ctx.docs().values()
        places = coverage(ctx.docs(), ctx.engine.index.manifest).localities
        outlets = sorted({d.outlet.strip() for d in docs if d.outlet and d.outlet.strip()}, key=str.casefold)
        with gr.Accordion("Lọc bài viết (thời gian, địa phương, nguồn)", open=False, elem_id="filter-panel"):
            with gr.Row():
                self.since = gr.Textbox(label="Đăng từ", placeholder="2019 hoặc 01/05/2019", max_lines=1,
                                        max_length=40, elem_id="filter-since", min_width=120)
                self.until = gr.Textbox(label="Đến", placeholder="2020 hoặc 31/12/2020", max_lines=1,
                                        max_length=40, elem_id="filter-until", min_width=120)
            with gr.Row():
                self.localities = gr.Dropdown(list(places), multiselect=True, allow_custom_value=True,
                                              label="Địa phương", elem_id="filter-localities", min_width=160,
                                              max_choices=self.LIMIT)
                self.outlets = gr.Dropdown(outlets, multiselect=True, allow_custom_value=True,
                                           label="Nguồn (báo, trang)", elem_id="filter-outlets", min_width=160,
                                           max_choices=self.LIMIT)
        self.inputs = [self.since, self.until, self.localities, self.outlets]

    @classmethod
    def read(cls, since: str | None, until: str | None, localities, outlets) -> Filters:
        """The panel's values as Filters; ValueError with the reason in Vietnamese."""
        since, until = (clean_input(x or "").strip()[:40] for x in (since, until))
        picked = [[clean_input(str(x)).strip()[:200] for x in (values or [])][: cls.LIMIT]
                  for values in (localities, outlets)]
        try:
            return Filters.of(since or None, until or None, picked[0], picked[1])
        except ValueError as exc:
            if "range is empty" in str(exc):
                raise ValueError("Bộ lọc: ngày «Đăng từ» ở sau ngày «Đến»; hãy sửa lại khoảng thời gian.") from exc
            raise ValueError("Bộ lọc: ngày không hợp lệ. Hãy nhập năm (2019), tháng (05/2019) hoặc "
                             "ngày (17/05/2019).") from exc


class _Upload:
    """"Thêm tài liệu vào kho": files added to the corpus and the index, then asked about at once."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        with gr.Accordion("Tài liệu: thêm, xem, xoá, thay", open=False, elem_id="upload-panel",
                          visible=ctx.settings.allow_upload) as self.panel:
            self.files = gr.File(label="Kéo thả bài báo (.html), PDF, Word (.docx), .txt, .md",
                                 file_count="multiple", file_types=UPLOAD_TYPES, elem_id="upload-files")
            self.add_btn = gr.Button("Thêm vào kho", size="sm", elem_id="upload-add")
            self.add_status = gr.Markdown("", elem_id="upload-status")
            self.library = _Library(ctx)

    def wire(self, header: gr.HTML) -> None:
        self.add_btn.click(self.upload, inputs=[self.files], outputs=[self.add_status, header, self.files],
                           concurrency_limit=1, concurrency_id="upload")
        self.library.wire(header, self.panel.expand)

    def upload(self, files, request: gr.Request,
               progress=gr.Progress(track_tqdm=True)):  # noqa: B008 - Gradio's idiom
        """status, header, cleared file box: add the files, then answer from them."""
        paths = [f if isinstance(f, str) else getattr(f, "name", str(f)) for f in (files or [])]
        user = self.ctx.signed_in(request)
        if not (user.may("editor") if user else self.ctx.settings.allow_upload):
            return "Tài khoản của bạn không có quyền thêm tài liệu (cần quyền biên tập viên).", gr.skip(), None
        if not paths:
            return "Chưa chọn tệp nào.", gr.skip(), gr.skip()
        who = user.name if user else ""
        if not all(uploads.owned(who if self.ctx.upload_folders else None, p) for p in paths):  # a path another user's upload stored, or none
            log.warning("an upload by %r named files it did not upload: refused", who)
            return "Chỉ thêm được tệp bạn vừa tải lên. Vui lòng tải tệp lên lại.", gr.skip(), None
        progress(0, desc="Đang đọc và lập chỉ mục")
        try:
            report = self.ctx.engine.add_files(paths, show_progress=True)
        except Exception as exc:  # an upload never takes the chat down
            log.exception("adding %d uploaded files failed", len(paths))
            why = inert(str(exc)) if isinstance(exc, AssistantError) else "lỗi ngoài dự kiến"
            return f"Không thêm được tài liệu ({why}). Vui lòng thử lại.", gr.skip(), None
        finally:
            uploads.discard(paths)  # copied into the corpus, or to be uploaded again
        if self.ctx.accounts is not None and user is not None:
            self.ctx.accounts.audit_documents(user.name, report.placed)
        return _added(report), _header(self.ctx.engine), None


class _Library:
    """"Thư viện tài liệu": the articles the index answers from (title, date, outlet, pages, who
    added each and when, copies), searchable; an editor deletes one or replaces it with a new file.
    Inside the upload panel, so shown to whoever may upload."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        with gr.Accordion("Thư viện tài liệu (xem, xoá, thay)", open=False, elem_id="library"):
            self.search = gr.Textbox(show_label=False, placeholder="Tìm theo tiêu đề, nơi đăng hoặc mã bài",
                                     max_lines=1, max_length=200, elem_id="library-search")
            self.table = gr.HTML("", elem_id="library-table")
            self.doc = gr.Dropdown([], value=None, label="Bài viết", elem_id="library-doc")
            with gr.Row():
                self.delete = gr.Button("Xoá khỏi kho", size="sm", variant="stop", elem_id="library-delete")
            self.file = gr.File(label="Tệp thay thế (phiên bản mới của bài đã chọn)", file_count="single",
                                file_types=UPLOAD_TYPES, elem_id="library-file")
            self.replace = gr.Button("Thay bằng tệp này", size="sm", elem_id="library-replace")
            self.status = gr.Markdown("", elem_id="library-status")
            self.confirmed = gr.Checkbox(False, visible=False)  # set by the confirmation dialog of "Xoá"

    def wire(self, header: gr.HTML, opened) -> None:
        outputs = [self.table, self.doc]
        opened(self.show, inputs=[self.search], outputs=outputs)
        self.search.change(self.show, inputs=[self.search], outputs=outputs, show_progress="hidden")
        self.delete.click(self.remove, inputs=[self.doc, self.confirmed, self.search],
                          outputs=[self.status, header, *outputs], js=CONFIRM_REMOVE_DOC_JS,
                          concurrency_limit=1, concurrency_id="upload")
        self.replace.click(self.swap, inputs=[self.doc, self.file, self.search],
                           outputs=[self.status, header, *outputs, self.file], concurrency_limit=1,
                           concurrency_id="upload")

    def _may(self, request) -> Any:
        user = self.ctx.signed_in(request)
        return user, (user.may("editor") if user else self.ctx.settings.allow_upload)

    def show(self, search: str, request: gr.Request):
        """The table and the choice of articles, those matching ``search`` (words of the title,
        outlet or id, diacritics optional)."""
        _, may = self._may(request)
        if not may:
            return "", gr.update(choices=[], value=None)
        docs = sorted(self.ctx.docs().values(), key=lambda d: (d.date_sort or "", d.doc_id), reverse=True)
        words = fold(clean_input(search or "")).lower().split()
        if words:
            docs = [d for d in docs if all(w in fold(f"{d.title} {d.outlet} {d.url} {d.doc_id}").lower() for w in words)]
        added = self.ctx.accounts.document_history() if self.ctx.accounts is not None else {}
        rows = []
        for d in docs[:500]:
            who = added.get(Path(d.path).name)
            by = (f"{inert(who.actor)}, {datetime.fromtimestamp(who.at).strftime('%d/%m/%Y')}" if who else "")
            rows.append(f"<tr><td>{inert(d.title)}</td><td>{inert(d.date_label)}</td><td>{inert(d.outlet)}</td>"
                        f"<td>{len(d.pages) if d.pages else ''}</td><td>{by}</td><td>{len(d.copies) or ''}</td>"
                        f"<td><code>{inert(d.doc_id)}</code></td></tr>")
        more = f"<p>… và {len(docs) - 500} bài khác: hãy tìm hẹp hơn.</p>" if len(docs) > 500 else ""
        table = ('<table class="users library"><thead><tr><th>Tiêu đề</th><th>Ngày</th><th>Nơi đăng</th>'
                 "<th>Trang</th><th>Người thêm</th><th>Bản đăng lại</th><th>Mã</th></tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table>{more}<p>{len(docs)} bài viết.</p>")
        choices = [(f"{d.title} ({d.date_label}) — {d.doc_id}", d.doc_id) for d in docs[:500]]
        return table, gr.update(choices=choices, value=None)

    def _audit(self, user):
        accounts = self.ctx.accounts

        def hook(removed: list) -> None:
            if accounts is not None and user is not None:
                for w in removed:
                    accounts.audit(user.name, "removed document", w.name, w.reason)
        return hook

    def remove(self, doc_id: str | None, confirmed: bool, search: str, request: gr.Request):
        user, may = self._may(request)
        if not may:
            return "Tài khoản của bạn không có quyền xoá tài liệu (cần quyền biên tập viên).", gr.skip(), \
                gr.skip(), gr.skip()
        if confirmed is not True:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        if not doc_id or doc_id not in self.ctx.docs():
            return "Hãy chọn một bài viết trong danh sách.", gr.skip(), gr.skip(), gr.skip()
        try:
            report = self.ctx.engine.remove([doc_id], withdrawn_hook=self._audit(user))
        except Exception as exc:  # a removal never takes the chat down
            log.exception("removing %s failed", doc_id)
            why = inert(str(exc)) if isinstance(exc, AssistantError) else "lỗi ngoài dự kiến"
            return f"Không xoá được ({why}).", gr.skip(), gr.skip(), gr.skip()
        gone = report.of("removed")
        text = (f"Đã xoá {len(gone)} tệp khỏi kho (giữ lại trong corpus/.removed/ để khôi phục khi cần): "
                + ", ".join(inert(w.name) for w in gone) + ". Trợ lý không trả lời từ bài này nữa."
                if gone else "Không xoá được: " + "; ".join(inert(w.reason) for w in report.withdrawn))
        return (text, _header(self.ctx.engine), *self.show(search, request))

    def swap(self, doc_id: str | None, file, search: str, request: gr.Request):
        user, may = self._may(request)
        skip = (gr.skip(),) * 4
        if not may:
            return "Tài khoản của bạn không có quyền thay tài liệu (cần quyền biên tập viên).", *skip
        path = file if isinstance(file, str) else getattr(file, "name", None)
        if not doc_id or doc_id not in self.ctx.docs():
            return "Hãy chọn bài viết cần thay.", *skip
        if not path:
            return "Hãy tải lên tệp thay thế.", *skip
        who = user.name if user else ""
        if not uploads.owned(who if self.ctx.upload_folders else None, path):
            return "Chỉ thay được bằng tệp bạn vừa tải lên. Vui lòng tải tệp lên lại.", *skip[:3], None
        try:
            added, _ = self.ctx.engine.replace(doc_id, path, withdrawn_hook=self._audit(user))
        except Exception as exc:
            log.exception("replacing %s failed", doc_id)
            why = inert(str(exc)) if isinstance(exc, AssistantError) else "lỗi ngoài dự kiến"
            return f"Không thay được ({why}).", *skip[:3], None
        finally:
            uploads.discard([path])
        if added.build is None:
            why = "; ".join(inert(p.reason_vi or p.reason) for p in added.placed if p.reason) or "tệp không đổi"
            return f"Không thay được: {why}. Bài cũ vẫn giữ nguyên.", *skip[:3], None
        if self.ctx.accounts is not None and user is not None:
            self.ctx.accounts.audit_documents(user.name, added.placed)
        new = ", ".join(inert(p.name) for p in added.placed if p.name)
        return (f"Đã thay **{inert(doc_id)}** bằng {new}. Trợ lý trả lời từ bản mới ngay.",
                _header(self.ctx.engine), *self.show(search, request), None)


def _admin_of(ctx: _Context, request):
    """The signed-in admin of a department's server (accounts exist), or None."""
    user = ctx.signed_in(request)
    return user if user and user.may("admin") and ctx.accounts is not None else None


class _Admin:
    """"Quản lý người dùng": an admin adds users, changes roles and passwords, makes API keys."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        with gr.Accordion("Quản lý người dùng", open=False, visible=False, elem_id="admin-panel") as self.panel:
            self.users_html = gr.HTML("", elem_id="users")
            with gr.Accordion("Góp ý «chưa đúng» gần đây", open=False, elem_id="feedback-admin"):
                self.feedback_html = gr.HTML("", elem_id="feedback-recent")
                self.feedback_refresh = gr.Button("Tải lại", size="sm", elem_id="feedback-refresh")
            self.pick = gr.Dropdown([], value=None, label="Chọn người dùng (hoặc nhập tên người mới bên dưới)",
                                    elem_id="admin-pick")
            with gr.Row():
                self.name = gr.Textbox(label="Tên đăng nhập", max_lines=1, elem_id="admin-name")
                self.role = gr.Dropdown([(w, r) for r, w in ROLE_WORDS.items()], value="reader",
                                        label="Vai trò", elem_id="admin-role")
                self.password = gr.Textbox(label="Mật khẩu (ít nhất 8 ký tự)", type="password",
                                           max_lines=1, elem_id="admin-password")
            with gr.Row():
                self.buttons = {
                    "add": gr.Button("Thêm người dùng", size="sm", elem_id="admin-add"),
                    "role": gr.Button("Đổi vai trò", size="sm", elem_id="admin-role-set"),
                    "passwd": gr.Button("Đặt mật khẩu mới", size="sm", elem_id="admin-passwd"),
                    "key": gr.Button("Tạo khoá API", size="sm", elem_id="admin-key"),
                    "remove": gr.Button("Xoá người dùng", size="sm", variant="stop", elem_id="admin-remove"),
                }
            self.status = gr.Markdown("", elem_id="admin-status")
            self.confirmed = gr.Checkbox(False, visible=False)  # set by the confirmation dialog of "remove"
            self.feeds = _Feeds(ctx)

    def wire(self) -> None:
        self.feeds.wire()
        self.feedback_refresh.click(self.recent, outputs=[self.feedback_html])
        self.panel.expand(self.people, outputs=[self.pick])
        self.pick.input(self.chosen, inputs=[self.pick], outputs=[self.name, self.role])
        for action, button in self.buttons.items():
            confirm = CONFIRM_REMOVE_USER_JS if action == "remove" else None
            button.click(self.manage, inputs=[gr.State(action), self.name, self.role, self.password, self.confirmed],
                         outputs=[self.status, self.users_html, self.password, self.pick], js=confirm)

    def _admin(self, request):
        return _admin_of(self.ctx, request)

    def people(self, request: gr.Request):
        """The accounts to choose from, so an admin picks a user instead of typing the name."""
        if self._admin(request) is None:
            return gr.update(choices=[], value=None)
        assert self.ctx.accounts is not None
        return gr.update(choices=[(f"{u.name} ({ROLE_WORDS[u.role]})", u.name) for u in self.ctx.accounts.list()],
                         value=None)

    def chosen(self, name: str | None, request: gr.Request):
        """A user picked: their name in the form, their role in its list."""
        if self._admin(request) is None or not name:
            return gr.skip(), gr.skip()
        assert self.ctx.accounts is not None
        user = self.ctx.accounts.user(name)
        return name, (user.role if user else gr.skip())

    def recent(self, request: gr.Request):
        user = self.ctx.signed_in(request)
        if not (user and user.may("admin")) or self.ctx.accounts is None:
            return ""
        return feedback_table(self.ctx.accounts)

    def manage(self, action: str, name: str, role: str, password: str, confirmed: bool, request: gr.Request):
        """status, user table, cleared password: one change to the accounts, by an admin only."""
        accounts = self.ctx.accounts
        user = self.ctx.signed_in(request)
        if not (user and user.may("admin")) or accounts is None:
            return "Chỉ quản trị viên mới quản lý được người dùng.", gr.skip(), "", gr.skip()
        if action not in ("add", "role", "passwd", "key", "remove") or (action == "remove" and confirmed is not True):
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()  # a cancelled confirmation
        name = clean_input(name or "").strip()
        try:
            if not name:
                raise AccountError("no name", "Hãy nhập tên đăng nhập.")
            if action in ("remove", "role") and name == user.name:
                raise AccountError("not oneself", "Không thể tự xoá hoặc tự đổi vai trò của chính mình.")
            if action == "add":
                accounts.add(name, password or "", role, by=user.name)
                text = f"Đã thêm **{inert(name)}** ({ROLE_WORDS[role]})."
            elif action == "role":
                accounts.set_role(name, role, by=user.name)
                text = f"**{inert(name)}** giờ là {ROLE_WORDS[role]}."
            elif action == "passwd":
                accounts.set_password(name, password or "", by=user.name)
                text = f"Đã đặt mật khẩu mới cho **{inert(name)}**; các phiên đăng nhập của họ đã kết thúc."
            elif action == "key":
                key_id, key = accounts.new_key(name, by=user.name)  # letters, digits, "-" and "_" only
                text = (f"Khoá API mới của **{inert(name)}**, mã {key_id} (chỉ hiện một lần, hãy lưu lại): "
                        f'<code id="new-key">{key}</code>')
            else:
                accounts.remove(name, by=user.name)
                text = f"Đã xoá **{inert(name)}** cùng khoá API và các hội thoại đã lưu của họ."
        except AccountError as exc:
            text = f"Không thực hiện được: {inert(exc.vi)}"
        log.info("user management by %s: %s %s", user.name, action, name)
        return text, users_table(accounts), "", self.people(request)


class _Feeds:
    """"Nguồn tin tự động" (in the admin panel): the feeds followed and their last result; an admin
    adds or removes one, or fetches now. ``feeds_every`` fetches them on schedule."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        every = ctx.settings.feeds_every.strip()
        schedule = (f"Máy chủ tự lấy tin mỗi {inert(every)}." if every else
                    "Máy chủ chưa đặt lịch lấy tin (feeds_every); bấm «Lấy tin ngay» hoặc chạy `assistant feeds fetch`.")
        with gr.Accordion("Nguồn tin tự động (RSS, Atom, sitemap)", open=False, elem_id="feeds-admin") as self.panel:
            gr.Markdown(schedule, elem_id="feeds-schedule")
            self.table = gr.HTML("", elem_id="feeds")
            with gr.Row():
                self.url = gr.Textbox(label="Địa chỉ nguồn tin (RSS, Atom hoặc sitemap)", max_lines=1,
                                      elem_id="feed-url")
                self.name = gr.Textbox(label="Tên (để bỏ theo dõi: tên hoặc địa chỉ)", max_lines=1, elem_id="feed-name")
            with gr.Row():
                self.add = gr.Button("Theo dõi nguồn tin", size="sm", elem_id="feed-add")
                self.remove = gr.Button("Bỏ theo dõi", size="sm", variant="stop", elem_id="feed-remove")
                self.fetch = gr.Button("Lấy tin ngay", size="sm", elem_id="feed-fetch")
            self.status = gr.Markdown("", elem_id="feed-status")

    def wire(self) -> None:
        self.panel.expand(self.show, outputs=[self.table])
        self.add.click(self.follow, inputs=[self.url, self.name], outputs=[self.status, self.table, self.url, self.name])
        self.remove.click(self.unfollow, inputs=[self.url, self.name],
                          outputs=[self.status, self.table, self.url, self.name])
        self.fetch.click(self.now, outputs=[self.status, self.table])

    def _admin(self, request):
        return _admin_of(self.ctx, request)

    def show(self, request: gr.Request):
        return feeds_table(self.ctx.settings) if self._admin(request) else ""

    def follow(self, url: str, name: str, request: gr.Request):
        return self._change("add", url, name, request)

    def unfollow(self, url: str, name: str, request: gr.Request):
        return self._change("remove", url, name, request)

    def _change(self, action: str, url: str, name: str, request: gr.Request):
        """status, table, cleared address and name: a feed followed or dropped, by an admin, audited."""
        from .newsroom import add_feed, remove_feed

        user = self._admin(request)
        if user is None:
            return "Chỉ quản trị viên mới quản lý được nguồn tin.", gr.skip(), gr.skip(), gr.skip()
        try:
            if action == "add":
                feed = add_feed(self.ctx.settings, clean_input(url or ""), clean_input(name or ""), who=user.name)
            else:
                feed = remove_feed(self.ctx.settings, clean_input(name or url or "").strip())
        except FeedListError as exc:
            failed = "Không thêm được" if action == "add" else "Không bỏ được"
            return f"{failed}: {inert(exc.vi)}", gr.skip(), gr.skip(), gr.skip()
        assert self.ctx.accounts is not None
        self.ctx.accounts.audit(user.name, "added feed" if action == "add" else "removed feed", feed.name, feed.url)
        done = (f"Đã theo dõi **{inert(feed.name)}**; bài mới được lấy ở lần lấy tin tới." if action == "add" else
                f"Đã bỏ theo dõi **{inert(feed.name)}**; các bài đã lấy vẫn ở trong kho.")
        return done, feeds_table(self.ctx.settings), "", ""

    def now(self, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - Gradio's progress idiom
        user = self._admin(request)
        if user is None:
            return "Chỉ quản trị viên mới lấy tin được.", gr.skip()
        progress(0, desc="Đang lấy tin từ các nguồn…")
        try:
            report = self.ctx.engine.fetch_feeds(user.name, self.ctx.accounts)
        except (ValueError, AssistantError) as exc:
            log.warning("fetching the feeds for %s failed: %s", user.name, exc)
            return f"Không lấy được tin: {inert(getattr(exc, 'vi', '') or str(exc))}", gr.skip()
        if not report.feeds:
            return "Chưa theo dõi nguồn tin nào.", feeds_table(self.ctx.settings)
        lines = "\n".join(f"- {inert(r.line_vi())}" for r in report.feeds)
        done = " Đã cập nhật chỉ mục." if report.build else ""
        return f"{lines}\n\n{done}".strip(), feeds_table(self.ctx.settings)


def _sources_panel() -> gr.HTML:
    """"Nguồn trích dẫn": each answer's quoted passages; a click on [n] in the chat shows its card."""
    gr.Markdown("### Nguồn trích dẫn", elem_id="sources-title")
    return gr.HTML(sources_html([]), elem_id="sources", js_on_load=NAVIGATE_JS, max_height=660)


def _settings_panel(ctx: _Context, box: gr.Textbox) -> tuple[gr.Slider, gr.Dropdown]:
    """The example questions, then "Cài đặt": passages considered (k) and how answers are written."""
    gr.Examples([[q] for q in EXAMPLES], inputs=[box], label="Câu hỏi mẫu")
    with gr.Accordion("Cài đặt", open=False):
        k = gr.Slider(*K_RANGE, value=ctx.settings.k, step=1, label="Số đoạn văn tham khảo (k)",
                      info="Số đoạn văn tìm được đưa vào để soạn câu trả lời.")
        backend = gr.Dropdown(
            [(backend_label(b), b) for b in ctx.backends], value=ctx.backends[0],
            label="Cách soạn câu trả lời", visible=len(ctx.backends) > 1, elem_id="backend",
        )
    return k, backend


def _restore_on_load(app: gr.Blocks, ctx: _Context, tab: _Tab, side: _Sidebar, upload_panel, admin_panel,
                     users_html, feedback_html) -> None:
    """A tab opens or reloads: its conversation comes back, and the panels its user may see show.

    ``upload_panel``, ``admin_panel``, ``users_html`` and ``feedback_html`` are ``gr.State``
    stand-ins for a panel this app does not have.
    """

    def reload(saved: str, request: gr.Request):
        """Every view, the open conversation, the sidebar, the user line and the upload panel."""
        try:  # the browser's copy of the conversation: bounded, and never trusted
            data = json.loads(saved) if isinstance(saved, str) and len(saved) <= MAX_SAVED_CHARS else []
        except (TypeError, ValueError, RecursionError):
            data = []
        user, store = ctx.signed_in(request), ctx.store
        if user and store:
            wanted = data.get("conversation") if isinstance(data, dict) else None
            conversation = wanted if isinstance(wanted, str) and store.owns(user.name, wanted) else None
            turns = store.turns(user.name, conversation)
            admin = user.may("admin")
            return (*_outputs(turns, ctx.docs(), conversation, True), conversation, ctx.listing(user, conversation),
                    gr.update(visible=True), _user_line(user), gr.update(visible=user.may("editor")),
                    gr.update(visible=admin), users_table(ctx.accounts) if admin and ctx.accounts else "",
                    feedback_table(ctx.accounts) if admin and ctx.accounts else "")
        return (*_outputs(restore(data)[-MAX_SAVED_TURNS:], ctx.docs()), None, gr.skip(), gr.update(visible=False),
                "", gr.update(visible=ctx.settings.allow_upload), gr.update(visible=False), "", "")

    tab.saved.change(None, inputs=[tab.saved], outputs=None, js=SAVE_JS)
    app.load(reload, inputs=[tab.saved], js=LOAD_JS,
             outputs=[*tab.views, tab.conversation, side.saved_list, side.column, side.user_line, upload_panel,
                      admin_panel, users_html, feedback_html])


def create_app(settings: Settings, assistant=None, *, engine: ChatEngine | None = None,
               accounts: Accounts | None = None, upload_folders: bool = False) -> gr.Blocks:
    """The chat app over ``assistant`` (opened from ``settings`` if not given); not yet served.

    With ``accounts`` (the department's server), a signed-in user's conversations are saved
    server-side and their role decides the upload panel. ``upload_folders``: the server moves
    each upload into its user's folder (``uploads.claim``), and the panel takes files from there
    only; else from Gradio's upload folder, as Gradio checks.

    Raises what ``Assistant.open`` raises (e.g. IndexMissingError) before any Gradio object exists.
    The theme is applied by :func:`launch`; mounted elsewhere, the app keeps Gradio's default.
    """
    ctx = _Context(settings, engine or ChatEngine(settings, assistant), accounts, upload_folders)
    # delete_cache: uploads (copied into the corpus) and exports leave Gradio's folder within two hours
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        tab = _Tab()
        header = _header_panel(ctx)
        admin = _Admin(ctx) if accounts is not None else None  # at the top: an admin's tools, not the page's end
        with gr.Row(equal_height=False, elem_id="main-row"):
            side = _Sidebar(ctx, tab)
            with gr.Column(scale=3, min_width=320, elem_id="talk-col"):
                talk = _ChatPanel(ctx, tab)
                export = _Export(ctx, tab)
                history = _Timeline(ctx)
                k, backend = _settings_panel(ctx, talk.box)
                upload = _Upload(ctx) if ctx.uploads else None
            with gr.Column(scale=2, min_width=320, elem_id="sources-col"):
                sources = _sources_panel()
        # a panel this app does not have: a stand-in output, with nothing to show or hide
        upload_panel = upload.panel if upload else gr.State(None)
        admin_panel, users_html, feedback_html = ((admin.panel, admin.users_html, admin.feedback_html) if admin
                                                  else (gr.State(None), gr.State(None), gr.State(None)))

        tab.show(talk.chatbot, sources)
        side.wire(export, new_conversation=talk.clear)
        export.wire()
        history.wire()
        talk.wire(export, side.saved_list, k, backend, header)
        if upload:
            upload.wire(header)
        if admin:
            admin.wire()
        _restore_on_load(app, ctx, tab, side, upload_panel, admin_panel, users_html, feedback_html)
    return app


def launch(settings: Settings, assistant=None, *, host: str | None = None, port: int | None = None,
           share: bool = False, block: bool = True, quiet: bool = False) -> gr.Blocks:
    """Serve the chat on ``host:port`` (127.0.0.1:7860 by default); no public link unless ``share``."""
    app = create_app(settings, assistant)
    host, port = host or settings.host, port or settings.port
    app.queue(default_concurrency_limit=4)
    try:
        # subtle: Gradio's /upload endpoint exists even when uploads are off: bound it either way.
        app.launch(server_name=host, server_port=port, share=share, prevent_thread_lock=not block, quiet=quiet,
                   theme=theme(), show_error=False, footer_links=[], inbrowser=False,
                   max_file_size=f"{settings.max_file_mb:g}mb")
    except OSError as exc:  # Gradio's own message names its environment variables, not our flags
        raise ConfigError(f"cannot serve the chat on {host}:{port}: the port is taken or the address is not local",
                          hint="is it already running? choose another port with --port") from exc
    return app
