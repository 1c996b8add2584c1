"""The analyst's desk in Chromium: a department's server (its own process, signed in as an
admin) over invented dated articles, at 1,440 px and 390 px, light and dark.

Every test saves screenshots (the session's temporary folder, or $DESK_SHOTS when set): the
quoted highlight's contrast in both themes, the first screen at phone width, a citation
opened in place, a refusal's nearest passages, the rich-text copy, the export's choice, a 👎
that becomes a fixture, the library, a date filter.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

import servers
from servers import PASSWORDS, run

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")

TIMEOUT = 90_000
ARTICLES = {
    **servers.GUNMA,
    "quangtri_2021.txt": ("Quảng Trị hợp tác với Savannakhet về y tế",
                          ("Năm 2021, tỉnh Quảng Trị đã ký thỏa thuận với tỉnh Savannakhet (Lào), theo đó Quảng Trị "
                           "hỗ trợ 15 bác sĩ cho bệnh viện tỉnh Savannakhet."),
                          {"date": "2021-11-20", "outlet": "baoquangtri.vn"}),
}
GUNMA = "Bao nhiêu học viên Bình Định được sang Gunma học nghề điều dưỡng?"
SAVANNAKHET = "Quảng Trị hỗ trợ bao nhiêu bác sĩ cho Savannakhet?"
NOT_COVERED = "Ai là Chủ tịch tỉnh Gunma?"
ADMIN = "quan"


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    server = servers.department(tmp_path_factory.mktemp("desk"), ARTICLES, ADMIN)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ["DESK_SHOTS"]) if os.environ.get("DESK_SHOTS") else tmp_path_factory.mktemp("desk-shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _page(browser, desk, width: int = 1440, scheme: str = "light", clipboard: bool = False):
    ctx = browser.new_context(viewport={"width": width, "height": 844 if width < 600 else 1000}, locale="vi-VN",
                              color_scheme=scheme)
    ctx.set_default_timeout(TIMEOUT)
    if clipboard:
        ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=desk.url)
    page = ctx.new_page()
    page.goto(f"{desk.url}/login", wait_until="domcontentloaded")
    page.fill("input[name=name]", ADMIN)
    page.fill("input[name=password]", PASSWORDS[ADMIN][1])
    page.click("button[type=submit]")
    page.wait_for_selector("#question textarea")
    page.wait_for_selector("#sidebar .user-line b")  # the load event ran: signed in
    return ctx, page


def _ask(page, question: str) -> None:
    done = "#chat .source-line, #chat .refused, #chat .notice"
    before = page.locator(done).count()
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length > n", arg=[done, before])


def _luminance(css: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"[\d.]+", css)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(fg: str, bg: str) -> float:
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1440, 390])
def test_readable_in_both_themes_and_usable_at_phone_width(browser, desk, shots, scheme, width):
    ctx, page = _page(browser, desk, width, scheme)
    try:
        assert page.evaluate("document.documentElement.lang") == "vi"
        box = page.locator("#question textarea").bounding_box()
        assert box is not None and box["y"] + box["height"] <= page.viewport_size["height"]  # the first screen
        page.screenshot(path=str(shots / f"first-screen-{scheme}-{width}.png"))
        _ask(page, GUNMA)
        page.wait_for_timeout(600)  # the chat's own scroll to the new answer has ended, as for a reader
        link = page.locator("#chat a.cite").first
        scrolled = page.evaluate("window.scrollY")
        link.click()
        if width < 600:  # opened under the sentence, the page not moved, and closed again
            card = page.locator("#chat .cite-inline")
            card.wait_for(state="visible")
            assert page.evaluate("window.scrollY") == scrolled
            sync_api.expect(card.locator(".cite-close")).to_be_in_viewport()
        else:  # the sources panel beside the chat shows it
            card = page.locator(f"#{link.get_attribute('href').lstrip('#')}")
            page.wait_for_function("id => document.getElementById(id).classList.contains('active')",
                                   arg=link.get_attribute("href").lstrip("#"))
        mark = card.locator("mark").first
        colours = mark.evaluate("m => [getComputedStyle(m).color, getComputedStyle(m).backgroundColor]")
        assert _contrast(*colours) >= 4.5, colours
        page.screenshot(path=str(shots / f"citation-{scheme}-{width}.png"))
        if width < 600:
            card.locator(".cite-close").click()
            sync_api.expect(page.locator("#chat .cite-inline")).to_have_count(0)
            link.click()  # [n] again opens it, and once more closes it
            sync_api.expect(page.locator("#chat .cite-inline")).to_have_count(1)
            link.click()
            sync_api.expect(page.locator("#chat .cite-inline")).to_have_count(0)
    finally:
        ctx.close()


def test_a_refusal_shows_the_nearest_passages(browser, desk, shots):
    ctx, page = _page(browser, desk)
    try:
        _ask(page, NOT_COVERED)
        near = page.locator("#chat .refused details.nearest")
        sync_api.expect(near).to_have_count(1)
        near.locator("summary").click()
        items = near.locator("li")
        assert items.count() >= 1 and "Gunma" in items.first.inner_text()
        page.screenshot(path=str(shots / "refusal-nearest.png"))
    finally:
        ctx.close()


def test_copy_puts_rich_text_with_the_sources_on_the_clipboard(browser, desk):
    ctx, page = _page(browser, desk, clipboard=True)
    try:
        _ask(page, SAVANNAKHET)
        page.click("#copy")
        page.wait_for_function("document.querySelector('#copy').textContent.includes('Đã sao chép')")
        got = page.evaluate("""async () => {
            const out = {};
            for (const item of await navigator.clipboard.read())
                for (const type of item.types) out[type] = await (await item.getType(type)).text();
            return out; }""")
        assert "<b>Câu hỏi:</b>" in got["text/html"] and "<sup>[1]</sup>" in got["text/html"]
        assert "<b>Nguồn:</b>" in got["text/html"] and "Quảng Trị hợp tác với Savannakhet" in got["text/html"]
        assert got["text/plain"].startswith("**Câu hỏi:**")  # and Markdown for plain-text editors
    finally:
        ctx.close()


def test_export_takes_the_answers_chosen_under_the_headings_as_edited(browser, desk, shots):
    ctx, page = _page(browser, desk)
    try:
        _ask(page, GUNMA)
        _ask(page, SAVANNAKHET)
        page.locator("#export-choose > button").first.click()
        pick = page.locator("#export-pick label")
        sync_api.expect(pick).to_have_count(2)
        pick.first.click()  # the first answer left out
        page.fill("#export-headings textarea", "Đào tạo nghề\nHợp tác y tế với Lào")
        page.click("#export")
        page.wait_for_selector("#dl-md", state="visible")
        page.screenshot(path=str(shots / "export-choose.png"))
        with page.expect_download() as got:
            page.click("#dl-md")
        md = Path(got.value.path()).read_text(encoding="utf-8")
        assert "Hợp tác y tế với Lào" in md and "15 bác sĩ" in md
        assert "Đào tạo nghề" not in md and "học viên" not in md
    finally:
        ctx.close()


def test_a_thumbs_down_with_a_correction_becomes_a_fixture_eval_runs(browser, desk, shots, tmp_path):
    ctx, page = _page(browser, desk)
    try:
        _ask(page, GUNMA)
        page.locator('#chat button[aria-label="Câu trả lời chưa đúng"]').last.click()
        page.wait_for_selector("#feedback-panel", state="visible")
        page.fill("#feedback-note textarea", "cần số mới nhất, năm 2023")
        page.fill("#feedback-correct textarea, #feedback-correct input", "350 người")
        page.click("#feedback-source input")
        page.locator("[role=option]", has_text="Bình Định mở rộng hợp tác với Gunma").click()
        page.click("#feedback-send")
        page.wait_for_function("document.querySelector('#feedback-status').innerText.includes('Đã lưu góp ý')")
        page.screenshot(path=str(shots / "feedback.png"))
    finally:
        ctx.close()
    out = tmp_path / "gop-y.jsonl"
    done = run("feedback", "export", "-o", str(out), *desk.where, env=desk.env)
    assert done.returncode == 0, done.stderr
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    mine = next(i for i in items if i["question"] == GUNMA)
    assert mine["accept"] == ["350 người"] and mine["sources"] == ["gunma_2023.txt"]
    assert "cần số mới nhất" in mine["note"]
    checked = run("eval", "--check", str(out), *desk.where)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    evaluated = run("eval", str(out), "--no-baselines", *desk.where)
    assert evaluated.returncode == 0, evaluated.stderr


def test_a_date_filter_changes_which_article_answers(browser, desk, shots):
    ctx, page = _page(browser, desk)
    try:
        page.locator("#filter-panel > button").first.click()
        page.fill("#filter-since input", "2019")
        page.fill("#filter-until input", "2020")
        _ask(page, GUNMA)
        answer = page.locator('#chat [data-testid="bot"]').last.inner_text()
        assert "120" in answer and "350" not in answer and "Chỉ tìm trong các bài viết đăng từ 01/01/2019" in answer
        page.fill("#filter-since input", "2023")
        page.fill("#filter-until input", "")
        _ask(page, GUNMA)
        answer = page.locator('#chat [data-testid="bot"]').last.inner_text()
        assert "350" in answer and "120" not in answer
        page.screenshot(path=str(shots / "date-filter.png"))
    finally:
        ctx.close()


def test_the_library_lists_deletes_and_replaces_and_a_deleted_article_is_answered_no_more(browser, desk, shots,
                                                                                           tmp_path):
    ctx, page = _page(browser, desk)
    other_ctx, other = _page(browser, desk)  # another analyst's page, open before the deletion
    page.on("dialog", lambda d: d.accept())
    try:
        page.locator("#upload-panel > button").first.click()
        page.locator("#library > button").first.click()
        table = page.locator("#library-table table tbody tr")
        sync_api.expect(table).to_have_count(3)
        page.fill("#library-search input", "quang tri")  # diacritics optional
        sync_api.expect(table).to_have_count(1)
        page.screenshot(path=str(shots / "library.png"))
        page.click("#library-doc input")
        page.locator("[role=option]", has_text="Quảng Trị hợp tác với Savannakhet").click()
        page.click("#library-delete")
        page.wait_for_function("document.querySelector('#library-status').innerText.includes('Đã xoá')")
        _ask(page, SAVANNAKHET)
        assert "15 bác sĩ" not in page.locator('#chat [data-testid="bot"]').last.inner_text()
        assert "3 bài viết" in other.inner_text("#coverage")
        _ask(other, GUNMA)  # the other page's header follows the index at its next answer
        assert "2 bài viết" in other.inner_text("#coverage")
        # a new version of the 2019 article replaces it
        page.fill("#library-search input", "")
        page.click("#library-doc input")
        page.locator("[role=option]", has_text="Bình Định và Gunma hợp tác đào tạo nghề").click()
        new = tmp_path / "gunma_2019_sua.txt"
        new.write_text("Bình Định và Gunma hợp tác đào tạo nghề năm 2019\nNăm 2019, tỉnh Bình Định đã ký biên bản "
                       "ghi nhớ với tỉnh Gunma (Nhật Bản), theo đó 125 học viên của Bình Định được sang Gunma học "
                       "nghề điều dưỡng.\n", encoding="utf-8")
        page.locator("#library-file input[type=file]").set_input_files(str(new))
        page.wait_for_timeout(500)
        page.click("#library-replace")
        page.wait_for_function("document.querySelector('#library-status').innerText.includes('Đã thay')")
        page.screenshot(path=str(shots / "library-replaced.png"), full_page=True)
        _ask(page, "Năm 2019 bao nhiêu học viên Bình Định được sang Gunma học nghề điều dưỡng?")
        answer = page.locator('#chat [data-testid="bot"]').last.inner_text()
        assert "125" in answer and "120 học viên" not in answer
    finally:
        ctx.close()
        other_ctx.close()
    listed = run("docs", "list", "--json", *desk.where, env=desk.env)
    ids = {json.loads(line)["id"] for line in listed.stdout.splitlines()}
    assert "quangtri_2021" not in ids and "gunma_2019" not in ids and "gunma_2019_sua" in ids


def test_the_admin_panel_is_at_the_top_and_a_user_is_picked_not_typed(browser, desk, shots):
    ctx, page = _page(browser, desk)
    try:
        panel, chat = page.locator("#admin-panel"), page.locator("#main-row")
        assert panel.bounding_box()["y"] < chat.bounding_box()["y"]  # above the chat, not at the page's end
        page.click("#admin-panel button, #admin-panel .label-wrap")
        page.click("#admin-pick input")
        page.locator("[role=option]", has_text=f"{ADMIN} (quản trị viên)").click()
        sync_api.expect(page.locator("#admin-name input")).to_have_value(ADMIN)
        page.screenshot(path=str(shots / "admin.png"))
    finally:
        ctx.close()
