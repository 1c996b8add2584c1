"""Retrieval-only benchmarks shaped like xquad_vi: ``contexts.jsonl`` + ``questions.jsonl``.

Each context becomes one article of a corpus of its own (file ``<context_id>.txt``, title
in ``metadata.json``), indexed with the same settings as the main corpus in a cache folder
that later runs update instead of rebuilding. Sentence vectors are skipped: nothing is
answered here. A question is found at rank r when the r-th passage comes from its context;
Recall@k counts ranks <= k, MRR@10 averages 1/r over ranks <= 10.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..ingest.embedding import VectorEmbeddings
from ..pipeline import Assistant, build_index, embedder_for
from ..store.disk import load_index
from .benchdata import bench_settings, load_bench
from .scoring import percentile
from .systems import BASELINES, LABELS, CachingEmbeddings, langchain_baseline

BENCH_AT = (1, 5, 10)


@dataclass
class BenchRun:
    name: str
    label: str
    ranks: dict[str, int | None] = field(default_factory=dict)  # question id -> rank of its context
    top: dict[str, list[str]] = field(default_factory=dict)  # question id -> doc ids of the top 10
    latency_ms: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        n = len(self.ranks) or 1
        out: dict[str, Any] = {"label": self.label, "questions": len(self.ranks)}
        for k in BENCH_AT:
            out[f"recall@{k}"] = sum(r is not None and r <= k for r in self.ranks.values()) / n
        out["mrr@10"] = sum(1 / r for r in self.ranks.values() if r is not None and r <= 10) / n
        out["latency_ms"] = {"p50": percentile(self.latency_ms, 50), "p95": percentile(self.latency_ms, 95)}
        return out


def run_bench(
    settings: Settings,
    folder: Path,
    cache_dir: Path,
    *,
    mode: str = "hybrid",
    baselines: tuple[str, ...] = BASELINES,
    embedder: VectorEmbeddings | None = None,
    limit: int | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Recall@1/5/10 and MRR@10 of our retriever and the baselines on one benchmark folder."""
    from tqdm import tqdm

    _, questions = load_bench(folder)
    questions = questions[:limit] if limit else questions
    embedder = embedder or embedder_for(settings)
    cached = CachingEmbeddings(embedder, cache_dir)
    bsettings = bench_settings(settings, folder, cache_dir)
    t0 = time.perf_counter()
    report = build_index(bsettings, cached, show_progress=progress, embed_sentences=False)
    index = load_index(bsettings)
    build_s = time.perf_counter() - t0

    def ours(retrieval_mode: str) -> Assistant:
        return Assistant.over(index, settings, embedder, mode=retrieval_mode, backend="extractive")

    searchers: list[tuple[str, str, Assistant]] = [("ours", LABELS["ours"] + f" ({mode})", ours(mode))]
    for name in baselines:
        if name == "langchain":
            searchers.append((name, LABELS[name], langchain_baseline(settings, index, cached)))
        else:
            searchers.append((name, LABELS[name], ours(name)))

    runs = []
    for name, label, assistant in searchers:
        run = BenchRun(name, label)
        bar = tqdm(questions, desc=f"{folder.name} {name}", unit="câu", file=sys.stderr, disable=not progress,
                   leave=False)
        for q in bar:
            t = time.perf_counter()
            hits, _ = assistant.search(q.question, 10)
            run.latency_ms.append((time.perf_counter() - t) * 1000)
            docs = [h.chunk.doc_id for h in hits]
            run.top[q.id] = docs
            run.ranks[q.id] = docs.index(q.context_id) + 1 if q.context_id in docs else None
        runs.append(run)
    return {
        "name": folder.resolve().name,
        "path": str(folder),
        "contexts": report.documents,
        "skipped_contexts": [s.path for s in report.skipped],
        "chunks": report.chunks,
        "questions": len(questions),
        "index_seconds": round(build_s, 1),
        "systems": {r.name: r.summary() for r in runs},
        "_runs": runs,  # per-question artifacts; dropped from the JSON summary
    }
