"""Run QA fixtures through every system, keeping what each question produced.

Every system sees the same questions in the same process on the same machine, so the
ratios in the report compare like with like. For each question we keep the ranked passages
(top 10, of which the first k went to the answerer), the Answer, its citations and the
timings: enough to inspect a bad answer without running anything again.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..documents import Answer, ScoredChunk
from ..errors import AssistantError
from ..ingest.embedding import VectorEmbeddings
from ..pipeline import embedder_for
from .fixtures import QAItem, load_fixtures
from .scoring import ItemScore, aggregate, by_type, latency, score_item, supports
from .systems import BASELINES, System, open_systems

RANKED = 10  # passages kept per question for hit@1/5/10 and MRR


@dataclass
class ItemRun:
    item: QAItem
    answer: Answer
    ranked: list[ScoredChunk]
    score: ItemScore

    def artifact(self, k: int) -> dict[str, Any]:
        """Everything needed to see why an answer is right or wrong."""
        item = self.item
        answer = self.answer.to_dict()
        for c, cd in zip(self.answer.citations, answer["citations"]):
            cd["supports_evidence"] = any(supports(c, ev) for ev in item.evidence)
        return {
            "id": item.id, "type": item.type, "difficulty": item.difficulty, "question": item.question,
            "gold": {"answer": item.answer, "accept": list(item.accept), "sources": list(item.sources),
                     "evidence": list(item.evidence)},
            "score": self.score.to_dict(),
            "answer": answer["answer"],
            "refused": answer["refused"],
            "citations": answer["citations"],
            "prompt": answer.get("prompt"),  # extractive answers have none; an LLM backend would
            "retrieved": [
                {"rank": r, "doc_id": h.chunk.doc_id, "chunk_id": h.chunk.chunk_id, "score": round(h.score, 6),
                 "from_source": h.chunk.doc_id in item.doc_ids, "given_to_answerer": r <= k,
                 "start": h.chunk.start, "end": h.chunk.end, "text": h.chunk.text}
                for r, h in enumerate(self.ranked, start=1)
            ],
            "timings_ms": answer["timings_ms"],
        }


@dataclass
class SystemRun:
    name: str
    label: str
    runs: list[ItemRun] = field(default_factory=list)

    @property
    def scores(self) -> list[ItemScore]:
        return [r.score for r in self.runs]

    def summary(self) -> dict[str, Any]:
        return {"label": self.label, "overall": aggregate(self.scores), "by_type": by_type(self.scores),
                "latency_ms": latency(self.scores)}


def run_system(system: System, items: list[QAItem], k: int, ignore_diacritics: bool = False,
               progress: bool = False) -> SystemRun:
    from tqdm import tqdm

    out = SystemRun(system.name, system.label)
    documents = system.assistant.index.documents
    bar = tqdm(items, desc=f"eval {system.name}", unit="câu", file=sys.stderr, disable=not progress, leave=False)
    for item in bar:
        error = ""
        try:
            ranked, _ = system.assistant.search(item.question, max(RANKED, k))
            t0 = time.perf_counter()
            answer = system.assistant.ask(item.question, k)
            e2e = (time.perf_counter() - t0) * 1000
        except AssistantError as exc:  # e.g. an over-long question: scored as a wrong answer
            ranked, e2e, error = [], 0.0, str(exc)
            answer = Answer(question=item.question, text="", refused=False)
        timings = {"retrieval": answer.timings_ms.get("retrieval"), "answer": answer.timings_ms.get("answer"),
                   "end_to_end": e2e}
        score = score_item(item, answer, ranked, k, documents, {s: v for s, v in timings.items() if v is not None},
                           ignore_diacritics)
        score.error = error
        out.runs.append(ItemRun(item, answer, ranked, score))
    return out


def run_fixtures(
    settings: Settings,
    fixtures: Path | list[QAItem],
    *,
    k: int | None = None,
    mode: str = "hybrid",
    baselines: tuple[str, ...] = BASELINES,
    embedder: VectorEmbeddings | None = None,
    ignore_diacritics: bool = False,
    cache_dir: Path | None = None,
    progress: bool = False,
) -> list[SystemRun]:
    """Our pipeline (retrieval ``mode``, ``k`` passages) and ``baselines`` over the fixtures."""
    items = load_fixtures(fixtures) if isinstance(fixtures, Path) else fixtures
    embedder = embedder or embedder_for(settings)
    k = k or settings.k
    systems = open_systems(settings, embedder, mode=mode, baselines=baselines, cache_dir=cache_dir)
    return [run_system(s, items, k, ignore_diacritics, progress) for s in systems]


# --- one whole evaluation -----------------------------------------------------------------
@dataclass
class EvalResult:
    """What ``assistant eval`` measured: fixture runs, benchmark runs, gate checks."""

    settings: Settings
    k: int
    mode: str
    fixtures: Path | None = None
    runs: list[SystemRun] = field(default_factory=list)
    benches: list[dict[str, Any]] = field(default_factory=list)
    answer_benches: list = field(default_factory=list)  # AnswerBenchRun
    gate: list = field(default_factory=list)  # GateCheck
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M"))
    seconds: float = 0.0

    @property
    def ours(self) -> SystemRun | None:
        return next((r for r in self.runs if r.name == "ours"), None)

    @property
    def gate_passed(self) -> bool:
        return all(c.passed for c in self.gate)


def evaluate(
    settings: Settings,
    fixtures: Path | None = None,
    *,
    benches: tuple[Path, ...] = (),
    k: int | None = None,
    mode: str = "hybrid",
    baselines: tuple[str, ...] = BASELINES,
    thresholds: dict[str, float] | None = None,
    embedder: VectorEmbeddings | None = None,
    ignore_diacritics: bool = False,
    cache_dir: Path | None = None,
    bench_limit: int | None = None,
    answer_benches: tuple[Path, ...] = (),
    holdout: float = 0.2,
    sibling_share: float = 0.2,
    seed: int = 42,
    progress: bool = False,
) -> EvalResult:
    """Run the fixtures and benchmarks through our pipeline and the baselines; check the gate."""
    from .answers import run_answer_bench
    from .bench import run_bench
    from .gate import check_gate

    t0 = time.perf_counter()
    k = k or settings.k
    cache_dir = cache_dir or default_cache_dir()
    result = EvalResult(settings=settings, k=k, mode=mode, fixtures=fixtures)
    items = load_fixtures(fixtures) if fixtures is not None else None  # fail fast, before models load
    embedder = embedder or embedder_for(settings)
    if items is not None:
        result.runs = run_fixtures(settings, items, k=k, mode=mode, baselines=baselines, embedder=embedder,
                                   ignore_diacritics=ignore_diacritics, cache_dir=cache_dir, progress=progress)
    for folder in benches:
        result.benches.append(run_bench(settings, folder, cache_dir, mode=mode, baselines=baselines,
                                        embedder=embedder, limit=bench_limit, progress=progress))
    for folder in answer_benches:
        result.answer_benches.append(run_answer_bench(settings, folder, cache_dir, share=holdout,
                                                      sibling_share=sibling_share, seed=seed, embedder=embedder,
                                                      limit=bench_limit, progress=progress))
    if thresholds is not None:
        result.gate = check_gate(gate_metrics(result), thresholds)
    result.seconds = time.perf_counter() - t0
    return result


def gate_metrics(result: EvalResult) -> dict[str, Any]:
    """What the gate can hold floors on: the fixture metrics of ours, by name, and each answer
    bench's figures as ``<bench>.<metric>`` (refusal of answerable questions as its complement,
    ``answerable_answered``, so that every floor is a "higher is better" figure)."""
    metrics: dict[str, Any] = dict(aggregate(result.ours.scores)) if result.ours is not None else {}
    for run in result.answer_benches:
        summary = run.summary()
        refused = summary["answerable_refused"]
        summary["answerable_answered"] = None if refused is None else 1 - refused
        for key, value in summary.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                metrics[f"{run.name}.{key}"] = value
    return metrics


def default_cache_dir() -> Path:
    import tempfile

    return Path(tempfile.gettempdir()) / "assistant-eval-cache"
