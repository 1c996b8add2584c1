"""The answerer's decisions, fitted on data: does this sentence answer the question?

A logistic model over a few general signals of a candidate sentence (e5 similarity, IDF
coverage of the question, retrieval rank, whether it holds the kind of answer asked for,
whether what the question names is what the sentence's article states...). Its parameters
and its two thresholds live in ``data/answerer.json``, written by ``scripts/fit_answerer.py``
from public QA data (XQuAD-vi with whole articles held out, and the development fixtures);
the same file records what the fit measured on articles it was not fitted on.

* ``answer_threshold``: when the question-level model, reading the best sentence, puts the
  chance that the corpus answers below it, the question is refused;
* ``extra_threshold``: further sentences quoted beside the best one must reach it.

Deliberately not here: computing the signals (``extractive``) and fitting (the script).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from .shortanswer import SPAN_FEATURES, ShortModel
from .trees import Trees

FEATURES = (
    "dense",  # e5 cosine of sentence and question
    "dense_gap",  # minus the best cosine among the candidates (<= 0)
    "coverage",  # IDF-weighted share of question terms in the sentence
    "coverage_window",  # the same over the sentence and its neighbours
    "coverage_gap",  # minus the best coverage among the candidates (<= 0)
    "rank",  # 1 / rank of the passage it came from
    "kind_missing",  # the question asks for a kind (date, number, person...) the sentence lacks
    "window_missing",  # share of the question's two rarest words (not places, figures) not near the sentence
    "asked_missing",  # neither the kind asked for nor either of those words: the sentence only shares the topic
    "article_missing",  # IDF share of question terms found nowhere in the sentence's article
    "top_missing",  # the question's rarest term is not in the article
    "novelty",  # share of the sentence's terms the question does not have
    "length",  # log of the sentence's term count
    # what the question names (places, years, figures, acronyms, laws, names) against what the
    # sentence states: near misses state the same kind of fact for another province or year
    "unmatched",  # share the sentence and the sentences it depends on do not state
    "unmatched_sentence",  # share the sentence itself does not state
    "conflict",  # share for which the sentence states another of the same sort instead
    # the detectors, as yes/no signals (extractive._checks); the model's ``vetoes`` still exclude
    "rule_article_date",
    "rule_period",
    "rule_place",
    "rule_place_conflict",
    "rule_acronym",
    "rule_figure",
    "rule_person",
    "rule_named_place",
    "rule_unit",
    "rule_past_figure",
)
RULES = ("article date", "period", "place", "place conflict", "acronym", "figure", "person", "named place", "unit",
         "past figure")


# The question-level decision reads the best sentence's signals, the sentence model's logit, and
# the best logit among the sentences that state everything the question names (no constraint
# unmatched, none in conflict; NO_MATCH when there is none): a near miss has sentences that
# answer for another province or year, and sentences that name the province, but not one that does both.
ANSWER_FEATURES = (*FEATURES, "sentence_logit", "matched_logit")
NO_MATCH = -10.0
_KEYS = {"features", "weights", "bias", "answer_weights", "answer_bias", "answer_threshold", "extra_threshold",
         "vetoes", "answer_trees"}


def _sigmoid(z: float) -> float:
    return float(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))


@dataclass(frozen=True)
class DecisionModel:
    """Two logistic models: which sentence answers (``weights``), and whether the best one
    answers at all (``answer_weights`` over :data:`ANSWER_FEATURES` of the best sentence)."""

    weights: tuple[float, ...]
    bias: float
    answer_weights: tuple[float, ...]
    answer_bias: float
    answer_threshold: float
    extra_threshold: float
    features: tuple[str, ...] = FEATURES
    answer_features: tuple[str, ...] = ANSWER_FEATURES
    vetoes: tuple[str, ...] = RULES  # detectors (RULES) that exclude a sentence outright
    answer_trees: Trees | None = None  # when the fit found trees better out of fold: replaces answer_weights
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def logit(self, values: dict[str, float]) -> float:
        return self.bias + sum(w * values[f] for w, f in zip(self.weights, self.features))

    def probability(self, values: dict[str, float]) -> float:
        """P(this sentence holds the answer)."""
        return _sigmoid(self.logit(values))

    def answerable(self, values: dict[str, float], matched_logit: float = NO_MATCH) -> float:
        """P(the question is answered by the corpus), from its best sentence's signals and the
        best logit among the sentences that state all it names."""
        row = {**values, "sentence_logit": self.logit(values), "matched_logit": max(matched_logit, NO_MATCH)}
        if self.answer_trees is not None:
            return _sigmoid(self.answer_trees.logit([row[f] for f in self.answer_features]))
        return _sigmoid(self.answer_bias + sum(w * row[f] for w, f in zip(self.answer_weights,
                                                                            self.answer_features)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "weights": [round(w, 6) for w in self.weights],
            "bias": round(self.bias, 6),
            "answer_features": list(self.answer_features),
            "answer_weights": [round(w, 6) for w in self.answer_weights],
            "answer_bias": round(self.answer_bias, 6),
            "answer_threshold": round(self.answer_threshold, 4),
            "extra_threshold": round(self.extra_threshold, 4),
            "vetoes": list(self.vetoes),
            **({"answer_trees": self.answer_trees.to_dict()} if self.answer_trees else {}),
            **self.meta,
        }

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DecisionModel:
        try:
            features = tuple(str(f) for f in d["features"])
            weights = tuple(float(w) for w in d["weights"])
            answer_weights = tuple(float(w) for w in d["answer_weights"])
            answer_features = tuple(str(f) for f in d["answer_features"])
            vetoes = tuple(str(v) for v in d.get("vetoes", RULES))
            trees = Trees.from_dict(d["answer_trees"]) if d.get("answer_trees") else None
            model = cls(weights, float(d["bias"]), answer_weights, float(d["answer_bias"]),
                        float(d["answer_threshold"]), float(d["extra_threshold"]), features, answer_features,
                        vetoes, trees, {k: v for k, v in d.items() if k not in _KEYS | {"answer_features"}})
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"malformed answerer parameters: {exc}", hint="rerun scripts/fit_answerer.py") from exc
        unknown = (set(features) - set(FEATURES)) | (set(answer_features) - set(ANSWER_FEATURES)) | (
            set(vetoes) - set(RULES))
        if unknown or len(weights) != len(features) or len(answer_weights) != len(answer_features):
            raise ConfigError(f"answerer parameters name unknown features {sorted(unknown)}",
                              hint="rerun scripts/fit_answerer.py")
        return model


@dataclass(frozen=True)
class Decisions:
    """One model for questions asked in Vietnamese, one for questions asked in English: e5's
    cross-lingual similarities run lower, and English questions reach BM25 only through the
    glossary, so the same signals mean different things."""

    vietnamese: DecisionModel
    english: DecisionModel
    short: ShortModel | None = None  # the short answer's span model (Vietnamese questions)
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def pick(self, english: bool) -> DecisionModel:
        return self.english if english else self.vietnamese

    def to_dict(self) -> dict[str, Any]:
        short = {"short": self.short.to_dict()} if self.short else {}
        return {"vietnamese": self.vietnamese.to_dict(), "english": self.english.to_dict(), **short, **self.meta}

    @classmethod
    def load(cls, path: Path) -> Decisions:
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read answerer parameters {path}: {exc}") from exc
        if not isinstance(d, dict) or not isinstance(d.get("vietnamese"), dict) or not isinstance(
                d.get("english"), dict):
            raise ConfigError(f"{path}: answerer parameters need a vietnamese and an english model",
                              hint="rerun scripts/fit_answerer.py")
        return cls.from_dict(d)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Decisions:
        try:
            short = ShortModel.from_dict(d["short"]) if isinstance(d.get("short"), dict) else None
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"malformed short-answer parameters: {exc}", hint="rerun scripts/fit_answerer.py") from exc
        if short is not None and set(short.features) - set(SPAN_FEATURES):
            raise ConfigError("short-answer parameters name unknown features", hint="rerun scripts/fit_answerer.py")
        return cls(DecisionModel.from_dict(d["vietnamese"]), DecisionModel.from_dict(d["english"]), short,
                   {k: v for k, v in d.items() if k not in ("vietnamese", "english", "short", "folds")})


@lru_cache(maxsize=1)
def default_model() -> Decisions:
    from importlib.resources import as_file, files

    with as_file(files("assistant").joinpath("data/answerer.json")) as path:
        return Decisions.load(Path(path))


@lru_cache(maxsize=1)
def fold_models() -> tuple[tuple[frozenset[str], Decisions], ...]:
    """The models fitted without each fold's titles (``data/answerer_folds.json``), for
    out-of-fold evaluation on the data the committed model was fitted on; () if absent."""
    from importlib.resources import files

    resource = files("assistant").joinpath("data/answerer_folds.json")
    if not resource.is_file():
        return ()
    try:
        d = json.loads(resource.read_text(encoding="utf-8"))
        return tuple((frozenset(str(t) for t in f["titles"]), Decisions.from_dict(f)) for f in d["folds"])
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ConfigError(f"malformed answerer folds: {exc}", hint="rerun scripts/fit_answerer.py fit") from exc


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, weights: np.ndarray | None = None,
                 iterations: int = 50) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method (IRLS) on standardised columns.

    Returns weights and bias on the original scale. Deterministic: no random start.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    sw = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    beta = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2)
    reg[-1] = 0.0  # the intercept is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -30, 30)))
        grad = z.T @ (sw * (p - y)) + reg * beta
        hess = (z * (sw * p * (1 - p))[:, None]).T @ z + np.diag(reg) + 1e-9 * np.eye(z.shape[1])
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    w = beta[:-1] / scale
    b = beta[-1] - float(np.sum(beta[:-1] * mean / scale))
    return w, float(b)
