"""Near misses for the answer bench: questions whose answer is not in the corpus, though their
topic is.

Out of a SQuAD-shaped folder (contexts with titles, questions with gold spans) come four kinds
of item, all asked of one index:

* **answerable**: the question's passage is in the corpus;
* **article**: its whole article (every context of its title) is held out: a seeded share of
  the titles, exactly as ``answers.held_out_titles`` chooses them;
* **sibling**: only its passage is held out; the rest of the article (same topic, other facts)
  stays. It must be refused, or answered from another passage holding a gold span;
* **swap**: an answerable question with one named constraint (``constraints``: a place, a
  person, a year, a number with its unit, an acronym, a law...) replaced by another of the same
  kind that its article states elsewhere and its gold sentence does not. It must be refused.

A swap is kept only if no passage of the corpus seems to answer it: it is rejected when a
sentence, with the sentences on either side of it in its passage, states the new value and at
least half of the swapped question's *content words*. Those are its words (NFC, diacritics
folded, lower case, split on non-word characters) minus Vietnamese stopwords
(``vietnamese.STOPWORDS``), question words (``question.analysis.QUESTION_WORDS``, split into
syllables) and the words of the new value. Every choice is seeded, per question for swaps.

``choose_holdout`` + ``construct`` are the API (also used to make training data);
``load_bench`` reads a folder, or a folder ``scripts/make_near_misses.py`` wrote (its lines carry
a ``kind``: used as is). Deliberately not here: answering and scoring (``answers``).
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..question.analysis import QUESTION_WORDS
from ..vietnamese import STOPWORDS, normalize, sentence_spans
from .benchdata import BenchError, GoldQuestion, contains_gold, held_out_titles, load_answer_bench, read_jsonl
from .constraints import Constraint, find_constraints, fold_lower, folded_words, states

KINDS = ("answerable", "article", "sibling", "swap")


@dataclass(frozen=True)
class BenchItem:
    question: GoldQuestion  # for a swap: id f"{orig}-swap", the swapped text, the original's gold
    kind: str  # one of KINDS
    swapped: tuple[str, str, str] | None = None  # (constraint kind, from, to) for a swap

    @property
    def answerable(self) -> bool:
        return self.kind == "answerable"


def title_of(context: dict) -> str:
    return str(context.get("title") or context["context_id"])


# --- what is held out ------------------------------------------------------------------------
def choose_holdout(contexts: list[dict], questions: list[GoldQuestion], *, share: float = 0.2,
                   sibling_share: float = 0.2, seed: int = 42) -> tuple[frozenset[str], frozenset[str]]:
    """(held-out titles, removed context_ids of kept titles that have questions).

    The titles are ``held_out_titles`` of the titles, share and seed. The removed contexts are
    a seeded ``sibling_share`` of the kept titles' contexts that have a question, never one that
    would leave its title without a passage in the corpus.
    """
    held = held_out_titles([title_of(c) for c in contexts], share, seed)
    asked = {q.context_id for q in questions}
    passages: dict[str, set[str]] = defaultdict(set)
    for c in contexts:
        if title_of(c) not in held and c["text"].strip():
            passages[title_of(c)].add(c["context_id"])
    eligible = sorted(cid for cids in passages.values() if len(cids) > 1 for cid in cids if cid in asked)
    random.Random(f"siblings:{seed}").shuffle(eligible)
    wanted = round(sibling_share * len(eligible))
    titles = {c["context_id"]: title_of(c) for c in contexts}
    removed: set[str] = set()
    for cid in eligible:
        if len(removed) == wanted:
            break
        if len(passages[titles[cid]] - removed) > 1:
            removed.add(cid)
    return held, frozenset(removed)


def construct(contexts: list[dict], questions: list[GoldQuestion], *, held_titles: frozenset[str],
              removed: frozenset[str], seed: int = 42, swaps: bool = True) -> tuple[list[dict], list[BenchItem]]:
    """(the contexts to index, every item: answerable, article, sibling, and the swaps).

    Items keep the order of ``questions``; a question's swap follows it.
    """
    kept = [c for c in contexts
            if title_of(c) not in held_titles and c["context_id"] not in removed and c["text"].strip()]
    articles: dict[str, list[dict]] = defaultdict(list)
    for c in contexts:
        articles[title_of(c)].append(c)
    corpus = CorpusSentences.of(kept) if swaps else None
    items: list[BenchItem] = []
    for q in questions:
        kind = "article" if q.title in held_titles else "sibling" if q.context_id in removed else "answerable"
        items.append(BenchItem(q, kind))
        if kind == "answerable" and corpus is not None:
            item = swap(q, articles[q.title], corpus, random.Random(f"swap:{seed}:{q.id}"))
            items += [item] if item else []
    return kept, items


# --- the corpus's sentences, to check that nothing answers a swap ----------------------------
@dataclass(frozen=True)
class CorpusSentences:
    """Each sentence of the corpus with its neighbours (folded, see ``constraints.fold_lower``),
    its words, and which windows hold each word."""

    windows: tuple[str, ...]
    words: tuple[frozenset[str], ...]
    postings: dict[str, frozenset[int]]

    @classmethod
    def of(cls, contexts: Iterable[dict]) -> CorpusSentences:
        windows = [w for c in contexts for w in _windows(normalize(c["text"]))]
        words = [frozenset(re.findall(r"\w+", w)) for w in windows]
        postings: dict[str, set[int]] = defaultdict(set)
        for i, ws in enumerate(words):
            for w in ws:
                postings[w].add(i)
        return cls(tuple(windows), tuple(words), {w: frozenset(ids) for w, ids in postings.items()})

    def answers(self, value: Constraint, content: frozenset[str]) -> bool:
        """Some window states ``value`` and at least half of the ``content`` words."""
        for form in value.forms:
            first = re.findall(r"\w+", form)[:1]
            for i in self.postings.get(first[0], ()) if first else range(len(self.windows)):
                if states(self.windows[i], value) and 2 * len(content & self.words[i]) >= len(content):
                    return True
        return False


def _windows(text: str) -> list[str]:
    sentences = [fold_lower(text[s:e]) for s, e in sentence_spans(text)]
    return [" ".join(sentences[max(0, i - 1) : i + 2]) for i in range(len(sentences))]


@lru_cache(maxsize=1)
def _not_content() -> frozenset[str]:
    return frozenset(s for w in STOPWORDS | QUESTION_WORDS for s in folded_words(w.replace("_", " ")))


def content_words(question: str, value: Constraint | None = None) -> frozenset[str]:
    """The question's content words (see the module docstring), without those of ``value``."""
    drop = _not_content() | set(folded_words(value.text) if value else ())
    return frozenset(w for w in folded_words(question) if w not in drop)


