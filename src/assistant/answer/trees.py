"""Gradient-boosted trees as data: what the fit script exports from scikit-learn, evaluated here
with plain Python so that answering needs no scikit-learn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Trees:
    """Gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier, exported by the fit
    script so that answering needs no scikit-learn): the logit is ``baseline`` plus, per tree,
    the value of the leaf the row reaches. Each node is (feature, threshold, left, right, leaf
    value, is leaf); a row goes left when its feature is <= the threshold."""

    baseline: float
    trees: tuple[tuple[tuple[int, float, int, int, float, bool], ...], ...]

    def logit(self, row: list[float]) -> float:
        z = self.baseline
        for nodes in self.trees:
            i = 0
            while not nodes[i][5]:
                f, t, left, right = nodes[i][:4]
                i = left if row[f] <= t else right
            z += nodes[i][4]
        return z

    def to_dict(self) -> dict[str, Any]:
        return {"baseline": round(self.baseline, 6),
                "trees": [[[f, round(t, 6), a, b, round(v, 6), int(leaf)] for f, t, a, b, v, leaf in nodes]
                          for nodes in self.trees]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Trees:
        return cls(float(d["baseline"]), tuple(
            tuple((int(f), float(t), int(a), int(b), float(v), bool(leaf)) for f, t, a, b, v, leaf in nodes)
            for nodes in d["trees"]))
