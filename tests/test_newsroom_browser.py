"""The newsroom in Chromium: a department's server (its own process) with ``feeds_every`` set to
a few seconds; an admin follows a feed of a loopback news site in the chat, the schedule
fetches it, and its articles are answered with their outlet. The audit says who added the
feed and what the fetch brought."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import servers
from newsites import Sites
from servers import PASSWORDS, Server, run

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")

TIMEOUT = 90_000
ADMIN = "quan"
SCHEDULE = {"ASSISTANT_FEEDS_EVERY": "4s", "ASSISTANT_FEEDS_TIMEOUT": "2", "ASSISTANT_FEEDS_DELAY": "0.05",
            "ASSISTANT_FEEDS_RETRIES": "0"}


@pytest.fixture(scope="module")
def sites():
    s = Sites()
    yield s
    s.close()


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory):
    server = servers.department(tmp_path_factory.mktemp("newsroom"), servers.GUNMA, ADMIN, SCHEDULE)
    yield server
    server.stop()


def _sign_in(page, server: Server) -> None:
    page.goto(f"{server.url}/login", wait_until="domcontentloaded")
    page.fill("input[name=name]", ADMIN)
    page.fill("input[name=password]", PASSWORDS[ADMIN][1])
    page.click("button[type=submit]")
    servers.loaded(page)


def _audit(server: Server) -> str:
    return run("users", "audit", "--limit", "100", env=server.env).stdout


def test_an_admin_follows_a_feed_in_the_chat_and_the_schedule_makes_it_answerable(browser, newsroom, sites,
                                                                                   tmp_path):
    shots = Path(os.environ.get("DESK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="vi-VN")
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    try:
        _sign_in(page, newsroom)
        page.click("#admin-panel button, #admin-panel .label-wrap")
        page.click("#feeds-admin button, #feeds-admin .label-wrap")
        sync_api.expect(page.locator("#feeds")).to_contain_text("Chưa theo dõi nguồn tin nào")
        sync_api.expect(page.locator("#feeds-schedule")).to_contain_text("mỗi 4s")
        page.fill("#feed-url input", "ftp://khong-duoc")
        page.click("#feed-add")
        sync_api.expect(page.locator("#feed-status")).to_contain_text("http:// hoặc https://")
        page.fill("#feed-url input", f"{sites.a_url}/atom.xml")
        page.fill("#feed-name input", "Tin Khánh Hòa")
        page.click("#feed-add")
        sync_api.expect(page.locator("#feed-status")).to_contain_text("Đã theo dõi")
        sync_api.expect(page.locator("#feeds")).to_contain_text(f"{sites.a_url}/atom.xml")

        deadline = time.monotonic() + 240  # the schedule fetches (every 4 s), then builds on 2 cores
        while "Tin Khánh Hòa: 2 new articles" not in _audit(newsroom):
            assert time.monotonic() < deadline, _audit(newsroom)
            time.sleep(2)
        audit = _audit(newsroom)
        assert "added feed" in audit and ADMIN in audit and "lịch lấy tin" in audit

        servers.ask(page, "Khánh Hòa có bao nhiêu dự án đầu tư nước ngoài còn hiệu lực?")
        sync_api.expect(page.locator("#chat")).to_contain_text("312")
        sync_api.expect(page.locator("#sources")).to_contain_text("Báo Phú Yên")  # the card names the outlet
        # the table shows the last result when the panel is opened again (a later, unchanged fetch)
        while "Tin Khánh Hòa: unchanged" not in _audit(newsroom):
            assert time.monotonic() < deadline, _audit(newsroom)
            time.sleep(1)
        page.click("#feeds-admin button, #feeds-admin .label-wrap")
        page.click("#feeds-admin button, #feeds-admin .label-wrap")
        sync_api.expect(page.locator("#feeds")).to_contain_text("Tin Khánh Hòa: không có bài mới")
        page.locator("#admin-panel").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "feeds-admin.png"), full_page=True)
        # removing it keeps its articles
        page.fill("#feed-name input", "Tin Khánh Hòa")
        page.click("#feed-remove")
        sync_api.expect(page.locator("#feed-status")).to_contain_text("Đã bỏ theo dõi")
        assert "removed feed" in _audit(newsroom)
        docs = run("docs", "list", *newsroom.where, env=newsroom.env).stdout
        assert "Khánh Hòa có 312 dự án FDI còn hiệu lực" in docs
    finally:
        ctx.close()


def test_the_timeline_view_lists_a_partnerships_events_oldest_first_with_downloads(browser, newsroom, tmp_path):
    shots = Path(os.environ.get("DESK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="vi-VN", accept_downloads=True)
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    try:
        _sign_in(page, newsroom)
        page.click("#timeline-panel button, #timeline-panel .label-wrap")
        page.fill("#timeline-subject input", "Binh Dinh")  # typed without diacritics
        page.fill("#timeline-partner input", "Gunma")
        page.click("#timeline-make")
        view = page.locator("#timeline-view")
        sync_api.expect(view).to_contain_text("Dòng thời gian: Bình Định")
        text = view.inner_text()
        first = text.find("«Năm 2019, tỉnh Bình Định đã ký biên bản ghi nhớ với tỉnh Gunma")
        second = text.find("«Năm 2023, tỉnh Bình Định và tỉnh Gunma (Nhật Bản) đã nâng số học viên")
        assert 0 < first < second, text  # every event once, oldest first, each with its quote and its article
        assert text.count("350 người") == 1 and "baobinhdinh.vn, 10/05/2019" in text and "vov.vn, 02/08/2023" in text
        sync_api.expect(page.locator("#timeline-docx")).to_be_visible()
        with page.expect_download() as got:
            page.click("#timeline-docx")
        saved = tmp_path / got.value.suggested_filename
        got.value.save_as(saved)
        assert saved.suffix == ".docx" and saved.stat().st_size > 5000
        page.locator("#timeline-panel").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "timeline-view.png"), full_page=True)
        page.locator("#timeline-since input").fill("2024")
        page.locator("#timeline-until input").fill("2020")
        page.click("#timeline-make")
        sync_api.expect(view).to_contain_text("Không lập được")
    finally:
        ctx.close()