# --- one swap ---------------------------------------------------------------------------------
def swap(question: GoldQuestion, article: list[dict], corpus: CorpusSentences,
         rng: random.Random) -> BenchItem | None:
    """``question`` with one constraint replaced by another of its ``article`` (every context of
    its title) that its gold sentence does not state, and that no window of ``corpus`` answers;
    None when there is none. The constraint, then its replacement, are drawn with ``rng``."""
    text = normalize(question.question)
    asked = fold_lower(text)
    gold = _gold_sentences(question, article)
    found = find_constraints(text)
    rng.shuffle(found)
    values = _article_values(tuple((c["context_id"], c["text"]) for c in article))
    for c in found:
        choices = [v for v in values if c.fits(v) and not states(gold, v) and not states(asked, v)]
        rng.shuffle(choices)
        for v in choices:
            swapped = _capitalised(text[: c.start] + v.text + text[c.end :])
            if not corpus.answers(v, content_words(swapped, v)):
                q = GoldQuestion(f"{question.id}-swap", swapped, question.answers, question.context_id,
                                 question.title)
                return BenchItem(q, "swap", (c.kind, c.text, v.text))
    return None


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _gold_sentences(question: GoldQuestion, article: list[dict]) -> str:
    """The sentences of the gold passage that hold a gold span (folded); the whole passage when
    none does (a span across a sentence end)."""
    passage = normalize(next((c["text"] for c in article if c["context_id"] == question.context_id), ""))
    held = [passage[s:e] for s, e in sentence_spans(passage) if contains_gold(passage[s:e], question.answers)]
    return fold_lower(" ".join(held) if held else passage)


