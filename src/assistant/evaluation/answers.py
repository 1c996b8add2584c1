"""End-to-end answer bench on SQuAD-shaped sets: answerable and unanswerable questions.

A folder like ``../shared/bench/xquad_vi`` (``contexts.jsonl`` + ``questions.jsonl``) becomes
a corpus, minus a seeded share of whole articles (every context of a title): the questions
of those held-out articles have no answer in the corpus, and a good assistant refuses them,
while it answers the others. Every question goes through the configured pipeline exactly as
``assistant ask`` would answer it. We report, over answerable questions: refusals, answer
containment (a gold span inside the answer text or its short answer, NFC + casefold), the
gold passage among the citations, and the short answer's EM/F1 against the gold spans
(SQuAD's token measure); over unanswerable ones: refusals; and latency.

The split is a pure function of the titles, the share and the seed, so two runs (or the fit
script in ``bench/fit_answerer.py``) hold out the same articles.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import string
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..documents import Answer
from ..errors import AssistantError
from ..ingest.embedding import VectorEmbeddings
from ..pipeline import embedder_for
from ..vietnamese import normalize
from .benchdata import BenchError, read_jsonl, write_corpus
from .scoring import percentile


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    context_id: str
    title: str


def load_answer_bench(folder: Path) -> tuple[list[dict], list[GoldQuestion]]:
    contexts = read_jsonl(folder / "contexts.jsonl")
    try:
        titles = {c["context_id"]: str(c.get("title") or c["context_id"]) for c in contexts}
        questions = [
            GoldQuestion(str(q["id"]), str(q["question"]), tuple(str(a) for a in q.get("answers") or ()),
                         str(q["context_id"]), titles[q["context_id"]])
            for q in read_jsonl(folder / "questions.jsonl")
        ]
    except (KeyError, TypeError, AttributeError) as exc:
        raise BenchError(f"{folder}: a line lacks a field or names an unknown context: {exc}") from exc
    return contexts, questions


def held_out_titles(titles: Sequence[str], share: float = 0.2, seed: int = 42) -> frozenset[str]:
    """A seeded ``share`` of the distinct titles (at least one when share > 0)."""
    distinct = sorted(set(titles))
    if share <= 0 or not distinct:
        return frozenset()
    rng = random.Random(seed)
    rng.shuffle(distinct)
    return frozenset(distinct[: max(1, round(share * len(distinct)))])


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


def contains_gold(text: str, golds: Sequence[str]) -> bool:
    hay = " ".join(normalize(text).casefold().split())
    return any(" ".join(normalize(g).casefold().split()) in hay for g in golds if g.strip())


@dataclass
class QuestionResult:
    question: GoldQuestion
    answerable: bool
    answer: Answer
    latency_ms: float
    error: str = ""

    @property
    def short(self) -> str | None:
        return self.answer.short_answer

    def contains(self) -> bool:
        shown = self.answer.text + " " + (self.short or "")
        return not self.answer.refused and contains_gold(shown, self.question.answers)

    def cites_gold(self) -> bool:
        return not self.answer.refused and any(c.doc_id == self.question.context_id for c in self.answer.citations)

    def artifact(self) -> dict[str, Any]:
        q = self.question
        return {
            "id": q.id, "question": q.question, "gold": list(q.answers), "context_id": q.context_id,
            "title": q.title, "answerable": self.answerable, "refused": self.answer.refused,
            "short_answer": self.short, "answer": self.answer.text,
            "cited": [c.doc_id for c in self.answer.citations], "contains": self.contains(),
            "cites_gold": self.cites_gold(), "f1": round(token_f1(self.short, q.answers), 3),
            "latency_ms": round(self.latency_ms, 1), "error": self.error,
        }


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

    def summary(self) -> dict[str, Any]:
        ans = [r for r in self.results if r.answerable]
        una = [r for r in self.results if not r.answerable]

        def rate(xs: list, pred) -> float | None:
            return sum(1 for x in xs if pred(x)) / len(xs) if xs else None

        given = [r for r in ans if r.short]
        lat = [r.latency_ms for r in self.results]
        return {
            "name": self.name, "path": self.path, "share_held_out": self.share, "seed": self.seed,
            "titles_held_out": len(self.held_out), "contexts_indexed": self.contexts,
            "questions": len(self.results), "answerable": len(ans), "unanswerable": len(una),
            "answerable_refused": rate(ans, lambda r: r.answer.refused),
            "containment": rate(ans, QuestionResult.contains),
            "gold_cited": rate(ans, QuestionResult.cites_gold),
            "unanswerable_refused": rate(una, lambda r: r.answer.refused),
            "short_answer_given": rate(ans, lambda r: bool(r.short)),
            "short_em": sum(exact_match(r.short, r.question.answers) for r in ans) / len(ans) if ans else None,
            "short_f1": sum(token_f1(r.short, r.question.answers) for r in ans) / len(ans) if ans else None,
            "short_f1_when_given": (sum(token_f1(r.short, r.question.answers) for r in given) / len(given)
                                    if given else None),
            "errors": sum(1 for r in self.results if r.error),
            "index_seconds": round(self.index_seconds, 1),
            "latency_ms": {"p50": percentile(lat, 50), "p95": percentile(lat, 95)},
        }


def prepare_answer_bench(
    settings: Settings, folder: Path, cache_dir: Path, embedder: VectorEmbeddings, *, share: float = 0.2,
    seed: int = 42, progress: bool = False,
) -> tuple[Settings, list[GoldQuestion], frozenset[str], int, float]:
    """Index the bench's corpus minus the held-out articles; return what answering needs."""
    from ..pipeline import build_index
    from .systems import CachingEmbeddings

    contexts, questions = load_answer_bench(folder)
    held = held_out_titles([str(c.get("title") or c["context_id"]) for c in contexts], share, seed)
    kept = [c for c in contexts if str(c.get("title") or c["context_id"]) not in held and c["text"].strip()]
    name = folder.resolve().name
    bsettings = corpus_settings(settings, f"{name}-s{seed}-h{share:g}", kept, cache_dir)
    t0 = time.perf_counter()
    build_index(bsettings, CachingEmbeddings(embedder, cache_dir), show_progress=progress)
    return bsettings, questions, held, len(kept), time.perf_counter() - t0


