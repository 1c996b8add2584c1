"""End-to-end answer bench on SQuAD-shaped sets: answerable and unanswerable questions.

A folder like ``../shared/bench/xquad_vi`` (``contexts.jsonl`` + ``questions.jsonl``) becomes
a corpus, minus a seeded share of whole articles (every context of a title) and a seeded share
of single passages of the other articles; ``nearmiss`` makes the items: answerable questions,
questions of a held-out article or passage ("article", "sibling"), and answerable questions
with one named constraint swapped ("swap"). A good assistant answers the first and refuses the
others (a sibling may also be answered from another passage holding a gold span). Every item
goes through the configured pipeline exactly as ``assistant ask`` would answer it. We report,
over answerable questions: refusals, answer containment (a gold span inside the answer text or
its short answer, NFC + casefold), the gold passage among the citations, and the short
answer's EM/F1 against the gold spans (SQuAD's token measure); over each unanswerable kind:
refusals; the same per kind of answer asked for; and latency.

The split is a pure function of the titles, the shares and the seed, so two runs (or
``scripts/fit_answerer.py``) hold out the same articles.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..answer.shortanswer import is_bare
from ..config import Settings
from ..documents import Answer
from ..errors import AssistantError
from ..ingest.embedding import VectorEmbeddings
from ..pipeline import Assistant, embedder_for
from ..question.kinds import expected_kind
from ..vietnamese import normalize
from .benchdata import GoldQuestion, contains_gold, write_corpus
from .scoring import percentile

if TYPE_CHECKING:
    from .nearmiss import Bench, BenchItem


def corpus_settings(settings: Settings, name: str, contexts: list[dict], cache_dir: Path) -> Settings:
    """Write ``contexts`` as a corpus (one article each) under ``cache_dir``, once per content."""
    payload = json.dumps([[c["context_id"], c.get("title"), c["text"]] for c in contexts], ensure_ascii=False)
    work = cache_dir / "answer-bench" / f"{name}-{hashlib.sha256(payload.encode()).hexdigest()[:12]}"
    corpus = work / "corpus"
    if not (corpus / "metadata.json").is_file():
        write_corpus(contexts, corpus)
    return settings.with_overrides(corpus_dir=corpus, index_dir=work / "index")


# --- scoring ----------------------------------------------------------------------------------
_PUNCT = re.compile(f"[{re.escape(string.punctuation)}“”‘’«»…–—]")


def squad_tokens(text: str) -> list[str]:
    """SQuAD's answer normalisation, for Vietnamese: NFC, casefold, no punctuation."""
    return _PUNCT.sub(" ", normalize(text).casefold()).split()


def exact_match(prediction: str | None, golds: Sequence[str]) -> float:
    if not prediction:
        return 0.0
    p = squad_tokens(prediction)
    return float(any(p == squad_tokens(g) for g in golds))


def span_right(span: str, golds: Sequence[str]) -> bool:
    """A short answer or a candidate span is right: it holds a gold span, or matches one with
    token F1 >= 0.8."""
    return contains_gold(span, golds) or token_f1(span, golds) >= 0.8


def token_f1(prediction: str | None, golds: Sequence[str]) -> float:
    if not prediction:
        return 0.0
    p = squad_tokens(prediction)
    best = 0.0
    for g in golds:
        gt = squad_tokens(g)
        common = sum((Counter(p) & Counter(gt)).values())
        if common:
            prec, rec = common / len(p), common / len(gt)
            best = max(best, 2 * prec * rec / (prec + rec))
    return best


@dataclass
class QuestionResult:
    question: GoldQuestion
    kind: str  # nearmiss.KINDS: answerable, article, sibling, swap
    answer: Answer
    latency_ms: float
    error: str = ""
    swapped: tuple[str, str, str] | None = None  # (constraint kind, from, to) for a swap

    @property
    def answerable(self) -> bool:
        return self.kind == "answerable"

    @property
    def short(self) -> str | None:
        return self.answer.short_answer

    def contains(self) -> bool:
        shown = self.answer.text + " " + (self.short or "")
        return not self.answer.refused and contains_gold(shown, self.question.answers)

    def short_right(self) -> bool:
        return bool(self.short) and span_right(self.short or "", self.question.answers)

    def cites_gold(self) -> bool:
        return not self.answer.refused and any(c.doc_id == self.question.context_id for c in self.answer.citations)

    def question_kind(self) -> str:
        """The kind of answer the question asks for (``kinds.expected_kind``), or "other"."""
        return expected_kind(self.question.question) or "other"

    def artifact(self) -> dict[str, Any]:
        q = self.question
        return {
            "id": q.id, "question": q.question, "gold": list(q.answers), "context_id": q.context_id,
            "title": q.title, "kind": self.kind, "swapped": list(self.swapped) if self.swapped else None,
            "answerable": self.answerable, "refused": self.answer.refused,
            "short_answer": self.short, "answer": self.answer.text,
            "cited": [c.doc_id for c in self.answer.citations], "contains": self.contains(),
            "cites_gold": self.cites_gold(), "f1": round(token_f1(self.short, q.answers), 3),
            "latency_ms": round(self.latency_ms, 1), "error": self.error,
        }


