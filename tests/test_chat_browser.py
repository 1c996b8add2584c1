"""End to end: the real chat app on a loopback port, driven by headless Chromium via Playwright.

Screenshots go to the session's temporary folder; with UPDATE_DOCS_SCREENSHOT=1 the first test
also refreshes docs/chat.png (the picture in the README).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from briefing_checks import check_docx, check_markdown
from conftest import free_port

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[1]
HAI_PHONG = "Sở Ngoại vụ Hải Phòng được thành lập khi nào?"
HA_NOI = "Sở Ngoại vụ Hà Nội được thành lập khi nào?"
DA_NANG = "Ai đang là Giám đốc Sở Ngoại vụ Đà Nẵng?"  # the corpus does not say
TIMEOUT = 90_000  # ms; answers take a few seconds, more on a loaded CI machine



def _serve(settings, assistant):
    from assistant.app import ui

    port = free_port()
    app = ui.launch(settings, assistant, host="127.0.0.1", port=port, block=False, quiet=True)
    return app, f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def chat_url(seed_settings, seed_assistant):
    app, url = _serve(seed_settings, seed_assistant)
    yield url
    app.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="vi-VN")
    ctx.set_default_timeout(TIMEOUT)
    yield ctx
    ctx.close()


def _open(context, url):
    page = context.new_page()
    # subtle: wait for elements, not for network idle: Gradio keeps a connection open
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#question textarea")
    page.wait_for_function("document.querySelector('#coverage') !== null")
    return page


def _ask(page, question: str, answers_before: int | None = None):
    """Type ``question``, send it, wait until its answer (not the streaming draft) is shown."""
    done = page.locator("#chat .source-line, #chat .notice, #chat .refused")
    before = done.count() if answers_before is None else answers_before
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(
        "n => document.querySelectorAll('#chat .source-line, #chat .notice, #chat .refused').length > n", arg=before
    )


def _bot_messages(page) -> list[str]:
    return page.locator('#chat [data-testid="bot"]').all_inner_texts()


def _cite_in_view(page, link):
    """Click a citation link; return the source card it points to, once it is highlighted."""
    target = link.get_attribute("href").lstrip("#")
    link.click()
    card = page.locator(f"#{target}")
    card.wait_for(state="visible")
    page.wait_for_function("id => document.getElementById(id).classList.contains('active')", arg=target)
    return card


def test_answer_with_a_clickable_citation(context, chat_url, tmp_path_factory):
    page = _open(context, chat_url)
    assert "5 bài viết" in page.inner_text("#coverage") and "chỉ mục lập lúc" in page.inner_text("#coverage")

    _ask(page, HAI_PHONG)
    answer = _bot_messages(page)[-1]
    assert "26/11/2004" in answer and "Nguồn:" in answer
    links = page.locator("#chat a.cite")
    assert links.count() >= 2

    card = _cite_in_view(page, links.nth(1))  # [2]: lower in the panel, so it must be scrolled to
    sync_api.expect(card).to_be_in_viewport()
    quote = card.locator("mark").inner_text()
    assert quote and quote in answer  # the highlighted sentence is the one the answer quotes
    assert "Sở Ngoại vụ Hải Phòng" in card.locator(".src-title").inner_text()

    # a follow-up, to show the rewritten question in the picture as well
    _ask(page, "Còn Hà Nội thì sao?")
    card = _cite_in_view(page, page.locator("#chat a.cite").last)
    sync_api.expect(card).to_be_in_viewport(ratio=1)  # the smooth scroll has ended
    page.mouse.move(0, 0)
    shot = tmp_path_factory.mktemp("screens") / "chat.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    if os.environ.get("UPDATE_DOCS_SCREENSHOT"):
        shutil.copy(shot, ROOT / "docs" / "chat.png")


def test_follow_up_is_rewritten_and_citations_survive_later_turns_and_reload(context, chat_url):
    page = _open(context, chat_url)
    _ask(page, HAI_PHONG)
    _ask(page, "Còn Hà Nội thì sao?")
    assert f"Câu hỏi được hiểu là: «{HA_NOI}»" in page.inner_text("#chat")
    assert "17/12/1996" in _bot_messages(page)[-1]

    first_turn_link = page.locator('#chat [data-testid="bot"]').first.locator("a.cite").first
    card = _cite_in_view(page, first_turn_link)
    assert "26/11/2004" in card.inner_text() or "1955" in card.inner_text()  # still the Hải Phòng source

    page.reload(wait_until="domcontentloaded")
    page.wait_for_selector("#chat a.cite")
    assert len(_bot_messages(page)) == 2
    assert f"Câu hỏi được hiểu là: «{HA_NOI}»" in page.inner_text("#chat")
    card = _cite_in_view(page, page.locator('#chat [data-testid="bot"]').last.locator("a.cite").first)
    assert "17/12/1996" in card.inner_text()


def test_copy_with_citations_puts_markdown_on_the_clipboard(context, chat_url):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=chat_url.rstrip("/"))
    page = _open(context, chat_url)
    _ask(page, HA_NOI)
    page.click("#copy")
    page.wait_for_function("document.querySelector('#copy').textContent.includes('Đã sao chép')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"**Câu hỏi:** {HA_NOI}\n")
    assert "ngày 17/12/1996 về việc thành lập Sở Ngoại vụ Hà Nội. [1]" in copied
    # escaped as the briefing is: the editorial [brackets] of the title stay text when pasted
    assert "**Nguồn:**" in copied and "\n1. \\[Sở Ngoại vụ Hà Nội: 25 năm xây dựng và phát triển\\]" in copied
    assert "kinhtedothi.vn" in copied


def test_empty_and_huge_messages_get_polite_notices(context, chat_url):
    page = _open(context, chat_url)
    page.click("#send")
    page.wait_for_selector("#chat .notice")
    assert "Bạn chưa nhập câu hỏi" in page.inner_text("#chat")
    _ask(page, "Hải Phòng " * 400)
    assert "vượt quá giới hạn" in page.inner_text("#chat .notice >> nth=-1")
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error" not in body


def test_two_tabs_asking_at_once_each_get_their_own_answer(context, chat_url):
    one, two = _open(context, chat_url), _open(context, chat_url)
    one.fill("#question textarea", HAI_PHONG)
    two.fill("#question textarea", HA_NOI)
    one.click("#send")
    two.click("#send")
    for page in (one, two):
        page.wait_for_selector("#chat .source-line")
    assert "26/11/2004" in _bot_messages(one)[-1] and "17/12/1996" not in _bot_messages(one)[-1]
    assert "17/12/1996" in _bot_messages(two)[-1] and "26/11/2004" not in _bot_messages(two)[-1]
    # and each tab keeps its own conversation across a reload
    two.reload(wait_until="domcontentloaded")
    two.wait_for_selector("#chat a.cite")
    assert HA_NOI in two.inner_text("#chat") and HAI_PHONG not in two.inner_text("#chat")


def _download(page, button: str, folder: Path) -> Path:
    with page.expect_download() as info:
        page.click(button)
    download = info.value
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def test_export_the_session_as_a_cited_briefing(context, chat_url, seed_assistant, tmp_path, tmp_path_factory):
    page = _open(context, chat_url)
    assert not page.locator("#dl-md").is_visible() and not page.locator("#dl-docx").is_visible()
    _ask(page, HAI_PHONG)
    _ask(page, HA_NOI)
    _ask(page, DA_NANG)
    assert page.locator("#chat .refused").count() == 1

    topic = "Đối ngoại Hải Phòng và Hà Nội"
    page.fill("#brief-topic input", topic)
    page.click("#export")
    page.locator("#dl-docx").wait_for(state="visible")
    status = page.inner_text("#export-status")
    assert status.startswith("Đã soạn bản tin: 3 câu hỏi,") and "chú thích" in status
    assert "1 câu không có thông tin" in status

    md = _download(page, "#dl-md", tmp_path)
    docx_path = _download(page, "#dl-docx", tmp_path)
    assert re.fullmatch(r"ban-tin-doi-ngoai-hai-phong-va-ha-noi-\d{4}-\d{2}-\d{2}\.md", md.name)
    assert docx_path.name == md.name[:-3] + ".docx"
    documents = seed_assistant.index.documents
    markdown = md.read_text(encoding="utf-8")
    assert markdown.startswith(f"# Bản tin: {topic}\n") and "26/11/2004" in markdown and "17/12/1996" in markdown
    asked = [HAI_PHONG, HA_NOI, DA_NANG]
    quotes = check_markdown(markdown, documents, asked, [DA_NANG])
    assert len(quotes) >= 2 and check_docx(docx_path, documents, asked, [DA_NANG]) == quotes

    page.mouse.move(0, 0)
    shot = tmp_path_factory.mktemp("screens") / "export.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000

    _ask(page, "Hải Phòng có bao nhiêu kiều bào?")  # the briefing no longer covers the session
    page.locator("#dl-md").wait_for(state="hidden")
    page.click("#export")
    page.locator("#dl-md").wait_for(state="visible")
    assert page.inner_text("#export-status").startswith("Đã soạn bản tin: 4 câu hỏi,")

    page.click("#clear")  # a new conversation: the old briefing is no longer offered
    page.locator("#dl-md").wait_for(state="hidden")
    assert not page.locator("#dl-docx").is_visible() and not page.inner_text("#export-status").strip()


def test_export_with_nothing_answered_says_so_politely(context, chat_url):
    page = _open(context, chat_url)
    page.click("#send")  # an empty question: a notice, which is no answer
    page.wait_for_selector("#chat .notice")
    page.click("#export")
    page.wait_for_function("document.querySelector('#export-status').innerText.includes('Chưa có câu trả lời')")
    assert not page.locator("#dl-md").is_visible() and not page.locator("#dl-docx").is_visible()
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error" not in body


HOSTILE = (
    '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> '
    "[bấm vào đây](javascript:window.__pwned=3) ${window.__pwned=4} {{constructor}} **chữ đậm**"
)


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory, embedder):
    """A two-article corpus whose text and metadata try to inject HTML, Markdown and templates."""
    from assistant.config import load_settings
    from assistant.pipeline import Assistant, build_index

    base = tmp_path_factory.mktemp("hostile")
    corpus = base / "corpus"
    corpus.mkdir()
    (corpus / "lao_cai.txt").write_text(
        "Sở Ngoại vụ Lào Cai và những chặng đường\n"
        f"Sở Ngoại vụ tỉnh Lào Cai được thành lập ngày 01/10/2004 {HOSTILE}.\n"
        "Năm 2019, tỉnh Lào Cai đón 120 đoàn khách quốc tế đến thăm và làm việc.\n",
        encoding="utf-8",
    )
    (corpus / "yen_bai.txt").write_text(
        "Công tác đối ngoại Yên Bái\nSở Ngoại vụ Yên Bái được thành lập năm 2008.\n", encoding="utf-8"
    )
    meta = {"articles": {
        "lao_cai": {"title": 'Lào Cai <img src=x onerror="window.__pwned=5"> [link](javascript:window.__pwned=6)',
                    "date": "2020-05-01", "outlet": "<i>báo</i> ${window.__pwned=8}",
                    "url": "javascript:window.__pwned=7", "localities": ["Lào Cai"]},
        "yen_bai": {"title": "Yên Bái", "date": "2019-12-01", "localities": ["Yên Bái"]},
    }}
    (corpus / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    settings = load_settings(cwd=ROOT, corpus_dir=corpus, index_dir=base / "index")
    build_index(settings, embedder)
    app, url = _serve(settings, Assistant.open(settings, embedder))
    yield url
    app.close()


def test_corpus_text_cannot_inject_anything(context, hostile_url):
    page = _open(context, hostile_url)
    _ask(page, "Sở Ngoại vụ Lào Cai được thành lập khi nào?")
    card = _cite_in_view(page, page.locator("#chat a.cite").first)

    answer = _bot_messages(page)[-1]
    assert "<script>window.__pwned=1</script>" in answer  # shown as text, verbatim
    assert "[bấm vào đây](javascript:window.__pwned=3)" in answer and "**chữ đậm**" in answer
    assert "<script>window.__pwned=1</script>" in card.locator("mark").inner_text()
    assert '<img src=x onerror="window.__pwned=5">' in card.inner_text()  # the title, as text
    assert "${window.__pwned=8}" in card.inner_text()  # the outlet, not evaluated as a template

    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src='x'], #chat script, #sources script, #chat strong, #chat b").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0


@pytest.fixture(scope="module")
def upload_url(tmp_path_factory, embedder):
    """A chat over the three-article mini corpus with allow_upload on."""
    from assistant.config import load_settings
    from assistant.pipeline import Assistant, build_index

    base = tmp_path_factory.mktemp("upload")
    shutil.copytree(ROOT / "tests" / "data" / "mini", base / "corpus")
    settings = load_settings(cwd=ROOT, corpus_dir=base / "corpus", index_dir=base / "index", allow_upload=True)
    build_index(settings, embedder)
    app, url = _serve(settings, Assistant.open(settings, embedder))
    yield url, base
    app.close()


def test_files_dropped_into_the_chat_are_answerable_at_once(context, upload_url, tmp_path):
    from PIL import Image

    url, base = upload_url
    page_html = (ROOT / "tests" / "data" / "formats" / "quang-nam-champasak.html").read_text(encoding="utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "quang-nam-champasak.html").write_text(page_html, encoding="utf-8")
    (inbox / "ban-tin-lao-viet.html").write_text(
        page_html.replace("Báo Điện tử Miền Trung", "Báo Tin tức Lào Việt")
        .replace("baomientrung.example.vn", "laoviet.example.la")
        .replace("2024-03-15T08:30:00+07:00", "2024-03-16T07:00:00+07:00"), encoding="utf-8")
    Image.new("RGB", (300, 400), "white").save(inbox / "cong-van-scan.pdf", format="PDF")

    page = _open(context, url)
    assert "3 bài viết" in page.inner_text("#coverage")
    page.click("#upload-panel button, #upload-panel .label-wrap")
    page.locator("#upload-files input[type=file]").set_input_files(sorted(str(p) for p in inbox.iterdir()))
    page.wait_for_function("document.querySelectorAll('#upload-files .file-name, #upload-files tr').length >= 3")
    page.click("#upload-add")
    page.wait_for_function("(document.querySelector('#upload-status') || {}).innerText?.includes('Đã cập nhật chỉ mục')")
    status = page.inner_text("#upload-status")
    assert "cong-van-scan.pdf — bỏ qua: PDF không có lớp chữ" in status
    assert "ban-tin-lao-viet trùng nội dung với quang-nam-champasak" in status
    page.wait_for_function("document.querySelector('#coverage').innerText.includes('4 bài viết')")
    assert sorted(p.name for p in (base / "corpus").glob("*.html")) == ["ban-tin-lao-viet.html",
                                                                         "quang-nam-champasak.html"]

    _ask(page, "Quảng Nam cấp bao nhiêu suất học bổng cho sinh viên Champasak mỗi năm?")
    assert "25" in _bot_messages(page)[-1]
    card = page.locator("#sources .src-card").first
    meta = card.locator(".src-meta").inner_text()
    assert "Báo Điện tử Miền Trung" in meta and "cũng đăng trên: Báo Tin tức Lào Việt (16/03/2024)" in meta
    shot = tmp_path / "upload.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
