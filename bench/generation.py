"""Benchmark a generative backend over QA fixtures: latency and what the verifier did.

For each question it streams the answer through ``Assistant.ask_stream`` and records the
time to the model's first token, to the first verified text shown, and in total, plus how
many generated sentences the verifier kept, flagged and removed, whether the answer fell
back to the extractive one, and whether the shown answer contains an accepted string.

    .venv/bin/python bench/generation.py                      # llamacpp, bundled Gemma 3 270M
    .venv/bin/python bench/generation.py --limit 5 --jsonl out.jsonl
    ASSISTANT_OPENAI_MODEL=qwen2.5:3b ASSISTANT_OPENAI_BASE_URL=http://127.0.0.1:11434/v1 \\
        .venv/bin/python bench/generation.py --backend openai

Without ``--index`` the corpus is indexed into a temporary folder first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from assistant.config import load_settings
from assistant.documents import Answer
from assistant.vietnamese import fold

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "eval" / "seed_qa_dev.jsonl"


def accepted(item: dict, text: str) -> bool:
    """Contains an accepted string (for unanswerable items these are refusal phrases)."""
    low = fold(text.lower())
    return any(fold(a.lower()) in low for a in item.get("accept", []))


def run(args: argparse.Namespace) -> list[dict]:
    from assistant.pipeline import Assistant, build_index

    overrides = {"backend": args.backend, "k": args.k, "max_answer_tokens": args.max_tokens,
                 "context_tokens": args.context, "corpus_dir": args.corpus}
    if args.index:
        settings = load_settings(cwd=ROOT, index_dir=args.index, **overrides)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="bench-gen-"))
        settings = load_settings(cwd=ROOT, index_dir=tmp / "index", **overrides)
        print(f"indexing {settings.corpus_dir} into {settings.index_dir} ...", file=sys.stderr)
        build_index(settings)
    t = time.perf_counter()
    assistant = Assistant.open(settings)
    print(f"opened {args.backend} backend in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    items = [json.loads(line) for line in args.fixtures.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = []
    for item in items[: args.limit or None]:
        t0 = time.perf_counter()
        first_shown, answer = None, None
        for part in assistant.ask_stream(item["question"]):
            if isinstance(part, Answer):
                answer = part
            elif first_shown is None and part.strip():
                first_shown = time.perf_counter() - t0
        assert answer is not None
        checks = Counter(c.verdict for c in answer.verification or ())
        reasons = Counter(r.split(":")[0] for c in answer.verification or () for r in c.reasons)
        row = {
            "id": item["id"], "type": item.get("type"), "question": item["question"],
            "ttft_s": answer.timings_ms.get("first_token", 0) / 1000, "first_shown_s": first_shown,
            "total_s": time.perf_counter() - t0,
            "kept": checks["kept"], "flagged": checks["flagged"], "removed": checks["removed"],
            "reasons": dict(reasons), "fell_back": answer.backend != args.backend, "refused": answer.refused,
            "accepted": accepted(item, answer.text), "answer": answer.text, "notices": list(answer.notices),
            "checks": [c.to_dict() for c in answer.verification or ()],
        }
        row["extractive_accepted"] = accepted(item, assistant.with_backend("extractive").ask(item["question"], args.k).text)
        rows.append(row)
        print(f"{row['id']}: ttft {row['ttft_s']:.1f}s total {row['total_s']:.1f}s kept {row['kept']} "
              f"flagged {row['flagged']} removed {row['removed']}{' (extractive fallback)' if row['fell_back'] else ''}",
              file=sys.stderr)
    return rows


def summary(rows: list[dict], args: argparse.Namespace) -> str:
    def stats(key: str) -> str:
        xs = sorted(r[key] for r in rows if r[key] is not None)
        if not xs:
            return "n/a"
        p90 = xs[min(len(xs) - 1, round(0.9 * (len(xs) - 1)))]
        return f"median {statistics.median(xs):.1f} s, mean {statistics.mean(xs):.1f} s, p90 {p90:.1f} s"

    n = len(rows)
    kept, flagged, removed = (sum(r[k] for r in rows) for k in ("kept", "flagged", "removed"))
    reasons: Counter[str] = Counter()
    for r in rows:
        reasons.update(r["reasons"])
    generated = [r for r in rows if not r["fell_back"]]
    lines = [
        f"## Generative benchmark: backend {args.backend}, {n} questions from {args.fixtures.name}",
        f"k={args.k}, max_answer_tokens={args.max_tokens}, context_tokens={args.context}",
        "",
        f"- time to first token: {stats('ttft_s')}",
        f"- time to first text shown (a verified sentence, or the fallback answer): {stats('first_shown_s')}",
        f"- total time per answer: {stats('total_s')}",
        f"- generated sentences: {kept + flagged + removed}; kept {kept}, flagged {flagged}, removed {removed}",
        f"- verifier reasons: {', '.join(f'{k} {v}' for k, v in reasons.most_common())}",
        f"- answers shown from the model: {len(generated)}/{n}; extractive fallback: {n - len(generated)}/{n}",
        (f"- answers containing an accepted string: {sum(r['accepted'] for r in rows)}/{n} "
         f"(of the model's own answers: {sum(r['accepted'] for r in generated)}/{len(generated)}); "
         f"extractive backend alone: {sum(r['extractive_accepted'] for r in rows)}/{n}"),
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", default="llamacpp", choices=["llamacpp", "openai"])
    ap.add_argument("--fixtures", type=Path, default=FIXTURES)
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--index", type=Path, help="an index built from --corpus (default: build one in a temp dir)")
    ap.add_argument("--limit", type=int, default=0, help="first N questions only")
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--max-tokens", type=int, default=160)
    ap.add_argument("--context", type=int, default=2048)
    ap.add_argument("--jsonl", type=Path, help="also write one JSON object per question here")
    args = ap.parse_args()
    rows = run(args)
    if args.jsonl:
        args.jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(summary(rows, args))


if __name__ == "__main__":
    main()
