"""Campaigns against a running department server (``assistant chat`` with accounts, in its own
process, over real HTTP on loopback); prints what it counted.

    python bench/hostile_server.py                   # every campaign
    python bench/hostile_server.py --only logins --logins 200

1. logins: ``--logins`` wrong passwords on one name at once (the right one in the middle),
   then as many with a forged X-Forwarded-For each. Counted: attempts checked (not 429).
2. uploads: an editor's Gradio calls naming server files, or another editor's uploads, as FileData
   (accepted must be 0);
   crafted files (a DOCX bomb, XML 300 deep, HTML nested 100,000 deep, a 3,000-page PDF):
   time and the server's memory; hostile names (245 bytes, dot names, "../", look-alike
   Unicode); the same name five times with other content (five articles must be answerable).
3. upload kills: ``--kills`` times an upload starts and the server is killed (-9) during its
   build; after a restart the same upload is repeated. Counted: uploads never answerable (must
   be 0), leftover ``.partial-*`` folders, and whether the live index loads.
4. two servers over one data folder: uploads on one, time until the other answers from them.
5. mixed load: 14 clients ask for ``--seconds`` while an editor uploads and ``assistant index``
   runs from the shell. Counted: errors, p50/p95 answer time.

Runs on a copy of the mini corpus in a temporary folder.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from assistant.app.accounts import Accounts

USERS = {"quan": ("admin", "admin-pass-1"), "bien": ("editor", "editor-pass-1"), "doc": ("reader", "reader-pass-1")}
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assistant(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, check=False,
                          env={**ENV, **(env or {})}, cwd=ROOT, timeout=900)


class Server:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.where = ["--corpus", str(base / "corpus"), "--index", str(base / "index")]
        self.env = {"ASSISTANT_DATA_DIR": str(base / "data")}
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.port = free_port()
        log = (self.base / f"server-{self.port}.log").open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "assistant", "chat", *self.where, "--port", str(self.port)],
                                     env={**ENV, **self.env}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/login", timeout=2)
                return self
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)

    def rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except (OSError, AttributeError):
            pass
        return 0.0

    def client(self, name: str | None = None) -> httpx.Client:
        c = httpx.Client(base_url=self.url, timeout=600)
        if name:
            c.post("/login", data={"name": name, "password": USERS[name][1]})
        return c


def setup(work: Path) -> Server:
    base = work / f"server-{time.monotonic_ns()}"
    shutil.copytree(ROOT / "tests" / "data" / "mini", base / "corpus")
    srv = Server(base)
    assert assistant("index", *srv.where, env=srv.env).returncode == 0
    accounts = Accounts(base / "data")
    for name, (role, password) in USERS.items():
        accounts.add(name, password, role)
    return srv


def call(c: httpx.Client, api: str, data: list) -> str:
    r = c.post(f"/gradio_api/call/{api}", json={"data": data})
    if r.status_code != 200:
        return f"http {r.status_code}"
    events = [line[7:] for line in c.get(f"/gradio_api/call/{api}/{r.json()['event_id']}").text.splitlines()
              if line.startswith("event: ")]
    return events[-1] if events else "none"


def upload(c: httpx.Client, files: dict[str, bytes]) -> str:
    r = c.post("/gradio_api/upload", files=[("files", (n, d)) for n, d in files.items()])
    if r.status_code != 200:
        return f"http {r.status_code}"
    stored = [{"path": p, "orig_name": n, "meta": {"_type": "gradio.FileData"}} for p, n in zip(r.json(), files)]
    return call(c, "upload", [stored])


def article(place: str, figure: str) -> bytes:
    return (f"{place} ký kết hợp tác với đối tác nước ngoài\n\nNgày 3/4/2024, {place} đã ký biên bản ghi nhớ "
            f"hợp tác, theo đó hai bên thống nhất {figure}.\n").encode()


def answers(c: httpx.Client, question: str, figure: str) -> bool:
    r = c.post("/api/v1/search", json={"question": question, "k": 10})
    return r.status_code == 200 and figure in r.text


# --- 1 ---------------------------------------------------------------------------------------
def logins(work: Path, n: int) -> dict:
    srv = setup(work).start()
    try:
        def attempt(password: str, headers: dict | None = None, name: str = "doc") -> int:
            with httpx.Client(base_url=srv.url, timeout=120) as c:
                return c.post("/login", data={"name": name, "password": password}, headers=headers or {}).status_code

        passwords = ["wrong-pass"] * n
        passwords[n // 2] = USERS["doc"][1]
        with ThreadPoolExecutor(64) as pool:
            codes = list(pool.map(attempt, passwords))
        time.sleep(1)
        forged = [attempt("wrong-pass", {"X-Forwarded-For": f"198.51.100.{i % 250}"}, "bien") for i in range(n)]
        return {"parallel attempts": n, "checked (not 429)": sum(c != 429 for c in codes),
                "right password accepted in burst": codes[n // 2] == 303,
                "forged-address attempts (another name)": n, "forged checked": sum(c != 429 for c in forged)}
    finally:
        srv.stop()


# --- 2 ---------------------------------------------------------------------------------------
def docx_bytes(document_xml: bytes) -> bytes:
    from docx import Document

    buf = io.BytesIO()
    Document().save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            z.writestr(info.filename, document_xml if info.filename == "word/document.xml" else zin.read(info))
    return out.getvalue()


def big_pdf(pages: int) -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    for _ in range(pages):
        w.add_blank_page(200, 200)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def uploads(work: Path) -> dict:
    srv = setup(work).start()
    out: dict = {}
    try:
        editor = srv.client("bien")
        before = sorted(p.name for p in (srv.base / "corpus").iterdir())
        paths = ["/etc/passwd", "/etc/hostname", str(ROOT / "README.md"), str(srv.base / "index" / "CURRENT"),
                 str(srv.base / "data" / "assistant.db"), "../../../../etc/passwd", "/proc/self/environ",
                 str(srv.base / "corpus" / "a_danang.txt")]
        events = [call(editor, "upload", [[{"path": p, "meta": {"_type": "gradio.FileData"}}]]) for p in paths]
        after = sorted(p.name for p in (srv.base / "corpus").iterdir())
        out["FileData naming server files"] = len(paths)
        out["  accepted"] = sum(e == "complete" for e in events) + (after != before)
        admin, theirs = srv.client("quan"), []  # another user's uploads, handed in by path
        for i in range(8):
            r = editor.post("/gradio_api/upload", files=[("files", (f"cua-bien-{i}.txt", article("Tây Ninh", f"mở {i} cửa khẩu")))])
            theirs += r.json()
        handed = [call(admin, "upload", [[{"path": p, "meta": {"_type": "gradio.FileData"}}]]) for p in theirs]
        taken = sum(1 for p in (srv.base / "corpus").iterdir() if p.name.startswith("cua-bien-"))
        out["another editor's uploads handed in by path"] = f"{len(handed)}, {taken} taken"
        ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
        crafted = {
            "bom.docx": docx_bytes(f"<w:document xmlns:w='{ns}'><w:body><w:p><w:r><w:t>".encode() + b"a" * 10**9
                                   + b"</w:t></w:r></w:p></w:body></w:document>"),
            "sau.docx": docx_bytes(f"<w:document xmlns:w='{ns}'><w:body>".encode() + b"<w:p>" * 300 + b"</w:p>" * 300
                                   + b"</w:body></w:document>"),
            "long-nhau.html": b"<html><body>" + b"<div>" * 100_000 + "Đà Nẵng".encode() + b"</div>" * 100_000
                              + b"</body></html>",
            "3000-trang.pdf": big_pdf(3000),
        }
        for name, data in crafted.items():
            t0 = time.perf_counter()
            event = upload(editor, {name: data})
            out[f"crafted {name} ({len(data) / 1e6:.1f} MB)"] = f"{event}, {time.perf_counter() - t0:.1f} s"
        out["server peak RSS after crafted files"] = f"{srv.rss_mb():.0f} MB"
        t0 = time.perf_counter()
        upload(editor, {"nho.txt": article("Hội An", "mở 12 lớp tiếng Nhật")})
        out["a small .txt upload afterwards"] = f"{time.perf_counter() - t0:.1f} s"
        names = {"bai-" + "dai" * 80 + ".txt": article("Cà Mau", "nuôi 70 ha tôm"), ".an.txt": article("Sa Pa", "đón 40 đoàn"),
                 "..%2F..%2Fthoat.txt": article("Bạc Liêu", "xây 5 nhà máy gió"),
                 "аdmin.txt": article("Kon Tum", "trồng 900 ha sâm")}
        ok = sum(upload(editor, {n: d}) == "complete" for n, d in names.items())
        reader = srv.client("doc")
        found = sum(answers(reader, q, f) for q, f in [("Cà Mau nuôi bao nhiêu ha tôm", "70 ha tôm"),
                                                       ("Sa Pa đón bao nhiêu đoàn", "40 đoàn"),
                                                       ("Bạc Liêu xây bao nhiêu nhà máy gió", "5 nhà máy"),
                                                       ("Kon Tum trồng bao nhiêu ha sâm", "900 ha sâm")])
        out["hostile names uploaded / answerable"] = f"{ok} / {found} of {len(names)}"
        out["  corpus files outside the corpus folder"] = sum(
            1 for p in srv.base.rglob("*thoat*") if p.parent != srv.base / "corpus")
        same = [(f"Tỉnh Số {i}", f"trồng {100 + i} ha chè") for i in range(5)]
        for place, figure in same:
            upload(editor, {"index.html": b"<html><body><p>" + article(place, figure) + b"</p></body></html>"})
        out["same name x5: answerable"] = sum(answers(reader, f"{p} trồng bao nhiêu ha chè", f) for p, f in same)
    finally:
        srv.stop()
    return out


# --- 3 ---------------------------------------------------------------------------------------
def _quietly(fn, *args) -> None:
    """``fn(*args)``, its connection cut by the kill: that is the point."""
    try:
        fn(*args)
    except httpx.HTTPError:
        pass


def upload_kills(work: Path, n: int, seed: int) -> dict:
    rng = random.Random(seed)
    srv = setup(work)
    lost = loads = 0
    for i in range(n):
        srv.start()
        name, figure = f"tinh-{i}.txt", f"đón {300 + i} đoàn khách"
        data = article(f"Tỉnh Thử {i}", figure)
        editor = srv.client("bien")
        worker = threading.Thread(target=_quietly, args=(upload, editor, {name: data}), daemon=True)
        worker.start()
        time.sleep(rng.uniform(0.2, 3.0))
        srv.kill()
        srv.start()
        upload(srv.client("bien"), {name: data})
        if not answers(srv.client("doc"), f"Tỉnh Thử {i} đón bao nhiêu đoàn khách", figure):
            lost += 1
        srv.stop()
        loads += assistant("search", "Đà Nẵng", *srv.where, env=srv.env).returncode == 0
    partial = len(list((srv.base / "index").glob(".partial-*")))
    return {"kills during an upload's build": n, "uploads never answerable": lost,
            "index loads after each": f"{loads} of {n}", ".partial-* folders left": partial}


# --- 4 ---------------------------------------------------------------------------------------
def two_servers(work: Path, rounds: int) -> dict:
    a = setup(work).start()
    b = Server(a.base).start()
    waits, missed = [], 0
    try:
        for i in range(rounds):
            src, dst = (a, b) if i % 2 == 0 else (b, a)
            figure = f"mở {20 + i} văn phòng"
            upload(src.client("bien"), {f"hai-may-{i}.txt": article(f"Vùng Hai {i}", figure)})
            t0, reader = time.monotonic(), dst.client("doc")
            while not answers(reader, f"Vùng Hai {i} mở bao nhiêu văn phòng", figure):
                if time.monotonic() - t0 > 60:
                    missed += 1
                    break
                time.sleep(0.2)
            else:
                waits.append(time.monotonic() - t0)
    finally:
        a.stop()
        b.stop()
    return {"uploads on one, asked on the other": rounds, "never seen": missed,
            "seconds until seen (median / max)": f"{statistics.median(waits):.1f} / {max(waits):.1f}" if waits else "-"}


# --- 5 ---------------------------------------------------------------------------------------
def mixed(work: Path, seconds: float) -> dict:
    srv = setup(work).start()
    questions = ["Đà Nẵng có quan hệ với bao nhiêu địa phương nước ngoài?", "Cần Thơ hợp tác với đối tác nào?",
                 "Quảng Ninh thu hút bao nhiêu vốn FDI?"]
    times: list[float] = []
    errors = 0
    codes: dict[int, int] = {}
    stop = time.monotonic() + seconds
    try:
        def client_loop(k: int) -> None:
            nonlocal errors
            c = srv.client("doc")
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                r = c.post("/api/v1/ask", json={"question": questions[k % len(questions)]})
                times.append(time.perf_counter() - t0)
                errors += r.status_code != 200
                codes[r.status_code] = codes.get(r.status_code, 0) + 1

        threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(14)]
        for t in threads:
            t.start()
        time.sleep(seconds / 4)
        upload(srv.client("bien"), {"tron.txt": article("Long An", "xây 3 cảng cạn")})
        reindex = assistant("index", *srv.where, env=srv.env).returncode
        for t in threads:
            t.join()
    finally:
        srv.stop()
    times.sort()
    return {"clients": 14, "answers": len(times), "errors": errors, "status codes": codes, "shell index exit": reindex,
            "p50 / p95 s": f"{times[len(times) // 2]:.2f} / {times[int(len(times) * 0.95)]:.2f}" if times else "-"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["logins", "uploads", "kills", "two", "mixed"])
    ap.add_argument("--logins", type=int, default=100)
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="hostile-server-") as tmp:
        work = Path(tmp)
        if args.only in (None, "logins"):
            results["logins"] = logins(work, args.logins)
        if args.only in (None, "uploads"):
            results["upload abuse"] = uploads(work)
        if args.only in (None, "kills"):
            results["kill -9 during an upload's build"] = upload_kills(work, args.kills, args.seed)
        if args.only in (None, "two"):
            results["two servers on one data folder"] = two_servers(work, args.rounds)
        if args.only in (None, "mixed"):
            results["mixed load"] = mixed(work, args.seconds)
    print(f"\n# bench/hostile_server.py — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores")
    for name, counts in results.items():
        print(f"\n{name}:")
        for key, value in counts.items():
            print(f"  {key:44} {json.dumps(value, ensure_ascii=False) if isinstance(value, bool) else value}")


if __name__ == "__main__":
    main()