def _rate(xs: list, pred) -> float | None:
    return sum(1 for x in xs if pred(x)) / len(xs) if xs else None


def _refused(r: QuestionResult) -> bool:
    return r.answer.refused


def _refused_or_correct(r: QuestionResult) -> bool:
    return r.answer.refused or r.contains()


@dataclass
class AnswerBenchRun:
    name: str
    path: str
    share: float
    seed: int
    held_out: tuple[str, ...]
    contexts: int
    results: list[QuestionResult] = field(default_factory=list)
    index_seconds: float = 0.0
    sibling_share: float = 0.0
    removed: tuple[str, ...] = ()  # the siblings' passages, held out alone
    prepared: bool = False  # the folder came from scripts/make_near_misses.py, used as is
    out_of_fold: int = 0  # questions answered by a model fitted without their title (answer.decision.fold_models)

    def of(self, kind: str) -> list[QuestionResult]:
        return [r for r in self.results if r.kind == kind]

    def summary(self) -> dict[str, Any]:
        ans, una = self.of("answerable"), self.of("article")
        siblings, swaps = self.of("sibling"), self.of("swap")
        given = [r for r in ans if r.short]
        answered = [r for r in ans if not r.answer.refused]
        lat = [r.latency_ms for r in self.results]
        return {
            "name": self.name, "path": self.path, "share_held_out": self.share, "seed": self.seed,
            "sibling_share": self.sibling_share, "prepared": self.prepared,
            "titles_held_out": len(self.held_out), "contexts_removed": len(self.removed),
            "contexts_indexed": self.contexts,
            "questions": len(self.results), "answerable": len(ans), "unanswerable": len(una),
            "siblings": len(siblings), "swaps": len(swaps),
            "answerable_refused": _rate(ans, _refused),
            "containment": _rate(ans, QuestionResult.contains),
            "gold_cited": _rate(ans, QuestionResult.cites_gold),
            "unanswerable_refused": _rate(una, _refused),
            "sibling_refused_or_correct": _rate(siblings, _refused_or_correct),
            "sibling_refused": _rate(siblings, _refused),
            "swap_refused": _rate(swaps, _refused),
            "short_answer_given": _rate(ans, lambda r: bool(r.short)),
            "short_em": sum(exact_match(r.short, r.question.answers) for r in ans) / len(ans) if ans else None,
            "short_f1": sum(token_f1(r.short, r.question.answers) for r in ans) / len(ans) if ans else None,
            "short_f1_when_given": (sum(token_f1(r.short, r.question.answers) for r in given) / len(given)
                                    if given else None),
            "short_given_of_answered": _rate(answered, lambda r: bool(r.short)),
            "short_right_when_given": _rate(given, QuestionResult.short_right),
            "short_bare": sum(1 for r in self.results if r.short and is_bare(r.short)),
            "out_of_fold": self.out_of_fold,
            "swaps_by_constraint": _swaps_by_constraint(swaps),
            "by_question_kind": _by_question_kind(self.results),
            "errors": sum(1 for r in self.results if r.error),
            "index_seconds": round(self.index_seconds, 1),
            "latency_ms": {"p50": percentile(lat, 50), "p95": percentile(lat, 95)},
        }


def _swaps_by_constraint(swaps: list[QuestionResult]) -> dict[str, dict[str, Any]]:
    """Per swapped constraint kind (place, year...): how many swaps, and the share refused."""
    groups: dict[str, list[QuestionResult]] = defaultdict(list)
    for r in swaps:
        groups[r.swapped[0] if r.swapped else "?"].append(r)
    return {k: {"n": len(rs), "refused": _rate(rs, _refused)} for k, rs in sorted(groups.items())}


