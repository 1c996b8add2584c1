"""An EvalResult -> report.md, report.json, accuracy_by_type.png and per-question artifacts.

Every table puts our pipeline beside the baselines measured in the same run, and every gain
is a ratio (ours ÷ baseline) of those side-by-side figures. ``items/<system>.jsonl`` keeps,
per question, the ranked passages, the answer, its citations and the timings.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import BackendError
from .scoring import METRICS, aggregate

if TYPE_CHECKING:
    from .runner import EvalResult, SystemRun

RATIO_METRICS = ("hit@1", "hit@5", "mrr", "evidence_recall", "answer_accuracy", "completeness",
                 "refusal_precision", "refusal_recall", "citation_precision", "citation_recall")
BENCH_METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10")
CHART = "accuracy_by_type.png"


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def _ratio_value(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _ratio(a: float | None, b: float | None) -> str:
    r = _ratio_value(a, b)
    return "—" if r is None else f"{r:.2f}×"


def _ms(v: float | None) -> str:
    return "—" if v is None else f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def _table(header: list[str], rows: list[list[str]], text_cols: int = 1) -> list[str]:
    """A Markdown table; the first ``text_cols`` columns left-aligned, the figures right-aligned."""
    rule = "|" + "|".join("---" if i < text_cols else "---:" for i in range(len(header))) + "|"
    out = ["| " + " | ".join(header) + " |", rule]
    return out + ["| " + " | ".join(r) + " |" for r in rows]


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=False, capture_output=True, text=True,
                             timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], check=False,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty else "") if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def environment() -> dict[str, Any]:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "load_average_1min": round(load, 2) if load is not None else None, "commit": _git_commit()}


# --- JSON ---------------------------------------------------------------------------------
def to_json(result: EvalResult) -> dict[str, Any]:
    s = result.settings
    out: dict[str, Any] = {
        "created": result.created,
        "seconds": round(result.seconds, 1),
        "environment": environment(),
        "settings": {"embedder": s.embedder, "chunk_size": s.chunk_size, "chunk_overlap": s.chunk_overlap,
                     "k": result.k, "mode": result.mode, "candidates": s.candidates, "rrf_k": s.rrf_k,
                     "faiss_index": s.faiss_index, "backend": s.backend},
    }
    if result.runs:
        systems = {r.name: r.summary() for r in result.runs}
        ours = systems.get("ours", {}).get("overall", {})
        out["fixtures"] = {
            "path": str(result.fixtures), "items": len(result.runs[0].runs), "systems": systems,
            "ratios": {name: {m: _ratio_value(ours.get(m), sm["overall"].get(m)) for m in RATIO_METRICS}
                       for name, sm in systems.items() if name != "ours"},
        }
    out["benchmarks"] = [{k: v for k, v in b.items() if not k.startswith("_")} for b in result.benches]
    out["answer_benchmarks"] = [r.summary() for r in result.answer_benches]
    if result.gate:
        out["gate"] = {"passed": result.gate_passed,
                       "checks": [{"metric": c.metric, "value": c.value, "floor": c.floor, "passed": c.passed}
                                  for c in result.gate]}
    return out


# --- Markdown -----------------------------------------------------------------------------
def _fixture_sections(result: EvalResult, chart: str | None) -> list[str]:
    runs = result.runs
    overall = {r.name: aggregate(r.scores) for r in runs}
    names = [r.name for r in runs]
    lines = [f"## QA fixtures: `{result.fixtures}` ({len(runs[0].runs)} questions)", ""]
    lines += ["### Overall", ""]
    lines += _table(["metric"] + [r.label for r in runs],
                    [[name] + [_fmt(overall[n][name]) for n in names] for name, _ in METRICS])
    base = [r for r in runs if r.name != "ours"]
    if "ours" in overall and base:
        lines += ["", "### Gains: ours ÷ baseline (same questions, same machine, same run)", ""]
        lines += _table(["metric"] + [f"÷ {r.label}" for r in base],
                        [[m] + [_ratio(overall["ours"][m], overall[r.name][m]) for r in base] for m in RATIO_METRICS])
    types = sorted({s.type for r in runs for s in r.scores})
    per_type = {r.name: r.summary()["by_type"] for r in runs}
    counts = {t: sum(s.type == t for s in runs[0].scores) for t in types}
    lines += ["", "### Answer accuracy by question type", ""]
    rows = [[f"{t} ({counts[t]})"] + [_fmt(per_type[n][t]["answer_accuracy"]) for n in names] for t in types]
    rows.append([f"**all** ({len(runs[0].scores)})"] + [f"**{_fmt(overall[n]['answer_accuracy'])}**" for n in names])
    lines += _table(["type (n)"] + [r.label for r in runs], rows)
    if chart:
        lines += ["", f"![Answer accuracy by question type]({chart})"]
    lines += ["", "### Retrieval and citations by question type (ours)", ""]
    if "ours" in per_type:
        cols = ("hit@1", "hit@5", "mrr", "evidence_recall", "completeness", "refusal_recall", "citation_precision",
                "citation_recall")
        lines += _table(["type"] + list(cols), [[t] + [_fmt(per_type["ours"][t][c]) for c in cols] for t in types])
    lines += ["", "### Latency (ms; p50 / p95)", "",
              "Wall-clock on this machine during the run; other processes sharing the CPUs inflate the p95s.", ""]
    lat = {r.name: r.summary()["latency_ms"] for r in runs}
    lines += _table(
        ["system", "retrieval", "answering", "end to end"],
        [[r.label] + [f"{_ms(lat[r.name][st]['p50'])} / {_ms(lat[r.name][st]['p95'])}"
                      for st in ("retrieval", "answer", "end_to_end")] for r in runs],
    )
    ours = next((r for r in runs if r.name == "ours"), None)
    if ours:
        lines += _failures(ours)
    return lines


def _short(text: str, n: int = 110) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= n else text[: n - 1] + "…"


def _failures(run: SystemRun) -> list[str]:
    bad = [r for r in run.runs if not r.score.correct or (r.score.completeness is not None
                                                          and r.score.completeness < 1)]
    lines = ["", f"### Questions ours gets wrong or incomplete ({len(bad)})", ""]
    if not bad:
        return lines + ["None."]
    lines += ["Their passages, answers and citations are in `items/ours.jsonl` of the report folder.", ""]
    rows = [[r.item.id, r.item.type, _short(r.item.question, 70), _short(" / ".join(r.item.accept), 50),
             _fmt(r.score.completeness), _short(r.answer.text)] for r in bad]
    return lines + _table(["id", "type", "question", "accept", "complete", "answer (start)"], rows, text_cols=6)


def _bench_sections(bench: dict[str, Any]) -> list[str]:
    systems = bench["systems"]
    lines = [f"## Retrieval benchmark: `{bench['name']}`", "",
             (f"{bench['questions']} questions over {bench['contexts']} contexts indexed as their own corpus "
             f"({bench['chunks']} chunks); a hit is a passage from the question's context."), ""]
    lines += _table(["system"] + [m.replace("recall", "Recall").replace("mrr", "MRR") for m in BENCH_METRICS]
                    + ["search p50 / p95 ms"],
                    [[s["label"]] + [_fmt(s[m]) for m in BENCH_METRICS]
                     + [f"{_ms(s['latency_ms']['p50'])} / {_ms(s['latency_ms']['p95'])}"] for s in systems.values()])
    if "ours" in systems and len(systems) > 1:
        lines += ["", "Gains, ours ÷ baseline:", ""]
        base = [n for n in systems if n != "ours"]
        lines += _table(["metric"] + [f"÷ {systems[n]['label']}" for n in base],
                        [[m] + [_ratio(systems["ours"][m], systems[n][m]) for n in base] for m in BENCH_METRICS])
    return lines


# per kind of item: (summary key, label, note); the count of the kind is the summary key in the title
ANSWER_TABLES = (
    ("answerable", "Answerable: the question's passage is in the corpus", (
        ("answerable_refused", "refused", "lower is better"),
        ("containment", "a gold answer inside the answer", ""),
        ("gold_cited", "the gold passage cited", ""),
        ("short_answer_given", "a short answer given", ""),
        ("short_given_of_answered", "a short answer given, of those answered", ""),
        ("short_right_when_given", "short answer right when given (gold inside, or F1 >= 0.8)", ""),
        ("short_bare", "short answers that are only a unit or number word (all questions)", "must be 0"),
        ("short_em", "short answer EM (all answerable)", ""),
        ("short_f1", "short answer F1 (all answerable)", ""),
        ("short_f1_when_given", "short answer F1 (when given)", ""),
    )),
    ("unanswerable", "Article: the question's whole article is held out", (
        ("unanswerable_refused", "refused", ""),
    )),
    ("siblings", "Sibling: only the question's passage is held out, the rest of its article stays", (
        ("sibling_refused_or_correct", "refused, or answered with a gold span", ""),
        ("sibling_refused", "refused", ""),
    )),
    ("swaps", "Swap: one named constraint replaced by another the article states elsewhere", (
        ("swap_refused", "refused", ""),
    )),
)


def _answer_bench_sections(run) -> list[str]:
    s = run.summary()
    made = ("prepared by scripts/make_near_misses.py, used as is" if s["prepared"] else
            f"{s['titles_held_out']} whole articles ({s['share_held_out']:.0%} of the titles) and "
            f"{s['contexts_removed']} single passages ({s['sibling_share']:.0%} of the others with questions) held "
            f"out of the corpus, seed {s['seed']}")
    fold = (f" {s['out_of_fold']} of them were answered by the answerer's decisions fitted without their "
            "article's fold (out of fold: `scripts/fit_answerer.py` fitted on these articles)." if s["out_of_fold"]
            else "")
    lines = [f"## Answer benchmark: `{s['name']}`", "",
             (f"{s['questions']} questions ({made}); {s['contexts_indexed']} passages indexed; every question "
              f"answered end to end by ours.{fold}"), ""]
    for count, title, rows in ANSWER_TABLES:
        lines += [f"### {title} ({s[count]})", ""]
        lines += _table(["metric", "value"], [[label + (f" ({note})" if note else ""), _fmt(s[key])]
                                              for key, label, note in rows]) + [""]
    if s["swaps_by_constraint"]:
        lines += ["Swaps by the kind of constraint swapped:", ""]
        lines += _table(["constraint", "swaps", "refused"],
                        [[k, str(v["n"]), _fmt(v["refused"])] for k, v in s["swaps_by_constraint"].items()]) + [""]
    lines += _by_question_kind(s["by_question_kind"])
    lat = s["latency_ms"]
    lines += ["", (f"Latency per question, p50 / p95: {_ms(lat['p50'])} / {_ms(lat['p95'])} ms; "
                   f"index built in {s['index_seconds']} s; errors: {s['errors']}.")]
    return lines


def _by_question_kind(table: dict[str, dict]) -> list[str]:
    lines = ["### By the kind of answer asked for", "",
             "Answerable: refused and containment; each unanswerable kind: the share refused (n in brackets).", ""]
    rows = [[kind, f"{_fmt(r['answerable_refused'])} ({r['answerable']})", _fmt(r["containment"])]
            + [f"{_fmt(r[f'{k}_refused'])} ({r[k]})" for k in ("article", "sibling", "swap")]
            for kind, r in table.items()]
    return lines + _table(["asks for", "answerable refused", "containment", "article refused", "sibling refused",
                           "swap refused"], rows)


def to_markdown(result: EvalResult, chart: str | None = CHART) -> str:
    s, env = result.settings, environment()
    lines = [
        "# Evaluation report", "",
        f"Generated {result.created} in {result.seconds:.0f} s by `assistant eval`"
        + (f" at commit {env['commit']}" if env["commit"] else "") + ".",
        (f"Embedder `{s.embedder}`, chunks of {s.chunk_size} chars (overlap {s.chunk_overlap}), k = {result.k} "
        f"passages to the answerer, retrieval mode of ours: {result.mode}. Machine: {env['cpus']} CPUs, "
        f"Python {env['python']}, 1-min load average {env['load_average_1min']} (latencies depend on it)."), "",
        ("Systems: **ours** is the pipeline as configured; **dense only** and **BM25 only** use the same index "
        "and answerer with one retrieval list; **LangChain** splits the same cleaned texts with "
        "RecursiveCharacterTextSplitter (1000 chars, overlap 100), embeds them with the same embedder into a "
        "LangChain VectorStore and searches with its stock similarity retriever; the same extractive answerer "
        "answers from its passages."), "",
    ]
    if result.runs:
        lines += _fixture_sections(result, chart) + [""]
    for run in result.answer_benches:
        lines += _answer_bench_sections(run) + [""]
    for bench in result.benches:
        lines += _bench_sections(bench) + [""]
    if result.gate:
        lines += ["## Regression gate", "", f"**{'PASSED' if result.gate_passed else 'FAILED'}**", ""]
        lines += [f"- {c}" for c in result.gate] + [""]
    lines += ["## Metric definitions", ""] + [f"- **{name}**: {desc}" for name, desc in METRICS]
    lines += [("- **Recall@k / MRR@10** (benchmarks): the question's context among the top k passages; mean 1/rank "
              "within the top 10."),
              ("- **Answer benchmarks**: containment is a gold span (NFC, casefold, whitespace collapsed) inside the "
               "answer or its short answer; the gold passage is cited when a citation is that context; EM/F1 are "
               "SQuAD's, over the short answer (none given counts 0). A swap is kept only when no sentence of the "
               "corpus, with its neighbours, states the new value and half the question's other content words "
               "(see `evaluation/nearmiss.py`)."),
              ("- Matching: NFC and one tone convention, case-insensitive; accept strings must stand on word "
              "boundaries; evidence quotes are compared with all whitespace removed."), ""]
    return "\n".join(lines)


# --- chart --------------------------------------------------------------------------------
def plot_accuracy(result: EvalResult, path: Path) -> Path:
    try:
        import matplotlib
    except ImportError as exc:
        raise BackendError("the chart needs matplotlib", hint='pip install "assistant[eval]"') from exc

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = result.runs
    types = sorted({s.type for s in runs[0].scores})
    groups = types + ["all"]
    width = 0.8 / len(runs)
    fig, ax = plt.subplots(figsize=(12, 4.8), dpi=110)
    for i, run in enumerate(runs):
        per = run.summary()["by_type"]
        vals = [per[t]["answer_accuracy"] or 0 for t in types] + [aggregate(run.scores)["answer_accuracy"] or 0]
        xs = [g + (i - (len(runs) - 1) / 2) * width for g in range(len(groups))]
        bars = ax.bar(xs, vals, width, label=run.label)
        ax.bar_label(bars, labels=[""] * len(types) + [f"{vals[-1]:.2f}"], fontsize=7, padding=2)
    counts = {t: sum(s.type == t for s in runs[0].scores) for t in types}
    ax.set_xticks(range(len(groups)), [f"{t}\n(n={counts[t]})" for t in types] + [f"all\n(n={len(runs[0].scores)})"],
                  fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("answer accuracy")
    ax.set_title(f"Answer accuracy by question type — {Path(str(result.fixtures)).name}, k={result.k}")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=len(runs), frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


# --- everything ---------------------------------------------------------------------------
def write_report(result: EvalResult, out_dir: Path) -> list[Path]:
    """Write the report files into ``out_dir`` (created if needed); return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    chart = None
    if result.runs:
        written.append(plot_accuracy(result, out_dir / CHART))
        chart = CHART
        items = out_dir / "items"
        items.mkdir(exist_ok=True)
        for run in result.runs:
            path = items / f"{run.name}.jsonl"
            with path.open("w", encoding="utf-8") as fh:
                for r in run.runs:
                    fh.write(json.dumps(r.artifact(result.k), ensure_ascii=False) + "\n")
            written.append(path)
    for bench in result.benches:
        path = out_dir / "items" / f"bench-{bench['name']}.jsonl"
        path.parent.mkdir(exist_ok=True)
        runs = bench["_runs"]
        with path.open("w", encoding="utf-8") as fh:
            for qid in runs[0].ranks:
                row = {"id": qid, "rank": {r.name: r.ranks[qid] for r in runs},
                       "top10": {r.name: r.top[qid] for r in runs}}
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        written.append(path)
    for run in result.answer_benches:
        path = out_dir / "items" / f"answers-{run.name}.jsonl"
        path.parent.mkdir(exist_ok=True)
        with path.open("w", encoding="utf-8") as fh:
            for r in run.results:
                fh.write(json.dumps(r.artifact(), ensure_ascii=False) + "\n")
        written.append(path)
    md = out_dir / "report.md"
    md.write_text(to_markdown(result, chart), encoding="utf-8")
    js = out_dir / "report.json"
    js.write_text(json.dumps(to_json(result), ensure_ascii=False, indent=2), encoding="utf-8")
    return [md, js] + written
