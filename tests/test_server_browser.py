"""The department's server end to end: `assistant chat` as a real process (restarted mid-test),
accounts in its SQLite file, and two users in two headless Chromium contexts.

Screenshots go to the test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.app.accounts import Accounts
from conftest import free_port
from servers import ask, loaded, new_context, titles

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")

HAI_PHONG = "Sở Ngoại vụ Hải Phòng được thành lập khi nào?"
HA_NOI = "Sở Ngoại vụ Hà Nội được thành lập khi nào?"


class Server:
    """`assistant chat` in its own process, on one port, restartable."""

    def __init__(self, settings, data_dir: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.cmd = [sys.executable, "-m", "assistant.app.cli", "chat", "--corpus", str(settings.corpus_dir),
                    "--index", str(settings.index_dir), "--port", str(self.port)]
        self.env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir)}
        self.log = log
        self.proc = None

    def start(self) -> None:
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "login", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError("the server did not start in 180 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def server(seed_settings, tmp_path_factory):
    base = tmp_path_factory.mktemp("department")
    # its own copy of the seed corpus and index: an editor's upload changes them
    shutil.copytree(seed_settings.corpus_dir, base / "corpus")
    shutil.copytree(seed_settings.index_dir, base / "index")
    settings = seed_settings.with_overrides(corpus_dir=base / "corpus", index_dir=base / "index")
    data = base / "data"
    accounts = Accounts(data)
    accounts.add("lan", "secret-pass-1", "editor")
    accounts.add("minh", "secret-pass-2", "reader")
    accounts.add("hoa", "secret-pass-3", "admin")
    s = Server(settings, data, base / "server.log")
    s.start()
    yield s
    s.stop()


def _login(page, url: str, name: str, password: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("#login")  # no session: the chat sends the browser to the login page
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("#login-submit")
    loaded(page)


def _check_citation(page, year: str) -> None:
    """The conversation is shown and its [n] open their source cards, one of them holding the quote
    with ``year`` (the answer may lead with another sentence)."""
    page.wait_for_selector("#chat a.cite")
    assert year in page.locator("#chat").inner_text()
    cards = []
    links = page.locator("#chat a.cite")
    for i in range(links.count()):
        link = links.nth(i)
        target = link.get_attribute("href").lstrip("#")
        link.click()
        card = page.locator(f"#{target}")
        card.wait_for()
        page.wait_for_function("id => document.getElementById(id).classList.contains('active')", arg=target)
        cards.append(card.inner_text())
    assert any(year in text for text in cards), cards


def _reload(page) -> None:
    page.reload(wait_until="domcontentloaded")
    loaded(page)


def test_two_users_keep_their_own_conversations_across_reload_and_restart(server, browser, tmp_path):
    lan_ctx, minh_ctx = new_context(browser), new_context(browser)
    try:
        lan, minh = lan_ctx.new_page(), minh_ctx.new_page()
        _login(lan, server.url, "lan", "secret-pass-1")
        _login(minh, server.url, "minh", "secret-pass-2")
        # roles: the editor has the upload panel, the reader does not; neither manages users
        assert lan.locator("#upload-panel").is_visible()
        assert not minh.locator("#upload-panel").is_visible()
        assert not lan.locator("#admin-panel").is_visible() and not minh.locator("#admin-panel").is_visible()
        ask(lan, HAI_PHONG)
        ask(minh, HA_NOI)
        assert titles(lan) == [HAI_PHONG] and titles(minh) == [HA_NOI]
        lan.screenshot(path=str(tmp_path / "lan.png"))

        for page, year in ((lan, "2004"), (minh, "1996")):
            _reload(page)
            _check_citation(page, year)

        server.stop()
        server.start()
        for page, year, title in ((lan, "2004", HAI_PHONG), (minh, "1996", HA_NOI)):
            _reload(page)  # the session and the open conversation survive the restart
            assert titles(page) == [title]
            _check_citation(page, year)

        # a second conversation is listed first; the first reopens with one click, [n] working
        lan.click("#new-conversation")
        lan.wait_for_function("document.querySelectorAll('#chat .source-line').length === 0")
        ask(lan, HA_NOI)
        assert titles(lan) == [HA_NOI, HAI_PHONG]
        lan.locator("#conversations label", has_text=HAI_PHONG).click()
        lan.wait_for_function("() => document.querySelector('#chat').innerText.includes('2004')")
        _check_citation(lan, "2004")
        lan.screenshot(path=str(tmp_path / "lan-reopened.png"))
        _reload(minh)
        assert titles(minh) == [HA_NOI]  # nothing of lan's

        # renamed and deleted, in the sidebar
        lan.click("#manage")
        lan.fill("#rename-title input, #rename-title textarea", "Hải Phòng: thành lập Sở")
        lan.click("#rename")
        lan.wait_for_function("() => [...document.querySelectorAll('#conversations label')]"
                              ".some(l => l.innerText.includes('Hải Phòng: thành lập Sở'))")
        lan.once("dialog", lambda d: d.accept())
        lan.click("#delete")
        lan.wait_for_function("() => document.querySelectorAll('#conversations label').length === 1")
        assert titles(lan) == [HA_NOI]

        # the editor's upload goes into the index
        article = tmp_path / "binh-dinh.txt"
        article.write_text("Bình Định mở rộng hợp tác với Hàn Quốc\n05/06/2024\n"
                           "Năm 2024, tỉnh Bình Định ký biên bản ghi nhớ hợp tác với tỉnh Jeolla Nam (Hàn Quốc) "
                           "trong lĩnh vực nông nghiệp và giáo dục.\n", encoding="utf-8")
        lan.click("#upload-panel button, #upload-panel .label-wrap")
        lan.locator("#upload-files input[type=file]").set_input_files(str(article))
        lan.wait_for_function("document.querySelectorAll('#upload-files .file-name, #upload-files tr').length >= 1")
        lan.click("#upload-add")
        lan.wait_for_function("(document.querySelector('#upload-status') || {}).innerText?.includes('Đã cập nhật')")
        minh.click("#new-conversation")
        minh.wait_for_function("document.querySelectorAll('#chat .source-line').length === 0")
        ask(minh, "Bình Định ký biên bản ghi nhớ với tỉnh nào của Hàn Quốc?")
        assert "Jeolla Nam" in minh.locator("#chat").inner_text()
    finally:
        lan_ctx.close()
        minh_ctx.close()


def test_an_admin_manages_users_from_the_chat(server, browser, tmp_path):
    ctx = new_context(browser)
    try:
        page = ctx.new_page()
        _login(page, server.url, "hoa", "secret-pass-3")
        page.click("#admin-panel button, #admin-panel .label-wrap")
        page.wait_for_selector("#users table, #users .users")
        assert "minh" in page.inner_text("#users") and "quản trị viên" in page.inner_text("#users")
        page.fill("#admin-name input", "tuan")
        page.fill("#admin-password input", "secret-pass-4")
        page.click("#admin-add")
        page.wait_for_function("(document.querySelector('#admin-status') || {}).innerText?.includes('Đã thêm')")
        assert "tuan" in page.inner_text("#users")
        page.click("#admin-key")
        page.wait_for_selector("#new-key")
        key = page.inner_text("#new-key").strip()
        assert key.startswith("ak-")
        page.locator("#admin-panel").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "admin.png"))
        assert httpx.get(server.url + "v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        assert httpx.post(server.url + "login", data={"name": "tuan", "password": "secret-pass-4"}).status_code == 303
        page.fill("#admin-password input", "short")
        page.click("#admin-passwd")
        page.wait_for_function("(document.querySelector('#admin-status') || {}).innerText?.includes('8 ký tự')")
        page.once("dialog", lambda d: d.accept())
        page.click("#admin-remove")
        page.wait_for_function("() => !document.querySelector('#users').innerText.includes('tuan')")
        assert httpx.get(server.url + "v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 401
        page.fill("#admin-name input", "hoa")
        page.once("dialog", lambda d: d.accept())
        page.click("#admin-remove")  # not oneself
        page.wait_for_function("(document.querySelector('#admin-status') || {}).innerText?.includes('chính mình')")
    finally:
        ctx.close()


def test_five_wrong_passwords_lock_the_login_for_a_while(server, browser):
    ctx = new_context(browser)
    try:
        page = ctx.new_page()
        page.goto(server.url + "login", wait_until="domcontentloaded")
        for _ in range(5):
            page.fill("#name", "minh")
            page.fill("#password", "not-the-password")
            page.click("#login-submit")
            page.wait_for_selector("#login-error")
            assert "không đúng" in page.inner_text("#login-error")
        page.fill("#name", "minh")
        page.fill("#password", "secret-pass-2")  # the right one, refused while locked
        page.click("#login-submit")
        page.wait_for_selector("#login-error")
        assert "thử lại sau" in page.inner_text("#login-error")
        page.goto(server.url, wait_until="domcontentloaded")
        assert page.locator("#login").count() == 1  # still no way in
    finally:
        ctx.close()
