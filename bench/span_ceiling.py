"""How far short answers can go without a reader model: span ranking on the gold sentence.

    python bench/span_ceiling.py                       # xquad_vi_full, 5 folds by title
    python bench/span_ceiling.py --bench ../shared/bench/xquad_vi

For every question of a SQuAD-shaped bench folder, the sentence of its passage that holds the
gold answer is given (an oracle: the answerer's own sentence is right ~90% of the time), and
``shortanswer.candidate_spans`` proposes the spans the product would choose from, labelled as
the product's evaluation labels them (``span_right``: gold inside, or token F1 >= 0.8). The
question is analysed with every term weighing the same (no corpus statistics). Printed:

* candidate recall: the share of questions with at least one right span among the candidates;
* per ranker (the product's logistic model class, and gradient-boosted trees), fitted and
  scored across folds by title: top-1 (the best span is right) and the coverage at which the
  most confident best spans are still right 90% of the time (the product's precision target)
  and 80% of the time.

This is the ceiling the lexical span signals reach with a perfect sentence; the product's
figures (``assistant eval --answer-bench``) sit below it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    from assistant.answer.shortanswer import SPAN_FEATURES, candidate_spans
    from assistant.evaluation.answers import span_right
    from assistant.evaluation.benchdata import contains_gold, load_answer_bench
    from assistant.question.analysis import analyse
    from assistant.question.query import Query
    from assistant.vietnamese import sentence_spans

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", type=Path, default=ROOT.parent / "shared" / "bench" / "xquad_vi_full")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    contexts, questions = load_answer_bench(args.bench)
    text_of = {c["context_id"]: c["text"] for c in contexts}
    names = [f for f in SPAN_FEATURES if f != "sentence_logit"]
    x, y, group, owner = [], [], [], []
    asked = 0
    for qi, q in enumerate(questions):
        text = text_of[q.context_id]
        gold = next((text[s:e] for s, e in sentence_spans(text) if contains_gold(text[s:e], q.answers)), None)
        if gold is None:
            continue
        asked += 1
        a = analyse(Query(text=q.question, dense_text=q.question, accented=True), lambda term: 1.0)
        for sp in candidate_spans(a, q.question, gold):
            x.append([sp.features[f] for f in names])
            y.append(span_right(sp.text, q.answers))
            group.append(q.title)
            owner.append(qi)
    xs, ys, gs, qs = np.asarray(x), np.asarray(y), np.asarray(group), np.asarray(owner)
    print(f"{asked} questions with a gold sentence; {len(ys)} candidate spans ({len(ys) / asked:.1f} per question)")
    print(f"candidate recall (a right span among the candidates): {len(set(qs[ys])) / asked:.3f}")
    rankers = {"logistic": lambda: LogisticRegression(max_iter=2000),
               "gradient-boosted trees": lambda: HistGradientBoostingClassifier(
                   max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40)}
    for name, make in rankers.items():
        p = np.zeros(len(ys))
        for train, test in GroupKFold(args.folds).split(xs, ys, gs):
            p[test] = make().fit(xs[train], ys[train]).predict_proba(xs[test])[:, 1]
        best: dict[int, int] = {}
        for i, q in enumerate(qs):
            if q not in best or p[i] > p[best[q]]:
                best[q] = i
        conf = np.array([p[i] for i in best.values()])
        right = np.array([ys[i] for i in best.values()])
        cum = np.cumsum(right[np.argsort(-conf)]) / np.arange(1, len(right) + 1)

        def coverage(precision: float, cum: np.ndarray = cum) -> float:
            ok = [k + 1 for k in range(9, len(cum)) if cum[k] >= precision]  # at least 10 answers
            return max(ok, default=0) / asked

        print(f"{name:>24}: top-1 right {right.sum() / asked:.3f}; coverage at precision 0.90 "
              f"{coverage(0.9):.3f}, at 0.80 {coverage(0.8):.3f}")


if __name__ == "__main__":
    main()