def run_answer_bench(
    settings: Settings,
    folder: Path,
    cache_dir: Path,
    *,
    share: float = 0.2,
    seed: int = 42,
    embedder: VectorEmbeddings | None = None,
    limit: int | None = None,
    progress: bool = False,
) -> AnswerBenchRun:
    """Hold out a seeded ``share`` of the articles, index the rest, answer every question."""
    from tqdm import tqdm

    from ..pipeline import Assistant

    embedder = embedder or embedder_for(settings)
    bsettings, questions, held, n_ctx, build_s = prepare_answer_bench(
        settings, folder, cache_dir, embedder, share=share, seed=seed, progress=progress)
    questions = questions[:limit] if limit else questions
    assistant = Assistant.open(bsettings, embedder)
    run = AnswerBenchRun(folder.resolve().name, str(folder), share, seed, tuple(sorted(held)), n_ctx,
                         index_seconds=build_s)
    bar = tqdm(questions, desc=f"{run.name} answers", unit="câu", file=sys.stderr, disable=not progress, leave=False)
    for q in bar:
        t0 = time.perf_counter()
        error = ""
        try:
            answer = assistant.ask(q.question)
        except AssistantError as exc:  # an over-long question: counted as a refusal
            answer, error = Answer(question=q.question, text="", refused=True), str(exc)
        run.results.append(QuestionResult(q, q.title not in held, answer, (time.perf_counter() - t0) * 1000, error))
    return run
