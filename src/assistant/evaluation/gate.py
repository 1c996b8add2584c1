"""The regression gate: floors for a few metrics of our pipeline, kept in the repository.

``eval/thresholds.toml`` holds a ``[gate]`` table of ``metric = floor`` pairs, metric names
as in the report's JSON (``answer_accuracy``, ``refusal_recall``, ``citation_precision``,
``hit@5``...). A metric below its floor, or one the run could not measure, fails the gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

DEFAULT_THRESHOLDS = Path("eval") / "thresholds.toml"


@dataclass(frozen=True)
class GateCheck:
    metric: str
    value: float | None
    floor: float

    @property
    def passed(self) -> bool:
        return self.value is not None and self.value >= self.floor

    def __str__(self) -> str:
        shown = "n/a" if self.value is None else f"{self.value:.3f}"
        return f"{'PASS' if self.passed else 'FAIL'} {self.metric} = {shown} (floor {self.floor:.3f})"


def load_thresholds(path: Path) -> dict[str, float]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read gate thresholds {path}: {exc}", hint="pass --thresholds FILE") from exc
    gate = data.get("gate")
    if not isinstance(gate, dict) or not gate:
        raise ConfigError(f"{path} has no [gate] table of metric = floor")
    try:
        return {str(k): float(v) for k, v in gate.items()}
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: every floor in [gate] must be a number") from exc


def check_gate(metrics: dict[str, Any], thresholds: dict[str, float]) -> list[GateCheck]:
    """Floors of fixture metrics always apply; ``<bench>.<metric>`` floors apply when that
    answer bench ran (``assistant eval --answer-bench DIR``)."""
    unknown = [m for m in thresholds if m not in metrics and "." not in m]
    if unknown:
        raise ConfigError(f"unknown gate metric {unknown[0]!r}", hint=f"known: {', '.join(metrics)}")
    benches = {m.split(".", 1)[0] for m in metrics if "." in m}
    return [GateCheck(m, metrics.get(m), floor) for m, floor in thresholds.items()
            if "." not in m or m.split(".", 1)[0] in benches]
