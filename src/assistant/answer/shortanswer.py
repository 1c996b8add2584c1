"""The short answer: the stretch of the best sentence that answers the question, or nothing.

A reading step over one sentence. Candidate spans are

* the spans of the kind the question asks for (``kinds.answer_spans``: a date, a quantity
  with its unit and the noun it counts, a person, a place), and
* the stretches of the sentence that the question does not already say: runs of words
  between punctuation and the question's own words, at most ``MAX_WORDS`` long (SQuAD's
  answers sit next to the words that echo the question).

Each span gets a few general signals (:data:`SPAN_FEATURES`: its kind, its distance to the
question's words, the weight of the question words around it, its length...) and a logistic
model fitted on XQuAD-vi's gold spans (``scripts/fit_answerer.py``) turns them, with the
sentence model's logit, into the chance that the span is the answer. The short answer is
shown only above a threshold fitted for precision: when unsure, the quoted sentence stands
alone. A span that is only a unit, a scale or a number word ("triệu", "USD", "hai") is never
an answer.

Deliberately not here: choosing the sentence (``extractive``), fitting (the script).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..question import kinds
from ..question.analysis import Analysis
from ..vietnamese import STOPWORDS, fold
from .trees import Trees

MAX_WORDS = 10
SPAN_FEATURES = (
    "kind_span",  # found by the detector of the kind the question asks for
    "kind_overlap",  # a generic stretch that holds such a span
    "no_kind",  # the question asks for no particular kind
    "near_left",  # 1 / (1 + words from the nearest question word before it)
    "near_right",  # 1 / (1 + words to the nearest question word after it)
    "echo",  # share of the question's IDF within a few words of it
    "asked_share",  # share of its words the question already has
    "length",  # log of its word count
    "digits",  # holds a figure
    "capitals",  # share of capitalised words
    "unit",  # it, or the word after it, holds the noun the question counts ("bao nhiêu dự án": "dự án")
    "typed",  # log of the number of spans of the kind asked for in the sentence (one is likelier the answer)
    "first",  # it starts the sentence
    "spans",  # log of the number of candidate spans of the sentence
    "sentence_logit",  # the sentence model's logit for its sentence
)
_CLAUSE = 8
_WORD = re.compile(r"\w+(?:[.,/%-]\w+)*%?")
_BREAK = re.compile(r"[,;:()\"“”–—]|\s-\s")
_EDGE = frozenset(fold(w) for w in STOPWORDS) | frozenset(
    fold(w) for w in ("thì", "mà", "là", "và", "của", "đã", "được", "bị", "cũng", "đều", "rất", "nhằm", "để", "tại",
                      "đến", "tới", "sang", "qua", "bằng", "nhưng", "hoặc", "tuy", "nên", "do", "sau", "trước",
                      "khi", "đó", "này", "ấy", "các", "những", "một"))
# never an answer on their own: scales, units, number words without what they count
_BARE = frozenset(fold(w) for w in (
    ["một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười", "mươi", "trăm", "nghìn", "ngàn", "vạn", "triệu", "tỷ", "tỉ", "chục", "usd", "đồng", "vnd", "euro", "eur", "yen", "đô", "la", "%", "phần", "trăm", "người", "dự", "án", "lần"]))


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str
    features: dict[str, float]


def is_bare(text: str) -> bool:
    """Only a unit, a scale or a number word: "triệu", "USD", "hai", "%"."""
    ws = [fold(w).lower() for w in re.findall(r"\w+|%", text)]
    return not ws or all(w in _BARE for w in ws)


def _words(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), fold(m.group(0)).lower()) for m in _WORD.finditer(text)]


def _generic(text: str, asked: frozenset[str]) -> list[tuple[int, int]]:
    """Runs of words the question does not have, cut at punctuation and trimmed of function words."""
    out: list[tuple[int, int]] = []
    for piece in _pieces(text):
        s0, e0 = piece
        run: list[tuple[int, int, str]] = []
        for ws, we, w in _words(text[s0:e0]) + [(0, 0, "")]:
            if w and not (set(w.split()) <= asked):
                run.append((s0 + ws, s0 + we, w))
                continue
            while run and run[0][2] in _EDGE:
                run.pop(0)
            while run and run[-1][2] in _EDGE:
                run.pop()
            if run and len(run) <= MAX_WORDS:
                out.append((run[0][0], run[-1][1]))
            run = []
    return out


def _next_word(text: str, end: int) -> str:
    m = re.match(r"\s*(\w+)", text[end:])
    return m.group(1) if m else ""


def _pieces(text: str) -> list[tuple[int, int]]:
    cuts = [0] + [x for m in _BREAK.finditer(text) for x in (m.start(), m.end())] + [len(text)]
    return [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2) if cuts[i + 1] > cuts[i]]


def _kind_spans(a: Analysis, text: str, question: str) -> list[tuple[int, int]]:
    if a.expects in (None, "yesno"):
        return []
    found = kinds.answer_spans(a.expects, text, question)
    if a.expects == "number" and hasattr(kinds, "counted"):
        found = [kinds.counted(text, sp) for sp in found]
    return found


def candidate_spans(a: Analysis, question: str, text: str, sentence_logit: float = 0.0) -> list[Span]:
    """Every candidate span of ``text`` for the question, with its signals."""
    asked = kinds.folded_words(question)
    typed = _kind_spans(a, text, question)
    spans = dict.fromkeys(typed, True)
    for sp in _generic(text, asked):
        spans.setdefault(sp, False)
    words = _words(text)
    weight = {fold(t).lower(): w for t, w in a.terms.items() if "_" not in t}
    total = math.fsum(weight.values()) or 1.0
    matched = [i for i, (_, _, w) in enumerate(words) if w in asked]
    unit = kinds.folded_words(a.unit) if a.unit else frozenset()
    counted = [kinds.counted(text, q) for q in kinds.spans("number", text)] if unit else []
    out = []
    for (s, e), is_kind in spans.items():
        span_text = text[s:e].strip(" ,.;:")
        if not span_text or is_bare(span_text) or len(span_text.split()) > MAX_WORDS:
            continue
        inside = [i for i, (ws, we, _) in enumerate(words) if ws >= s and we <= e]
        if not inside:
            continue
        lo, hi = inside[0], inside[-1]
        left = [lo - i for i in matched if i < lo]
        right = [i - hi for i in matched if i > hi]
        near = {w for i, (_, _, w) in enumerate(words) if lo - _CLAUSE <= i <= hi + _CLAUSE and not lo <= i <= hi}
        sw = [words[i][2] for i in inside]
        raw = [text[words[i][0] : words[i][1]] for i in inside]
        features = {
            "kind_span": float(is_kind),
            "kind_overlap": float(not is_kind and any(s <= ks and ke <= e for ks, ke in typed)),
            "no_kind": float(a.expects is None),
            "near_left": 1.0 / (1 + min(left)) if left else 0.0,
            "near_right": 1.0 / (1 + min(right)) if right else 0.0,
            "echo": math.fsum(weight.get(w, 0.0) for w in near) / total,
            "asked_share": sum(w in asked for w in sw) / len(sw),
            "length": math.log1p(len(sw)),
            "digits": float(any(ch.isdigit() for ch in span_text)),
            "capitals": sum(w[:1].isupper() for w in raw) / len(raw),
            # the noun the figure itself counts: "12 tổ chức hội người …" does not count "người"
            "unit": float(bool(unit) and (any(s <= cs < e and unit <= kinds.folded_words(text[cs:ce])
                                              for cs, ce in counted) if any(ch.isdigit() for ch in text[s:e])
                                          else unit <= kinds.folded_words(text[s:e] + " " + _next_word(text, e)))),
            "typed": math.log1p(len(typed)),
            "first": float(lo == 0),
            "spans": 0.0,
            "sentence_logit": sentence_logit,
        }
        out.append(Span(s, e, span_text, features))
    for found in out:
        found.features["spans"] = math.log1p(len(out))
    return out


@dataclass(frozen=True)
class ShortModel:
    """A model over :data:`SPAN_FEATURES` (logistic, or trees when they won out of fold) and the
    threshold fitted for precision."""

    weights: tuple[float, ...]
    bias: float
    threshold: float  # for a question asking for a kind: a date, a number, a name, a place
    features: tuple[str, ...] = SPAN_FEATURES
    trees: Trees | None = None
    threshold_other: float = 1.01  # for other questions ("là gì", "như thế nào")

    def shows(self, span: Span, probability: float) -> bool:
        return probability >= (self.threshold_other if span.features["no_kind"] else self.threshold)

    def probability(self, values: dict[str, float]) -> float:
        if self.trees is not None:
            z = self.trees.logit([values[f] for f in self.features])
        else:
            z = self.bias + math.fsum(w * values[f] for w, f in zip(self.weights, self.features))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def best(self, spans: list[Span]) -> tuple[Span | None, float]:
        scored = [(self.probability(sp.features), sp) for sp in spans]
        if not scored:
            return None, 0.0
        p, sp = max(scored, key=lambda x: (x[0], -x[1].start))
        return sp, p

    def to_dict(self) -> dict[str, object]:
        return {"features": list(self.features), "weights": [round(w, 6) for w in self.weights],
                "bias": round(self.bias, 6), "threshold": round(self.threshold, 4),
                "threshold_other": round(self.threshold_other, 4),
                **({"trees": self.trees.to_dict()} if self.trees else {})}

    @classmethod
    def from_dict(cls, d: dict) -> ShortModel:
        return cls(tuple(float(w) for w in d["weights"]), float(d["bias"]), float(d["threshold"]),
                   tuple(str(f) for f in d["features"]), Trees.from_dict(d["trees"]) if d.get("trees") else None,
                   float(d.get("threshold_other", 1.01)))