@lru_cache(maxsize=64)
def _article_values(article: tuple[tuple[str, str], ...]) -> tuple[Constraint, ...]:
    """Every constraint the article states, one per way of writing it, in article order."""
    seen: dict[tuple[str, str, str], Constraint] = {}
    for _, text in article:
        text = normalize(text)
        for s, e in sentence_spans(text):
            for c in find_constraints(text[s:e]):
                seen.setdefault((c.kind, c.group, c.forms[0]), c)
    return tuple(seen.values())


# --- folders ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bench:
    """What one answer-bench run indexes and asks, and how it was made."""

    contexts: list[dict]  # to index
    items: list[BenchItem]
    held_titles: frozenset[str]
    removed: frozenset[str]
    share: float
    sibling_share: float
    seed: int
    prepared: bool = False  # read from a folder made by scripts/make_near_misses.py


def load_bench(folder: Path, *, share: float = 0.2, sibling_share: float = 0.2, seed: int = 42) -> Bench:
    """A SQuAD-shaped folder, held out and swapped here; or a prepared folder, as it is."""
    rows = read_jsonl(folder / "questions.jsonl")
    if rows and "kind" in rows[0]:
        return _load_prepared(folder, rows)
    contexts, questions = load_answer_bench(folder)
    held, removed = choose_holdout(contexts, questions, share=share, sibling_share=sibling_share, seed=seed)
    kept, items = construct(contexts, questions, held_titles=held, removed=removed, seed=seed)
    return Bench(kept, items, held, removed, share, sibling_share, seed)


def _load_prepared(folder: Path, rows: list[dict]) -> Bench:
    contexts = read_jsonl(folder / "contexts.jsonl")
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    try:
        items = [BenchItem(GoldQuestion(str(r["id"]), str(r["question"]), tuple(str(a) for a in r.get("answers") or ()),
                                        str(r["context_id"]), str(r["title"])),
                           str(r["kind"]), tuple(r["swapped"]) if r.get("swapped") else None)  # type: ignore[arg-type]
                 for r in rows]
    except (KeyError, TypeError) as exc:
        raise BenchError(f"{folder}: a prepared question lacks a field: {exc}") from exc
    unknown = {i.kind for i in items} - set(KINDS)
    if unknown:
        raise BenchError(f"{folder}: unknown kind {min(unknown)!r} (known: {', '.join(KINDS)})")
    return Bench(contexts, items, frozenset(i.question.title for i in items if i.kind == "article"),
                 frozenset(i.question.context_id for i in items if i.kind == "sibling"),
                 float(manifest.get("share", 0.0)), float(manifest.get("sibling_share", 0.0)),
                 int(manifest.get("seed", 0)), prepared=True)


def write_prepared(bench: Bench, out: Path, source: str) -> dict:
    """Write ``bench`` as a prepared folder (contexts.jsonl, questions.jsonl, manifest.json) that
    ``load_bench`` reads as is; return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    _write_jsonl(out / "contexts.jsonl", bench.contexts)
    _write_jsonl(out / "questions.jsonl", [_item_row(i) for i in bench.items])
    manifest = {
        "source": source, "seed": bench.seed, "share": bench.share, "sibling_share": bench.sibling_share,
        "contexts_indexed": len(bench.contexts), "kinds": {k: sum(i.kind == k for i in bench.items) for k in KINDS},
        "swapped": dict(Counter(i.swapped[0] for i in bench.items if i.swapped).most_common()),
        "titles_held_out": sorted(bench.held_titles), "contexts_removed": sorted(bench.removed),
        "made_by": "scripts/make_near_misses.py (assistant.evaluation.nearmiss)",
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def _write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _item_row(item: BenchItem) -> dict:
    q = item.question
    return {"id": q.id, "question": q.question, "answers": list(q.answers), "context_id": q.context_id,
            "title": q.title, "kind": item.kind, "answerable": item.answerable,
            "swapped": list(item.swapped) if item.swapped else None}
