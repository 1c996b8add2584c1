"""What the server tests share: ``assistant`` run as users run it, a department's server in its
own process, Gradio's upload and event calls over HTTP, and a signed-in page's steps in a
browser (tests/test_hostile_server.py, tests/test_server_browser.py, tests/test_cluster.py)."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from conftest import ROOT, free_port

PAGE_TIMEOUT = 90_000  # ms, a browser page's waits: a build after an upload on a busy 2-core machine

PASSWORDS = {"quan": ("admin", "admin-pass-1"), "bien": ("editor", "editor-pass-1"), "doc": ("reader", "reader-pass-1")}


def run(*args: str, env: dict | None = None, timeout: float = 300, stdin: str | None = None
        ) -> subprocess.CompletedProcess:
    """``assistant ARGS`` in a new process, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "assistant", *args], check=False, capture_output=True, text=True,
                          timeout=timeout, input=stdin, env={**os.environ, **(env or {})}, cwd=ROOT)


class Server:
    """``assistant chat`` over a corpus copy, in its own process."""

    def __init__(self, base: Path, port: int | None = None, database_url: str = "") -> None:
        self.base, self.port = base, port or free_port()
        self.corpus, self.index, self.data = base / "corpus", base / "index", base / "data"
        self.database_url = database_url  # "" = data/assistant.db
        self.env = {"ASSISTANT_DATA_DIR": str(self.data), "ASSISTANT_DATABASE_URL": database_url}
        self.where = ["--corpus", str(self.corpus), "--index", str(self.index)]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Server:
        self.log = (self.base / f"server-{self.port}.log").open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "assistant", "chat", *self.where, "--port", str(self.port)],
                                     env={**os.environ, **self.env}, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.base / f"server-{self.port}.log").read_text()
            try:
                httpx.get(f"{self.url}/login", timeout=2)
                return self
            except httpx.HTTPError:
                time.sleep(0.3)
        raise AssertionError("the server did not start")

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(30)
            self.log.close()

    def client(self, name: str | None = None) -> httpx.Client:
        c = httpx.Client(base_url=self.url, timeout=120)
        if name:
            r = c.post("/login", data={"name": name, "password": PASSWORDS[name][1]})
            assert r.status_code == 303, r.text
        return c


def gradio_call(c: httpx.Client, api: str, data: list, session: str | None = None) -> tuple[str, object]:
    """One call of a Gradio event handler by its API name: ``(event, data)`` of its last message."""
    r = c.post(f"/gradio_api/call/{api}", json={"data": data, "session_hash": session})
    r.raise_for_status()
    stream = c.get(f"/gradio_api/call/{api}/{r.json()['event_id']}").text
    event, payload = "", None
    for line in stream.splitlines():
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            payload = json.loads(line[6:])
    return event, payload


def upload(c: httpx.Client, files: dict[str, bytes]) -> tuple[str, object]:
    """Files through Gradio's /upload, then the panel's "Thêm vào kho" with what it stored."""
    r = c.post("/gradio_api/upload", files=[("files", (name, data)) for name, data in files.items()])
    r.raise_for_status()
    stored = [{"path": p, "orig_name": name, "meta": {"_type": "gradio.FileData"}} for p, name in zip(r.json(), files)]
    return gradio_call(c, "upload", [stored])


def status(data: object) -> str:
    """The upload panel's status line, as the user reads it."""
    return html.unescape(json.dumps(data, ensure_ascii=False))


def article(place: str, figure: str) -> str:
    return (f"{place} ký kết hợp tác với đối tác nước ngoài\n\n"
            f"Ngày 3/4/2024, {place} đã ký biên bản ghi nhớ hợp tác, theo đó hai bên thống nhất {figure}. "
            f"Lãnh đạo {place} cho biết đây là bước tiến quan trọng trong quan hệ đối ngoại của địa phương.\n")


# --- invented dated articles ---------------------------------------------------------------
# one partnership whose figures changed from year to year (tests/test_filters.py, test_desk_browser.py)
GUNMA = {
    "gunma_2019.txt": ("Bình Định và Gunma hợp tác đào tạo nghề năm 2019",
                       ("Năm 2019, tỉnh Bình Định đã ký biên bản ghi nhớ với tỉnh Gunma (Nhật Bản) về đào tạo nghề. "
                        "Theo biên bản, 120 học viên của Bình Định được sang Gunma học nghề điều dưỡng."),
                       {"date": "2019-05-10", "outlet": "baobinhdinh.vn", "localities": ["Bình Định"]}),
    "gunma_2023.txt": ("Bình Định mở rộng hợp tác với Gunma",
                       ("Năm 2023, tỉnh Bình Định và tỉnh Gunma (Nhật Bản) đã nâng số học viên học nghề điều dưỡng "
                        "lên 350 người mỗi năm, theo thỏa thuận mới ký tại Maebashi."),
                       {"date": "2023-08-02", "outlet": "vov.vn", "localities": ["Bình Định"]}),
}


def write_corpus(corpus: Path, articles: dict[str, tuple[str, str, dict]]) -> Path:
    """``articles`` (file name -> title, text, metadata fields) as a corpus folder with its metadata.json."""
    corpus.mkdir(parents=True, exist_ok=True)
    meta = {}
    for name, (title, text, fields) in articles.items():
        (corpus / name).write_text(f"{title}\n{text}\n", encoding="utf-8")
        meta[name] = {"title": title, **fields}
    (corpus / "metadata.json").write_text(json.dumps({"articles": meta}, ensure_ascii=False), encoding="utf-8")
    return corpus


def department(base: Path, articles: dict[str, tuple[str, str, dict]], admin: str,
               env: dict[str, str] | None = None) -> Server:
    """A department's server over ``articles``, indexed, with ``admin`` (of PASSWORDS) as its admin, started."""
    write_corpus(base / "corpus", articles)
    server = Server(base)
    server.env.update(env or {})
    done = run("index", *server.where, env=server.env)
    assert done.returncode == 0, done.stderr
    role, password = PASSWORDS[admin]
    done = run("users", "add", admin, "--role", role, "--password-stdin", env=server.env, stdin=password + "\n")
    assert done.returncode == 0, done.stderr
    return server.start()


# --- a signed-in page in a browser --------------------------------------------------------
def new_context(browser):
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="vi-VN")
    ctx.set_default_timeout(PAGE_TIMEOUT)
    return ctx


def loaded(page) -> None:
    page.wait_for_selector("#question textarea")
    page.wait_for_selector("#sidebar .user-line b")  # the load event ran: signed in, sidebar filled


def ask(page, question: str) -> None:
    before = page.locator("#chat .source-line").count()
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function("n => document.querySelectorAll('#chat .source-line').length > n", arg=before)
    page.wait_for_function("q => [...document.querySelectorAll('#conversations label')]"
                           ".some(l => l.innerText.includes(q))", arg=question[:40])


def titles(page) -> list[str]:
    return [t.strip() for t in page.locator("#conversations label").all_inner_texts()]
