"""Campaigns against the index and the chat server; prints what it counted.

    python bench/hostile.py                      # all: kills, concurrent builds, chat sessions, big messages
    python bench/hostile.py --kills 30 --rounds 12 --sessions 10 --questions 20
    python bench/hostile.py --only kills

1. kill -9: ``assistant index --rebuild`` is killed ``--kills`` times, half at a random moment,
   half as soon as its new build folder appears. After each kill the live index must load
   (checksums included): the previous build, or the new one if the kill came after the switch.
   Leftover temporary builds are counted, and must be gone after the next good build.
2. concurrent builds: ``--rounds`` times the corpus changes and two ``assistant index`` start
   at once. Both must exit 0; the index must load, hold the change, and be the only build.
3. chat: a real Gradio server (this process) and ``--sessions`` gradio_client sessions asking
   ``--questions`` questions each, all at once. Every reply must equal the reply the same
   session gets when asked alone, one question at a time (no mixed citations), with 0 errors.
4. big messages: 30 messages of 1 MB to one chat session; the last reply's size and time, and
   this process's RSS, show that refused messages are not kept.
5. big files: a 2 MB article with no sentence break is indexed (time, peak memory, chunk
   lengths); a 30 MB one is named and skipped (max_file_mb).

Runs on a copy of corpus/ in a temporary folder; nothing in the checkout changes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from assistant.config import load_settings
from assistant.errors import AssistantError
from assistant.store.disk import load_index

QUESTIONS = [
    "Sở Ngoại vụ Hà Nội được thành lập khi nào?",
    "Hải Phòng có bao nhiêu kiều bào?",
    "Hải Phòng thu hút đầu tư từ bao nhiêu quốc gia?",
    "Ai là Giám đốc Sở Ngoại vụ Hải Phòng?",
    "Hải Phòng có quan hệ hợp tác với những địa phương nào của Nhật Bản?",
    "Năm 2019 các địa phương đã ký bao nhiêu thỏa thuận quốc tế?",
    "Đà Nẵng có bao nhiêu sân bay?",
    "công tác đối ngoại nhân dân",
    "So Ngoai vu Ha Noi thanh lap nam nao",
    "When was the Hanoi foreign affairs department founded?",
    "Con số đó là của năm nào?",
    "Kiều bào Hải Phòng gửi về bao nhiêu kiều hối?",
]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "assistant", *args]


def rss_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- 1. kill -9 during a build -------------------------------------------------------------
def kills(work: Path, n: int, seed: int) -> dict:
    rng = random.Random(seed)
    settings = load_settings(cwd=ROOT, corpus_dir=work / "corpus", index_dir=work / "index")
    where = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    t0 = time.perf_counter()
    subprocess.run(cli("index", *where), check=True, capture_output=True)
    full = time.perf_counter() - t0
    before = load_index(settings).path.name
    usable = same = switched = leftovers_seen = while_writing = 0
    builds_dir = settings.index_dir / "builds"
    for i in range(n):
        proc = subprocess.Popen(cli("index", "--rebuild", *where), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        if i % 2:  # at a random moment: mostly while embedding
            time.sleep(rng.uniform(0.5, full * 0.95))
        else:  # while the new build's files are being written, the narrow window that matters
            deadline = time.monotonic() + full * 3
            while proc.poll() is None and time.monotonic() < deadline:
                if any(p.name.startswith(".tmp-") for p in builds_dir.iterdir()):
                    while_writing += 1
                    break
                time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        try:
            now = load_index(settings).path.name
            usable += 1
        except AssistantError as exc:
            print(f"  kill {i + 1}: index NOT usable: {exc}")
            continue
        same += now == before
        switched += now != before  # the kill came after the atomic switch: the new build is complete
        before = now
        leftovers_seen += any(p.name.startswith(".tmp-") for p in (settings.index_dir / "builds").iterdir())
    subprocess.run(cli("index", *where), check=True, capture_output=True)
    builds = sorted(p.name for p in (settings.index_dir / "builds").iterdir())
    return {"kills": n, "kills_while_writing_the_build": while_writing, "usable_after_kill": usable,
            "previous_build_live": same, "new_complete_build_live": switched,
            "tmp_folder_present_after_kill": leftovers_seen, "builds_after_next_good_build": len(builds),
            "tmp_after_next_good_build": sum(b.startswith(".tmp-") for b in builds),
            "full_build_s": round(full, 1)}


# --- 2. two builds at once ---------------------------------------------------------------------
def concurrent(work: Path, rounds: int) -> dict:
    settings = load_settings(cwd=ROOT, corpus_dir=work / "corpus", index_dir=work / "index")
    where = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    both_ok = loads = has_change = one_build = 0
    waits = []
    for r in range(rounds):
        name = f"vong-{r}"
        (settings.corpus_dir / f"{name}.txt").write_text(
            f"Vòng {r}: tỉnh Thử Nghiệm đón đoàn khách quốc tế số {r}.\n", encoding="utf-8")
        if r:
            (settings.corpus_dir / f"vong-{r - 1}.txt").unlink()
        t0 = time.perf_counter()
        procs = [subprocess.Popen(cli("index", *where), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outs = [p.communicate() for p in procs]
        waits.append(time.perf_counter() - t0)
        both_ok += all(p.returncode == 0 for p in procs)
        for p, (_, err) in zip(procs, outs):
            if p.returncode or "Traceback" in err:
                print(f"  round {r + 1}: exit {p.returncode}: {err.strip().splitlines()[-1:]}")
        try:
            idx = load_index(settings)
        except AssistantError as exc:
            print(f"  round {r + 1}: index NOT usable: {exc}")
            continue
        loads += 1
        has_change += name in idx.documents and f"vong-{r - 1}" not in idx.documents
        one_build += [p.name for p in (settings.index_dir / "builds").iterdir()] == [idx.path.name]
    return {"rounds": rounds, "both_exit_0": both_ok, "index_loads": loads, "holds_the_change": has_change,
            "exactly_one_build": one_build, "seconds_per_round": round(sum(waits) / len(waits), 1)}


# --- 5. big files ---------------------------------------------------------------------------------
def big_files(work: Path) -> dict:
    """A 2 MB file with no sentence break is indexed; a 30 MB one is skipped by name, quickly."""
    corpus = work / "big-corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    words = ["hợp", "tác", "đầu", "tư", "thương", "mại", "giáo", "dục", "văn", "hóa", "du", "lịch", "kiều", "bào", "địa", "phương", "quốc", "tế"]
    rng = random.Random(5)
    blob = " ".join(rng.choice(words) for _ in range(400_000))[:2_000_000]
    (corpus / "khong-dau-cham.txt").write_text(blob, encoding="utf-8")
    (corpus / "rat-lon.txt").write_text((blob + " ") * 15, encoding="utf-8")
    where = ["--corpus", str(corpus), "--index", str(work / "big-index")]
    t0 = time.perf_counter()
    res = subprocess.run(cli("index", *where), check=False, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    settings = load_settings(cwd=ROOT, corpus_dir=corpus, index_dir=work / "big-index")
    idx = load_index(settings)
    blob_chunks = [c for c in idx.chunks if c.doc_id == "khong-dau-cham"]
    skipped = [ln for ln in res.stderr.splitlines() if "rat-lon.txt" in ln]
    return {"exit": res.returncode, "seconds": round(seconds, 1), "peak_rss_mb_of_children": round(rss),
            "no_break_file_mb": round(len(blob.encode()) / 1e6, 1), "its_chunks": len(blob_chunks),
            "its_longest_chunk_chars": max((len(c.text) for c in blob_chunks), default=0),
            "file_of_30_mb": skipped[0].split(": ", 1)[1][:80] if skipped else "NOT SKIPPED"}


# --- 3. and 4. the chat server ---------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _session_questions(session: int, n: int) -> list[str]:
    rng = random.Random(1000 + session)
    return [rng.choice(QUESTIONS) for _ in range(n)]


def _saved(outputs: tuple) -> str:
    """The chat's saved-conversation JSON among ``/respond``'s outputs (their order has changed
    as the chat grew: look for it, not at a position)."""
    for out in outputs:
        try:
            turns = json.loads(out) if isinstance(out, str) else None
        except ValueError:
            continue
        if isinstance(turns, list) and turns and isinstance(turns[-1], dict) and "citations" in turns[-1]:
            return out
    raise ValueError("no saved conversation among the outputs")


def _reply(saved: str) -> tuple:
    last = json.loads(saved)[-1]
    return last["question"], last["text"], tuple((c["doc_id"], c["start"], c["end"]) for c in last["citations"])


def chat(work: Path, sessions: int, per_session: int, big: int) -> dict:
    from gradio_client import Client

    from assistant.app.chat import ChatEngine
    from assistant.app.ui import launch
    from assistant.pipeline import Assistant

    settings = load_settings(cwd=ROOT, corpus_dir=work / "corpus", index_dir=work / "index")
    subprocess.run(cli("index", "--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)),
                   check=True, capture_output=True)
    assistant = Assistant.open(settings)
    # what each session must get: the same questions asked alone, one at a time
    expected = {}
    engine = ChatEngine(settings, assistant)
    for s in range(sessions):
        history = []
        for q in _session_questions(s, per_session):
            *_, (turn, _) = engine.stream(q, history)
            history.append(turn)
        expected[s] = [(t.question, t.text, tuple((c.doc_id, c.start, c.end) for c in t.citations)) for t in history]

    port = _free_port()
    app = launch(settings, assistant, port=port, block=False, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    errors, mixed, answered = [], 0, 0
    lock = threading.Lock()

    def run_session(s: int) -> None:
        nonlocal mixed, answered
        client = Client(url, verbose=False)
        for i, q in enumerate(_session_questions(s, per_session)):
            try:
                got = _reply(_saved(client.predict(q, settings.k, "extractive", api_name="/respond")))
            except Exception as exc:  # noqa: BLE001 - any failure of the server counts
                with lock:
                    errors.append(f"session {s} question {i + 1}: {type(exc).__name__}: {exc}")
                continue
            with lock:
                answered += 1
                mixed += got != expected[s][i]

    t0 = time.perf_counter()
    try:
        with ThreadPoolExecutor(sessions) as pool:
            list(pool.map(run_session, range(sessions)))
        chat_s = time.perf_counter() - t0
        rss_before = rss_mb()
        client = Client(url, verbose=False)
        sizes, seconds = [], []
        for _ in range(big):
            t1 = time.perf_counter()
            out = client.predict("Hà Nội " * 150_000, settings.k, "extractive", api_name="/respond")
            seconds.append(time.perf_counter() - t1)
            sizes.append(len(json.dumps(out, ensure_ascii=False, default=str)))
    finally:
        app.close()
    for e in errors[:5]:
        print("  " + e)
    return {"sessions": sessions, "questions_each": per_session, "replies": answered, "errors": len(errors),
            "replies_differing_from_alone": mixed, "seconds": round(chat_s, 1),
            "big_messages": big, "last_big_reply_bytes": sizes[-1] if sizes else 0,
            "last_big_reply_s": round(seconds[-1], 2) if seconds else 0,
            "rss_mb_before_big": round(rss_before), "rss_mb_after_big": round(rss_mb())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--big", type=int, default=30, help="1 MB messages sent to one chat session")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--only", choices=["kills", "concurrent", "chat", "big"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        work = Path(tmp)
        shutil.copytree(ROOT / "corpus", work / "corpus")
        results = {}
        if args.only in (None, "kills"):
            results["kill -9 during assistant index --rebuild"] = kills(work, args.kills, args.seed)
        if args.only in (None, "concurrent"):
            results["two assistant index at once"] = concurrent(work, args.rounds)
        if args.only in (None, "big"):
            results["a 2 MB file with no sentence break, a 30 MB file"] = big_files(work)
        if args.only in (None, "chat"):
            results["chat sessions at once"] = chat(work, args.sessions, args.questions, args.big)
    print(f"\n# bench/hostile.py — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores")
    for name, counts in results.items():
        print(f"\n{name}:")
        for key, value in counts.items():
            print(f"  {key:32} {value}")


if __name__ == "__main__":
    main()