def _by_question_kind(results: list[QuestionResult]) -> dict[str, dict[str, Any]]:
    """Per kind of answer asked for: answerable refused and containment, and the refusal rate of
    each unanswerable kind, with their counts."""
    groups: dict[str, list[QuestionResult]] = defaultdict(list)
    for r in results:
        groups[r.question_kind()].append(r)
    table = {}
    for qkind, rs in sorted(groups.items()):
        ans = [r for r in rs if r.kind == "answerable"]
        row: dict[str, Any] = {"answerable": len(ans), "answerable_refused": _rate(ans, _refused),
                               "containment": _rate(ans, QuestionResult.contains)}
        for kind in ("article", "sibling", "swap"):
            of_kind = [r for r in rs if r.kind == kind]
            row[kind] = len(of_kind)
            row[f"{kind}_refused"] = _rate(of_kind, _refused)
        table[qkind] = row
    return table


def prepare_answer_bench(
    settings: Settings, folder: Path, cache_dir: Path, embedder: VectorEmbeddings, *, share: float = 0.2,
    sibling_share: float = 0.2, seed: int = 42, progress: bool = False,
) -> tuple[Settings, Bench, float]:
    """Index the bench's corpus (minus what it holds out); return what answering needs and the
    seconds the index took."""
    from ..pipeline import build_index
    from .nearmiss import load_bench
    from .systems import CachingEmbeddings

    bench = load_bench(folder, share=share, sibling_share=sibling_share, seed=seed)
    name = folder.resolve().name
    tag = "prepared" if bench.prepared else f"s{seed}-h{share:g}-x{sibling_share:g}"
    bsettings = corpus_settings(settings, f"{name}-{tag}", bench.contexts, cache_dir)
    t0 = time.perf_counter()
    build_index(bsettings, CachingEmbeddings(embedder, cache_dir), show_progress=progress)
    return bsettings, bench, time.perf_counter() - t0


def out_of_fold(assistant: Assistant) -> Callable[[str], Assistant]:
    """The assistant to ask a question of a given title: when the answerer's decisions were
    fitted on that title (``scripts/fit_answerer.py``), the same pipeline with the model fitted
    without the title's fold, so the bench's figures are out of fold; else ``assistant``."""
    from ..answer.decision import fold_models

    by_title: dict[str, Assistant] = {}
    for titles, models in fold_models():
        fold = assistant.with_decisions(models)
        by_title.update(dict.fromkeys(titles, fold))
    return lambda title: by_title.get(title, assistant)


def _answer(assistant: Assistant, item: BenchItem) -> QuestionResult:
    """One item through the pipeline, timed."""
    t0 = time.perf_counter()
    error = ""
    try:
        answer = assistant.ask(item.question.question)
    except AssistantError as exc:  # an over-long question: counted as a refusal
        answer, error = Answer(question=item.question.question, text="", refused=True), str(exc)
    return QuestionResult(item.question, item.kind, answer, (time.perf_counter() - t0) * 1000, error, item.swapped)


def run_answer_bench(
    settings: Settings,
    folder: Path,
    cache_dir: Path,
    *,
    share: float = 0.2,
    sibling_share: float = 0.2,
    seed: int = 42,
    embedder: VectorEmbeddings | None = None,
    limit: int | None = None,
    progress: bool = False,
) -> AnswerBenchRun:
    """Hold out a seeded ``share`` of the articles and ``sibling_share`` of the other passages,
    index the rest, answer every question and its near misses (``nearmiss``)."""
    from tqdm import tqdm

    embedder = embedder or embedder_for(settings)
    bsettings, bench, build_s = prepare_answer_bench(
        settings, folder, cache_dir, embedder, share=share, sibling_share=sibling_share, seed=seed, progress=progress)
    items = bench.items[:limit] if limit else bench.items
    assistant = Assistant.open(bsettings, embedder)
    run = AnswerBenchRun(folder.resolve().name, str(folder), bench.share, bench.seed, tuple(sorted(bench.held_titles)),
                         len(bench.contexts), index_seconds=build_s, sibling_share=bench.sibling_share,
                         removed=tuple(sorted(bench.removed)), prepared=bench.prepared)
    bar = tqdm(items, desc=f"{run.name} answers", unit="câu", file=sys.stderr, disable=not progress, leave=False)
    pick = out_of_fold(assistant)
    for item in bar:
        chosen = pick(item.question.title)
        run.out_of_fold += chosen is not assistant
        run.results.append(_answer(chosen, item))
    return run
