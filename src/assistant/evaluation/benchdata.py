"""Benchmark folders on disk: contexts.jsonl + questions.jsonl, and the corpus made of them.

Shared by the retrieval bench (``bench``) and the answer bench (``answers``); imports no
other part of the evaluation.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..errors import AssistantError
from ..vietnamese import normalize


class BenchError(AssistantError):
    hint = "a benchmark folder holds contexts.jsonl (context_id, title, text) and questions.jsonl"


@dataclass(frozen=True)
class BenchQuestion:
    id: str
    question: str
    context_id: str


def read_jsonl(path: Path) -> list[dict]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BenchError(f"cannot read {path}: {exc}") from exc


def load_bench(folder: Path) -> tuple[list[dict], list[BenchQuestion]]:
    contexts = read_jsonl(folder / "contexts.jsonl")
    try:
        rows = read_jsonl(folder / "questions.jsonl")
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


# --- answer benchmarks: gold questions and their articles -----------------------------------------
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


def contains_gold(text: str, golds: Sequence[str]) -> bool:
    hay = " ".join(normalize(text).casefold().split())
    return any(" ".join(normalize(g).casefold().split()) in hay for g in golds if g.strip())
