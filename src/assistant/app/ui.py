"""The Gradio chat: an adapter over :class:`~assistant.chat.ChatEngine` and ``chatview``.

``create_app(settings)`` builds the app without serving it; ``launch(...)`` serves it. This
is the only module that imports Gradio. Everything the user reads is Vietnamese.

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
from datetime import date, datetime
from pathlib import Path
from string import Template
from typing import Any

from ..briefing import briefing_stem
from ..config import Settings
from ..errors import AssistantError, BackendError, ConfigError
from ..store.disk import built_label
from ..vietnamese import clean_input
from . import static
from .accounts import AccountError, Accounts
from .chat import ChatEngine, available_backends, backend_label
from .chatview import (
    Turn,
    answers_of,
    chat_messages,
    common_backend,
    coverage,
    inert,
    last_answer_markdown,
    restore,
    sources_html,
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

NOTHING_TO_EXPORT = ("Chưa có câu trả lời nào để xuất bản tin. "
                     "Hãy đặt ít nhất một câu hỏi, rồi bấm «Xuất bản tin» lần nữa.")
EXPORT_FAILED = ("Xin lỗi, chưa soạn được bản tin do lỗi ngoài dự kiến. Vui lòng thử lại; "
                 "nếu lỗi lặp lại, hãy báo cho quản trị viên.")

# subtle: no web fonts. The default theme asks Google Fonts for Inter, which never arrives on
# an offline machine; these local fonts all carry Vietnamese diacritics.
FONTS = ["Segoe UI", "Roboto", "Helvetica Neue", "Arial", "Liberation Sans", "DejaVu Sans", "sans-serif"]
MONO = ["Consolas", "Liberation Mono", "DejaVu Sans Mono", "monospace"]

CSS = static.read("chat.css")
# One delegated listener for the whole page: the chat bubbles are re-rendered on every turn.
NAVIGATE_JS = static.read("cite-links.js")
COPY_JS = static.read("copy.js")
LOAD_JS = Template(static.read("load.js")).substitute(storage_key=STORAGE_KEY)
SAVE_JS = Template(static.read("save.js")).substitute(storage_key=STORAGE_KEY)
CONFIRM_DELETE_JS = static.read("confirm-delete.js")
CONFIRM_REMOVE_USER_JS = static.read("confirm-remove-user.js")


def theme() -> Any:
    return gr.themes.Soft(primary_hue="blue", neutral_hue="slate", font=FONTS, font_mono=MONO)


def _header(engine: ChatEngine) -> str:
    cov = coverage(engine.index.documents, engine.index.manifest)
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
    return chat_messages(turns), sources_html(turns, documents), turns, last_answer_markdown(turns), saved


ROLE_WORDS = {"reader": "người đọc", "editor": "biên tập viên", "admin": "quản trị viên"}


def users_table(accounts: Accounts) -> str:
    """The accounts, for an admin: name, role, API keys, created."""
    rows = "".join(
        f"<tr><td>{inert(u.name)}</td><td>{ROLE_WORDS[u.role]}</td><td>{u.keys}</td>"
        f"<td>{datetime.fromtimestamp(u.created).strftime('%d/%m/%Y')}</td></tr>" for u in accounts.list())
    return ('<table class="users"><thead><tr><th>Tên đăng nhập</th><th>Vai trò</th><th>Khoá API</th>'
            f"<th>Ngày tạo</th></tr></thead><tbody>{rows}</tbody></table>")


def _user_line(user) -> str:
    return (f'<div class="user-line"><p>Đăng nhập: <b>{inert(user.name)}</b> · {ROLE_WORDS.get(user.role, "")} · '
            '<a href="logout" id="logout">Đăng xuất</a></p></div>')


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
        lines.append(f"- {inert(Path(p.source).name)} — {STATUS_WORDS[p.status]}{why}")
    for copy, article in (report.build.copies if report.build else ()):
        lines.append(f"- {inert(copy)} trùng nội dung với {inert(article)}: ghi nhận là một nơi đăng khác của bài đó")
    if report.build is not None:
        lines += ["", "**Đã cập nhật chỉ mục: có thể hỏi ngay về các tài liệu mới.**"]
    return "\n".join(lines)


def create_app(settings: Settings, assistant=None, *, engine: ChatEngine | None = None,
               accounts: Accounts | None = None) -> gr.Blocks:
    """The chat app over ``assistant`` (opened from ``settings`` if not given); not yet served.

    With ``accounts`` (the department's server), a signed-in user's conversations are saved
    server-side and their role decides the upload panel.

    Raises what ``Assistant.open`` raises (e.g. IndexMissingError) before any Gradio object exists.
    The theme is applied by :func:`launch`; mounted elsewhere, the app keeps Gradio's default.
    """
    engine = engine or ChatEngine(settings, assistant)
    backends = available_backends(settings)
    store = Conversations(accounts) if accounts is not None else None
    uploads = settings.allow_upload or accounts is not None

    def signed_in(request: gr.Request | None):
        """The signed-in User, or None (no accounts: one person on their own machine)."""
        name = getattr(request, "username", None) if request is not None else None
        return accounts.user(name) if name and accounts is not None else None

    def docs() -> dict:
        return engine.index.documents

    def listing(user, current: str | None):
        choices = [(c.title, c.id) for c in store.list(user.name)] if user and store else []
        return gr.update(choices=choices, value=current if any(v == current for _, v in choices) else None)

    def respond(message: str, turns: list[Turn], k: float, backend: str, conversation: str | None,
                request: gr.Request):
        user = signed_in(request)
        history = list(turns or [])
        first = True
        for turn, partial in engine.stream(message, history, int(k), backend):
            box = "" if first else gr.skip()
            first = False
            if partial is not None:
                yield chat_messages(history, pending=turn, partial=partial), gr.skip(), gr.skip(), gr.skip(), \
                    gr.skip(), box, gr.skip(), gr.skip()
            else:
                history.append(turn)
                if user and store:
                    conversation = store.add_turn(user.name, conversation, turn)
                yield (*_outputs(history, docs(), conversation, bool(user)), box, conversation,
                       listing(user, conversation))

    def export(turns: list[Turn], topic: str, folder: str | None):
        """status, Markdown download, Word download, export folder: the session as a briefing."""
        answers = answers_of(turns or [])
        if not answers:
            return NOTHING_TO_EXPORT, gr.update(visible=False), gr.update(visible=False), folder
        fresh = None
        try:
            from ..briefing import assemble, write_briefing

            topic = " ".join(clean_input(topic or "").split())[:TOPIC_CHARS]
            today = date.today()
            b = assemble([("", answers)], engine.index.documents, topic=topic, written=today,
                         built_at=built_label(engine.index.manifest),
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

    def reset_export(folder: str | None):
        _remove(folder)
        return "", gr.update(value=None, visible=False), gr.update(value=None, visible=False), None

    def reload(saved: str, request: gr.Request):
        """Every view, the open conversation, the sidebar, the user line and the upload panel."""
        try:  # the browser's copy of the conversation: bounded, and never trusted
            data = json.loads(saved) if isinstance(saved, str) and len(saved) <= MAX_SAVED_CHARS else []
        except (TypeError, ValueError, RecursionError):
            data = []
        user = signed_in(request)
        if user and store:
            wanted = data.get("conversation") if isinstance(data, dict) else None
            conversation = wanted if isinstance(wanted, str) and store.owns(user.name, wanted) else None
            turns = store.turns(user.name, conversation)
            admin = user.may("admin")
            return (*_outputs(turns, docs(), conversation, True), conversation, listing(user, conversation),
                    gr.update(visible=True), _user_line(user), gr.update(visible=user.may("editor")),
                    gr.update(visible=admin), users_table(accounts) if admin else "")
        return (*_outputs(restore(data)[-MAX_SAVED_TURNS:], docs()), None, gr.skip(), gr.update(visible=False),
                "", gr.update(visible=settings.allow_upload), gr.update(visible=False), "")

    def manage(action: str, name: str, role: str, password: str, request: gr.Request):
        """status, user table, cleared password: one change to the accounts, by an admin only."""
        user = signed_in(request)
        if not (user and user.may("admin")):
            return "Chỉ quản trị viên mới quản lý được người dùng.", gr.skip(), ""
        if action not in ("add", "role", "passwd", "key", "remove"):  # a cancelled confirmation
            return gr.skip(), gr.skip(), gr.skip()
        name = clean_input(name or "").strip()
        try:
            if not name:
                raise AccountError("no name", "Hãy nhập tên đăng nhập.")
            if action in ("remove", "role") and name == user.name:
                raise AccountError("not oneself", "Không thể tự xoá hoặc tự đổi vai trò của chính mình.")
            if action == "add":
                accounts.add(name, password or "", role)
                text = f"Đã thêm **{inert(name)}** ({ROLE_WORDS[role]})."
            elif action == "role":
                accounts.set_role(name, role)
                text = f"**{inert(name)}** giờ là {ROLE_WORDS[role]}."
            elif action == "passwd":
                accounts.set_password(name, password or "")
                text = f"Đã đặt mật khẩu mới cho **{inert(name)}**; các phiên đăng nhập của họ đã kết thúc."
            elif action == "key":
                key = accounts.new_key(name)  # letters, digits, "-" and "_" only
                text = (f"Khoá API mới của **{inert(name)}** (chỉ hiện một lần, hãy lưu lại): "
                        f'<code id="new-key">{key}</code>')
            else:
                accounts.remove(name)
                text = f"Đã xoá **{inert(name)}** cùng khoá API và các hội thoại đã lưu của họ."
        except AccountError as exc:
            text = f"Không thực hiện được: {inert(exc.vi)}"
        log.info("user management by %s: %s %s", user.name, action, name)
        return text, users_table(accounts), ""

    def reopen(conversation: str | None, request: gr.Request):
        user = signed_in(request)
        if not (user and store and isinstance(conversation, str) and store.owns(user.name, conversation)):
            return (*_outputs([], docs(), None, bool(user)), None)
        return (*_outputs(store.turns(user.name, conversation), docs(), conversation, True), conversation)

    def start_new(request: gr.Request):
        user = signed_in(request)
        return (*_outputs([], docs(), None, bool(user)), None, listing(user, None))

    def rename(conversation: str | None, title: str, request: gr.Request):
        user = signed_in(request)
        if user and store and conversation:
            store.rename(user.name, conversation, clean_input(title or "")[:TOPIC_CHARS])
        return listing(user, conversation), ""

    def delete(conversation: str | None, request: gr.Request):
        user = signed_in(request)
        if not conversation:  # nothing open, or the confirmation was cancelled
            return tuple(gr.skip() for _ in range(7))
        if user and store:
            store.delete(user.name, conversation)
        return (*_outputs([], docs(), None, bool(user)), None, listing(user, None))

    def upload(files, request: gr.Request, progress=gr.Progress(track_tqdm=True)):  # noqa: B008 - Gradio's idiom
        """status, header, cleared file box: add the files, then answer from them."""
        paths = [f if isinstance(f, str) else getattr(f, "name", str(f)) for f in (files or [])]
        user = signed_in(request)
        if not (user.may("editor") if user else settings.allow_upload):
            return "Tài khoản của bạn không có quyền thêm tài liệu (cần quyền biên tập viên).", gr.skip(), None
        if not paths:
            return "Chưa chọn tệp nào.", gr.skip(), gr.skip()
        progress(0, desc="Đang đọc và lập chỉ mục")
        try:
            report = engine.add_files(paths, show_progress=True)
        except Exception as exc:  # an upload never takes the chat down
            log.exception("adding %d uploaded files failed", len(paths))
            why = inert(str(exc)) if isinstance(exc, AssistantError) else "lỗi ngoài dự kiến"
            return f"Không thêm được tài liệu ({why}). Vui lòng thử lại.", gr.skip(), None
        return _added(report), _header(engine), None

    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        turns = gr.State([])
        conversation = gr.State(None)  # the open saved conversation's id (signed in)
        folder = gr.State(None, delete_callback=_remove)  # this tab's latest export, removed with the tab
        saved = gr.Textbox(visible="hidden", elem_id="chat-store")
        copy_text = gr.Textbox(visible="hidden", elem_id="copy-text")
        header = gr.HTML(_header(engine), head=f"<style>\n{CSS}</style>")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=220, visible=False, elem_id="sidebar") as sidebar:
                user_line = gr.HTML("", elem_classes=["user-line"])
                new_btn = gr.Button("+ Cuộc hội thoại mới", size="sm", elem_id="new-conversation")
                saved_list = gr.Radio([], label="Hội thoại đã lưu", elem_id="conversations", interactive=True)
                with gr.Accordion("Đổi tên / xoá hội thoại đang mở", open=False, elem_id="manage"):
                    new_title = gr.Textbox(show_label=False, placeholder="Tên mới", lines=1, max_lines=1,
                                           max_length=TOPIC_CHARS, elem_id="rename-title")
                    with gr.Row():
                        rename_btn = gr.Button("Đổi tên", size="sm", elem_id="rename")
                        delete_btn = gr.Button("Xoá", size="sm", variant="stop", elem_id="delete")
            with gr.Column(scale=3, min_width=420):
                chatbot = gr.Chatbot(
                    elem_id="chat", label="Hội thoại", height=600, buttons=[], latex_delimiters=[],
                    feedback_options=None, layout="bubble",
                    placeholder="**Đặt câu hỏi về công tác đối ngoại của các địa phương.**<br>"
                                "Câu trả lời trích nguyên văn từ bài viết, kèm nguồn.",
                )
                with gr.Row(equal_height=True):
                    box = gr.Textbox(
                        elem_id="question", show_label=False, scale=6, lines=1, max_lines=6, autofocus=True,
                        placeholder="Nhập câu hỏi, ví dụ: Sở Ngoại vụ Hà Nội được thành lập khi nào?",
                    )
                    send = gr.Button("Gửi", variant="primary", scale=1, min_width=90, elem_id="send")
                with gr.Row():
                    copy = gr.Button("Sao chép kèm trích dẫn", size="sm", elem_id="copy")
                    clear = gr.Button("Cuộc hội thoại mới", size="sm", elem_id="clear")
                with gr.Row(equal_height=True, elem_id="export-row"):
                    topic = gr.Textbox(
                        label="Chủ đề bản tin", show_label=False, container=False, elem_id="brief-topic", scale=3,
                        lines=1, max_lines=1, max_length=TOPIC_CHARS,
                        placeholder="Chủ đề bản tin (không bắt buộc), ví dụ: Đối ngoại Hải Phòng",
                    )
                    export_btn = gr.Button("Xuất bản tin", size="sm", elem_id="export", scale=1, min_width=120)
                status = gr.Markdown("", elem_id="export-status")
                with gr.Row():
                    dl_md = gr.DownloadButton("Tải bản tin Markdown (.md)", size="sm", visible=False,
                                              elem_id="dl-md")
                    dl_docx = gr.DownloadButton("Tải bản tin Word (.docx)", size="sm", visible=False,
                                                elem_id="dl-docx")
                gr.Examples([[q] for q in EXAMPLES], inputs=[box], label="Câu hỏi mẫu")
                with gr.Accordion("Cài đặt", open=False):
                    k = gr.Slider(1, 20, value=settings.k, step=1, label="Số đoạn văn tham khảo (k)",
                                  info="Số đoạn văn tìm được đưa vào để soạn câu trả lời.")
                    backend = gr.Dropdown(
                        [(backend_label(b), b) for b in backends], value=backends[0],
                        label="Cách soạn câu trả lời", visible=len(backends) > 1, elem_id="backend",
                    )
                if uploads:
                    with gr.Accordion("Thêm tài liệu vào kho", open=False, elem_id="upload-panel",
                                      visible=settings.allow_upload) as upload_panel:
                        files = gr.File(label="Kéo thả bài báo (.html), PDF, Word (.docx), .txt, .md",
                                        file_count="multiple", file_types=UPLOAD_TYPES, elem_id="upload-files")
                        add_btn = gr.Button("Thêm vào kho", size="sm", elem_id="upload-add")
                        add_status = gr.Markdown("", elem_id="upload-status")
                if accounts is not None:
                    with gr.Accordion("Quản lý người dùng", open=False, visible=False,
                                      elem_id="admin-panel") as admin_panel:
                        users_html = gr.HTML("", elem_id="users")
                        with gr.Row():
                            admin_name = gr.Textbox(label="Tên đăng nhập", max_lines=1, elem_id="admin-name")
                            admin_role = gr.Dropdown([(w, r) for r, w in ROLE_WORDS.items()], value="reader",
                                                     label="Vai trò", elem_id="admin-role")
                            admin_password = gr.Textbox(label="Mật khẩu (ít nhất 8 ký tự)", type="password",
                                                        max_lines=1, elem_id="admin-password")
                        with gr.Row():
                            admin_buttons = {
                                "add": gr.Button("Thêm người dùng", size="sm", elem_id="admin-add"),
                                "role": gr.Button("Đổi vai trò", size="sm", elem_id="admin-role-set"),
                                "passwd": gr.Button("Đặt mật khẩu mới", size="sm", elem_id="admin-passwd"),
                                "key": gr.Button("Tạo khoá API", size="sm", elem_id="admin-key"),
                                "remove": gr.Button("Xoá người dùng", size="sm", variant="stop",
                                                    elem_id="admin-remove"),
                            }
                        admin_status = gr.Markdown("", elem_id="admin-status")
            with gr.Column(scale=2, min_width=320):
                gr.Markdown("### Nguồn trích dẫn", elem_id="sources-title")
                sources = gr.HTML(sources_html([]), elem_id="sources", js_on_load=NAVIGATE_JS, max_height=660)
        if not uploads:
            upload_panel = gr.State(None)  # a stand-in output: no panel to show or hide
        if accounts is None:
            admin_panel, users_html, admin_buttons = gr.State(None), gr.State(None), {}

        views = [chatbot, sources, turns, copy_text, saved]
        # subtle: one shared concurrency group, so several tabs are answered at once (ChatEngine
        # serialises the pipeline steps); Gradio's default would queue each tab behind the others.
        ask = {"fn": respond, "inputs": [box, turns, k, backend, conversation],
               "outputs": [*views, box, conversation, saved_list],
               "concurrency_limit": 4, "concurrency_id": "ask", "show_progress": "hidden"}
        copy.click(None, inputs=[copy_text], outputs=None, js=COPY_JS)
        fresh = {"fn": start_new, "outputs": [*views, conversation, saved_list]}
        for trigger in (clear.click, chatbot.clear, new_btn.click):
            trigger(**fresh).then(reset_export, inputs=[folder], outputs=[status, dl_md, dl_docx, folder])
        saved_list.input(reopen, inputs=[saved_list], outputs=[*views, conversation]).then(
            reset_export, inputs=[folder], outputs=[status, dl_md, dl_docx, folder])
        rename_btn.click(rename, inputs=[conversation, new_title], outputs=[saved_list, new_title])
        new_title.submit(rename, inputs=[conversation, new_title], outputs=[saved_list, new_title])
        delete_btn.click(delete, inputs=[conversation], outputs=[*views, conversation, saved_list],
                         js=CONFIRM_DELETE_JS)
        exports = [status, dl_md, dl_docx, folder]
        export_btn.click(export, inputs=[turns, topic, folder], outputs=exports, concurrency_limit=2,
                         concurrency_id="export")
        topic.submit(export, inputs=[turns, topic, folder], outputs=exports, concurrency_limit=2,
                     concurrency_id="export")
        for trigger in (box.submit, send.click):  # a new question makes an earlier export stale: hide it first
            trigger(reset_export, inputs=[folder], outputs=exports, show_progress="hidden").then(**ask)
        if uploads:
            add_btn.click(upload, inputs=[files], outputs=[add_status, header, files], concurrency_limit=1,
                          concurrency_id="upload")
        for action, button in admin_buttons.items():
            confirm = CONFIRM_REMOVE_USER_JS if action == "remove" else None
            button.click(manage, inputs=[gr.State(action), admin_name, admin_role, admin_password],
                         outputs=[admin_status, users_html, admin_password], js=confirm)
        saved.change(None, inputs=[saved], outputs=None, js=SAVE_JS)
        app.load(reload, inputs=[saved], js=LOAD_JS,
                 outputs=[*views, conversation, saved_list, sidebar, user_line, upload_panel, admin_panel, users_html])
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
