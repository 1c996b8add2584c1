"""QA fixtures -> metrics and reports: is a change better, or only different?

    fixtures.py   read and validate JSONL/CSV fixtures; check quotes against the corpus
    scoring.py    one answer against its fixture; averages overall and per type
    systems.py    our pipeline and the baselines (dense, BM25, plain LangChain) as Assistants
    runner.py     run every system over the same fixtures; ``evaluate`` does a whole run
    bench.py      retrieval-only benchmarks shaped like xquad_vi
    answers.py    end-to-end answer benchmarks: answerable and unanswerable items, their figures
    nearmiss.py   the answer bench's items: held-out articles and passages, swapped constraints
    constraints.py  the named constraints of a text (places, people, years, laws...) a swap replaces
    gate.py       metric floors from eval/thresholds.toml
    report.py     Markdown, JSON, PNG chart and per-question artifacts

Example::

    from assistant import load_settings
    from assistant.evaluation import evaluate, write_report
    result = evaluate(load_settings(), Path("qa.jsonl"), benches=(Path("bench/xquad_vi"),))
    write_report(result, Path("reports/eval"))
"""

from .fixtures import FixtureError, Problem, QAItem, check_fixtures, load_fixtures
from .gate import DEFAULT_THRESHOLDS, GateCheck, check_gate, load_thresholds
from .runner import EvalResult, evaluate, run_fixtures
from .scoring import aggregate, contains_accept

__all__ = [
    "DEFAULT_THRESHOLDS", "EvalResult", "FixtureError", "GateCheck", "Problem", "QAItem", "aggregate",
    "check_fixtures", "check_gate", "contains_accept", "evaluate", "load_fixtures", "load_thresholds",
    "run_fixtures", "write_report",
]


def __getattr__(name: str):  # lazy: matplotlib only when a report is written
    if name == "write_report":
        from .report import write_report

        return write_report
    raise AttributeError(name)
