"""Retrieval-only benchmarks shaped like xquad_vi: ``contexts.jsonl`` + ``questions.jsonl``.

Each context becomes one article of a corpus of its own (file ``<context_id>.txt``, title
in ``metadata.json``), indexed with the same settings as the main corpus in a cache folder
that later runs update instead of rebuilding. Sentence vectors are skipped: nothing is
answered here. A question is found at rank r when the r-th passage comes from its context;
Recall@k counts ranks <= k, MRR@10 averages 1/r over ranks <= 10.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import AssistantError
from ..ingest.embedding import VectorEmbeddings, make_embedder
from ..retrieve.hybrid import Retriever
from ..store.disk import build_index, load_index
from .scoring import percentile
from .systems import BASELINES, LABELS, CachingEmbeddings, langchain_baseline

BENCH_AT = (1, 5, 10)


class BenchError(AssistantError):
    hint = "a benchmark folder holds contexts.jsonl (context_id, title, text) and questions.jsonl"


@dataclass(frozen=True)
class BenchQuestion:
    id: str
    question: str
    context_id: str


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


def _read_jsonl(path: Path) -> list[dict]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BenchError(f"cannot read {path}: {exc}") from exc


def load_bench(folder: Path) -> tuple[list[dict], list[BenchQuestion]]:
    contexts = _read_jsonl(folder / "contexts.jsonl")
    try:
        rows = _read_jsonl(folder / "questions.jsonl")
        questions = [BenchQuestion(q["id"], q["question"], q["context_id"]) for q in rows]
        known = {c["context_id"] for c in contexts if c["text"].strip()}
    except (KeyError, TypeError, AttributeError) as exc:
        raise BenchError(f"{folder}: a line lacks a field: {exc}") from exc
    missing = [q.id for q in questions if q.context_id not in known]
    if missing:
        raise BenchError(f"{folder}: {len(missing)} questions point to no context, e.g. {missing[0]}")
    return contexts, questions


def bench_settings(settings: Settings, folder: Path, cache_dir: Path) -> Settings:
    """Write the contexts as a corpus under ``cache_dir`` (once) and point settings at it."""
    raw = (folder / "contexts.jsonl").read_bytes()
    work = cache_dir / "bench" / f"{folder.resolve().name}-{hashlib.sha256(raw).hexdigest()[:12]}"
    corpus = work / "corpus"
    if not (corpus / "metadata.json").is_file():
        write_corpus(load_bench(folder)[0], corpus)
    return settings.with_overrides(corpus_dir=corpus, index_dir=work / "index")


def write_corpus(contexts: list[dict], corpus: Path) -> None:
    """One article per context (``<context_id>.txt``), titles in ``metadata.json``."""
    corpus.mkdir(parents=True, exist_ok=True)
    meta = {}
    for c in contexts:
        (corpus / f"{c['context_id']}.txt").write_text(c["text"], encoding="utf-8")
        meta[c["context_id"]] = {"title": c.get("title") or c["context_id"], "date": None}
    # subtle: metadata last: its presence marks a complete corpus folder
    (corpus / "metadata.json").write_text(json.dumps({"articles": meta}, ensure_ascii=False), encoding="utf-8")


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
    embedder = embedder or make_embedder(settings.embedder)
    cached = CachingEmbeddings(embedder, cache_dir)
    bsettings = bench_settings(settings, folder, cache_dir)
    t0 = time.perf_counter()
    report = build_index(bsettings, cached, show_progress=progress, embed_sentences=False)
    index = load_index(bsettings)
    build_s = time.perf_counter() - t0

    def ours(retrieval_mode: str) -> Retriever:
        return Retriever(index, embedder, candidates=settings.candidates, rrf_k=settings.rrf_k, mode=retrieval_mode)

    searchers: list[tuple[str, str, Any]] = [("ours", LABELS["ours"] + f" ({mode})", ours(mode))]
    for name in baselines:
        if name == "langchain":
            searchers.append((name, LABELS[name], langchain_baseline(settings, index, cached).retriever))
        else:
            searchers.append((name, LABELS[name], ours(name)))

    runs = []
    for name, label, retriever in searchers:
        run = BenchRun(name, label)
        bar = tqdm(questions, desc=f"{folder.name} {name}", unit="câu", file=sys.stderr, disable=not progress,
                   leave=False)
        for q in bar:
            t = time.perf_counter()
            hits = retriever.search(q.question, 10)
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
