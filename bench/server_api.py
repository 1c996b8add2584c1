"""What the department's server adds to an answer: the HTTP API against the pipeline called directly.

    python bench/server_api.py                      # seed index (index/), development questions
    python bench/server_api.py --clients 4          # also 4 clients asking at once

Printed, all measured in this run on this machine, side by side:
- start: seconds until `assistant.app.server.start` listens (index already opened);
- warm latency p50/p95 over the development questions: `Assistant.ask` in-process,
  `POST /api/v1/ask`, `POST /v1/chat/completions` (whole, and the first streamed chunk);
- the same answers? (API JSON against in-process `ask`);
- with --clients N: N threads asking over HTTP at once, wall time and per-question p50.
Accounts are on (one user and a key), so the key check is part of every request.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from assistant.app.accounts import Accounts
from assistant.config import load_settings
from assistant.pipeline import Assistant


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"p50 {statistics.median(values) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=Path, default=ROOT.parent / "shared" / "eval" / "seed_qa_dev.jsonl")
    ap.add_argument("--clients", type=int, default=4)
    args = ap.parse_args()
    questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    data = Path(tempfile.mkdtemp(prefix="bench-server-"))
    settings = load_settings(cwd=ROOT).with_overrides(data_dir=data)
    assistant = Assistant.open(settings)
    accounts = Accounts(data)
    accounts.add("bench", "bench-pass-1")
    key = accounts.new_key("bench")[1]
    headers = {"Authorization": f"Bearer {key}"}

    from assistant.app import server

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    running = server.start(settings, assistant, host="127.0.0.1", port=port)
    print(f"server start (index already open): {time.perf_counter() - t0:.2f} s")
    client = httpx.Client(base_url=running.url, headers=headers, timeout=120)
    for q in questions[:3]:  # warm-up
        assistant.ask(q)
        client.post("api/v1/ask", json={"question": q})

    direct, api, chat, first, same = [], [], [], [], 0
    for q in questions:
        t = time.perf_counter()
        want = assistant.ask(q).to_dict()
        direct.append(time.perf_counter() - t)
        t = time.perf_counter()
        got = client.post("api/v1/ask", json={"question": q}).json()
        api.append(time.perf_counter() - t)
        same += got["answer"] == want["answer"] and \
            [c["quote"] for c in got["citations"]] == [c["quote"] for c in want["citations"]]
        body = {"model": "assistant", "messages": [{"role": "user", "content": q}]}
        t = time.perf_counter()
        client.post("v1/chat/completions", json=body).raise_for_status()
        chat.append(time.perf_counter() - t)
        t = time.perf_counter()
        with client.stream("POST", "v1/chat/completions", json={**body, "stream": True}) as r:
            seen = False
            for line in r.iter_lines():  # read to the end: the stream is not cut short
                if not seen and line.startswith("data: ") and '"content": "' in line and '"content": ""' not in line:
                    first.append(time.perf_counter() - t)
                    seen = True
    n = len(questions)
    print(f"{n} development questions, warm, one at a time:")
    print(f"  Assistant.ask in-process          {_ms(direct)}")
    print(f"  POST /api/v1/ask                  {_ms(api)}")
    print(f"  POST /v1/chat/completions         {_ms(chat)}")
    print(f"  ... streamed, first content chunk {_ms(first)}")
    print(f"  API answers equal to in-process answers: {same}/{n}")

    if args.clients > 1:
        per: list[float] = []

        def one(q: str) -> None:
            t = time.perf_counter()
            httpx.post(running.url + "api/v1/ask", json={"question": q}, headers=headers, timeout=300)
            per.append(time.perf_counter() - t)

        t = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(one, questions))
        wall = time.perf_counter() - t
        print(f"{args.clients} clients at once, {n} questions: wall {wall:.2f} s "
              f"(one at a time: {sum(api):.2f} s); per question {_ms(per)}")
    running.stop()


if __name__ == "__main__":
    main()
