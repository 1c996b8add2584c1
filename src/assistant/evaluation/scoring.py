"""Scoring one answer against its fixture, and averaging scores overall and per type.

Matching rules (the same for every system, so ratios between systems are fair):

* accept strings: NFC and one tone convention, case-insensitive, whitespace runs collapsed,
  optionally without diacritics; a match must stand on word boundaries, so "19" does not
  match inside "2019" nor "10,2" inside "10,25";
* evidence quotes: the same normalisation with all whitespace removed, because the quotes
  were copied from raw scraped files where words are sometimes glued ("PCPNNđạt");
* a citation *supports* an evidence quote when its passage contains the quote, or its quoted
  sentence and the quote share a run of at least half the shorter of the two (min 20 chars).

Not here: running the pipeline, or any formatting of results.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher

from ..documents import Answer, Citation, Document, ScoredChunk
from ..vietnamese import fold, normalize
from .fixtures import COMPLETENESS_TYPES, QAItem

HIT_AT = (1, 5, 10)


# --- matching -----------------------------------------------------------------------------
def _canon(text: str, ignore_diacritics: bool = False) -> str:
    text = normalize(text).casefold()
    return fold(text) if ignore_diacritics else text


def squash(text: str) -> str:
    """Canonical form with no whitespace at all: for comparing quotes with passages."""
    return re.sub(r"\s+", "", _canon(text))


def contains_accept(answer: str, accept: str, ignore_diacritics: bool = False) -> bool:
    hay = re.sub(r"\s+", " ", _canon(answer, ignore_diacritics))
    needle = re.sub(r"\s+", " ", _canon(accept, ignore_diacritics)).strip()
    if not needle:
        return False
    # subtle: a number must not be the tail or head of a longer number ("2/2025" in "12/2/2025").
    pattern = r"(?<!\w)(?<!\d[/.,])" + re.escape(needle) + r"(?![/.,]\d)(?!\w)"
    return re.search(pattern, hay) is not None


def supports(citation: Citation, evidence: str) -> bool:
    return quote_supports(citation.quote, evidence) or squash(evidence) in squash(citation.passage)


def quote_supports(quote: str, evidence: str) -> bool:
    """The cited sentence itself overlaps the evidence (stricter than passage containment)."""
    q, ev = squash(quote), squash(evidence)
    if not q or not ev:
        return False
    if q in ev or ev in q:
        return True
    m = SequenceMatcher(None, q, ev, autojunk=False).find_longest_match(0, len(q), 0, len(ev))
    return m.size >= max(20, 0.5 * min(len(q), len(ev)))


def evidence_in_passages(evidence: str, hits: Sequence[ScoredChunk], documents: dict[str, Document]) -> bool:
    """Does the quote lie inside the retrieved text? Overlapping chunks of one article are
    merged first, so a quote that straddles two retrieved chunks still counts."""
    key = squash(evidence)
    spans: dict[str, list[tuple[int, int]]] = {}
    for h in hits:
        spans.setdefault(h.chunk.doc_id, []).append((h.chunk.start, h.chunk.end))
    for doc_id, parts in spans.items():
        text = documents[doc_id].text if doc_id in documents else ""
        merged: list[list[int]] = []
        for s, e in sorted(parts):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        if any(key in squash(text[s:e]) for s, e in merged):
            return True
    return False


def invented_citations(answer: Answer) -> list[int]:
    """``[n]`` markers in the answer text with no citation numbered n."""
    known = {c.n for c in answer.citations}
    return sorted({int(n) for n in re.findall(r"\[(\d+)\]", answer.text)} - known)


# --- one item -----------------------------------------------------------------------------
@dataclass
class ItemScore:
    id: str
    type: str
    answerable: bool
    correct: bool
    completeness: float | None  # list / temporal_conflict items only
    refused: bool
    should_refuse: bool
    hits: dict[int, bool] = field(default_factory=dict)  # hit@k by source article
    rr: float | None = None  # reciprocal rank of the first passage from a source article
    evidence_recall: float | None = None  # share of evidence quotes inside the k passages
    citations: int = 0
    supported: int = 0  # citations whose passage contains or quote overlaps an evidence quote
    supported_strict: int = 0  # citations whose quote overlaps an evidence quote
    evidence_cited: bool | None = None  # answerable items: is any evidence quote cited?
    invented: int = 0
    latency_ms: dict[str, float] = field(default_factory=dict)
    error: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hits"] = {f"hit@{k}": v for k, v in self.hits.items()}
        return d


def score_item(
    item: QAItem,
    answer: Answer,
    ranked: Sequence[ScoredChunk],
    k: int,
    documents: dict[str, Document],
    latency_ms: dict[str, float],
    ignore_diacritics: bool = False,
) -> ItemScore:
    """Score one answer; ``ranked`` is the retrieval list (at least 10 long when possible)
    and its first ``k`` passages are the ones the answerer was given."""
    found = [contains_accept(answer.text, a, ignore_diacritics) for a in item.accept]
    score = ItemScore(
        id=item.id, type=item.type, answerable=not item.should_refuse, correct=any(found),
        completeness=sum(found) / len(found) if item.type in COMPLETENESS_TYPES else None,
        refused=answer.refused, should_refuse=item.should_refuse, latency_ms=latency_ms,
    )
    if item.doc_ids:
        first = next((r for r, h in enumerate(ranked, start=1) if h.chunk.doc_id in item.doc_ids), None)
        score.hits = {n: first is not None and first <= n for n in HIT_AT}
        score.rr = 1.0 / first if first else 0.0
    if item.evidence:
        inside = [evidence_in_passages(ev, ranked[:k], documents) for ev in item.evidence]
        score.evidence_recall = sum(inside) / len(inside)
    score.citations = len(answer.citations)
    score.supported = sum(any(supports(c, ev) for ev in item.evidence) for c in answer.citations)
    score.supported_strict = sum(any(quote_supports(c.quote, ev) for ev in item.evidence) for c in answer.citations)
    if not item.should_refuse:
        score.evidence_cited = any(supports(c, ev) for c in answer.citations for ev in item.evidence)
    score.invented = len(invented_citations(answer))
    return score


# --- many items ---------------------------------------------------------------------------
def _mean(values: Iterable[float | bool | None]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100), as numpy's default."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


METRICS = (
    # name, what it means (the Markdown report prints these)
    ("hit@1", "a passage from a source article ranks 1st"),
    ("hit@5", "... in the top 5"),
    ("hit@10", "... in the top 10"),
    ("mrr", "mean reciprocal rank of the first passage from a source article"),
    ("evidence_recall", "share of evidence quotes inside the k passages given to the answerer"),
    ("answer_accuracy", "an accept string appears in the answer (all items)"),
    ("answerable_accuracy", "the same, over answerable items only"),
    ("completeness", "share of accept strings present (list, temporal_conflict)"),
    ("refusal_precision", "refusals that were right"),
    ("refusal_recall", "unanswerable/boilerplate_trap items refused"),
    ("citation_precision", "citations whose passage contains, or whose quote overlaps, an evidence quote"),
    ("citation_precision_strict", "citations whose quoted sentence overlaps an evidence quote"),
    ("citation_recall", "answerable items with an evidence quote cited"),
    ("invented_citations", "[n] markers with no matching citation (count)"),
)


def aggregate(scores: Sequence[ItemScore]) -> dict[str, float | int | None]:
    refused = [s for s in scores if s.refused]
    should = [s for s in scores if s.should_refuse]
    out: dict[str, float | int | None] = {"items": len(scores)}
    for n in HIT_AT:
        out[f"hit@{n}"] = _mean(s.hits[n] for s in scores if s.hits)
    out["mrr"] = _mean(s.rr for s in scores)
    out["evidence_recall"] = _mean(s.evidence_recall for s in scores)
    out["answer_accuracy"] = _mean(s.correct for s in scores)
    out["answerable_accuracy"] = _mean(s.correct for s in scores if s.answerable)
    out["completeness"] = _mean(s.completeness for s in scores)
    out["refusal_precision"] = _ratio(sum(s.should_refuse for s in refused), len(refused))
    out["refusal_recall"] = _ratio(sum(s.refused for s in should), len(should))
    out["citation_precision"] = _ratio(sum(s.supported for s in scores), sum(s.citations for s in scores))
    out["citation_precision_strict"] = _ratio(sum(s.supported_strict for s in scores), sum(s.citations for s in scores))
    out["citation_recall"] = _mean(s.evidence_cited for s in scores)
    out["invented_citations"] = sum(s.invented for s in scores)
    out["errors"] = sum(bool(s.error) for s in scores)
    return out


def latency(scores: Sequence[ItemScore]) -> dict[str, dict[str, float | None]]:
    stages = ("retrieval", "answer", "end_to_end")
    return {
        st: {"p50": percentile([s.latency_ms[st] for s in scores if st in s.latency_ms], 50),
             "p95": percentile([s.latency_ms[st] for s in scores if st in s.latency_ms], 95)}
        for st in stages
    }


def by_type(scores: Sequence[ItemScore]) -> dict[str, dict[str, float | int | None]]:
    types = sorted({s.type for s in scores})
    return {t: aggregate([s for s in scores if s.type == t]) for t in types}
