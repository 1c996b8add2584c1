"""QA fixtures: read JSONL or CSV, validate every line, check quotes against the corpus.

A fixture line is one question with its gold answer (format in the README, section
"Evaluation"). Problems are collected, never raised one at a time, so ``assistant eval
--check FILE`` can list every bad line at once, each with its line number.

Deliberately not here: running questions or scoring answers.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AssistantError
from ..ingest.loading import corpus_files

TYPES = (
    "factoid", "numeric", "date", "list", "paraphrase", "multi_doc", "temporal_conflict",
    "unanswerable", "boilerplate_trap",
)
REFUSAL_TYPES = frozenset({"unanswerable", "boilerplate_trap"})  # the right answer is a refusal
COMPLETENESS_TYPES = frozenset({"list", "temporal_conflict"})  # every accept string is expected
DIFFICULTIES = ("easy", "medium", "hard")
LIST_FIELDS = ("accept", "sources", "evidence")
TEXT_FIELDS = ("id", "question", "answer", "type", "difficulty")


class FixtureError(AssistantError):
    hint = 'list every problem with "assistant eval --check FILE"'


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    answer: str
    accept: tuple[str, ...]
    sources: tuple[str, ...]  # corpus file names, e.g. "000_ec42a8eebfee3595.txt"
    evidence: tuple[str, ...]  # verbatim quotes from those files
    type: str
    difficulty: str
    note: str = ""
    line: int = 0

    @property
    def doc_ids(self) -> frozenset[str]:
        return frozenset(Path(s).stem for s in self.sources)

    @property
    def should_refuse(self) -> bool:
        return self.type in REFUSAL_TYPES


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


# --- reading ------------------------------------------------------------------------------
def _csv_list(cell: str) -> list[str]:
    """A CSV list cell: a JSON array, or values separated by " | "."""
    cell = (cell or "").strip()
    if cell.startswith("["):
        return json.loads(cell)
    return [v.strip() for v in cell.split("|") if v.strip()]


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    """(line number, raw row) for every non-blank record; unparseable lines as Problems."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FixtureError(f"cannot read fixtures {path}: {exc}") from exc
    if path.suffix.lower() == ".csv":
        reader = csv.reader(text.splitlines())
        header = [h.strip() for h in next(reader, [])]
        start = reader.line_num + 1  # a quoted cell may span lines: report where a record starts
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                yield line, Problem(line, f"{len(cells)} cells, but the header names {len(header)} columns")
                continue
            try:
                yield line, {k: (_csv_list(v) if k in LIST_FIELDS else v) for k, v in zip(header, cells) if k}
            except json.JSONDecodeError as exc:
                yield line, Problem(line, f"a list cell is not a valid JSON array: {exc.msg}")
        return
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield n, Problem(n, f"not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        yield n, row if isinstance(row, dict) else Problem(n, "not a JSON object")


def parse_row(line: int, row: dict[str, Any]) -> tuple[QAItem | None, list[Problem]]:
    problems = []
    for name in TEXT_FIELDS:
        value = row.get(name)
        if not isinstance(value, str) or (name != "answer" and not value.strip()):
            problems.append(Problem(line, f"field {name!r} must be a non-empty string"))
    for name in LIST_FIELDS:
        value = row.get(name)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            problems.append(Problem(line, f"field {name!r} must be a list of non-empty strings"))
    if problems:
        return None, problems
    if not row["accept"]:
        problems.append(Problem(line, "field 'accept' is empty: nothing could count as correct"))
    if row["type"] not in TYPES:
        problems.append(Problem(line, f"unknown type {row['type']!r}; known: {', '.join(TYPES)}"))
    if row["difficulty"] not in DIFFICULTIES:
        problems.append(Problem(line, f"unknown difficulty {row['difficulty']!r}; known: {', '.join(DIFFICULTIES)}"))
    if row["type"] in REFUSAL_TYPES and row["sources"]:
        problems.append(Problem(line, f"a {row['type']} item must have no sources"))
    if row["type"] in TYPES and row["type"] not in REFUSAL_TYPES:
        if not row["sources"]:
            problems.append(Problem(line, "an answerable item needs at least one source"))
        if not row["evidence"]:
            problems.append(Problem(line, "an answerable item needs at least one evidence quote"))
    item = QAItem(
        id=row["id"].strip(), question=row["question"], answer=row["answer"], accept=tuple(row["accept"]),
        sources=tuple(row["sources"]), evidence=tuple(row["evidence"]), type=row["type"],
        difficulty=row["difficulty"], note=str(row.get("note") or ""), line=line,
    )
    return item, problems


def parse_fixtures(path: Path) -> tuple[list[QAItem], list[Problem]]:
    items: list[QAItem] = []
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for line, row in read_rows(path):
        if isinstance(row, Problem):
            problems.append(row)
            continue
        item, found = parse_row(line, row)
        problems.extend(found)
        if item is None:
            continue
        if item.id in first_line:
            problems.append(Problem(line, f"duplicate id {item.id!r} (first on line {first_line[item.id]})"))
            continue
        first_line[item.id] = line
        items.append(item)
    if not items and not problems:
        problems.append(Problem(0, "the file holds no fixtures"))
    return items, problems


def load_fixtures(path: Path) -> list[QAItem]:
    """Every item of a JSONL or CSV fixture file; any malformed line is an error."""
    items, problems = parse_fixtures(path)
    if problems:
        shown = "; ".join(str(p) for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise FixtureError(f"{path}: {shown}{more}")
    return items


# --- checking against the corpus --------------------------------------------------------------
def _squash_raw(text: str) -> str:
    # subtle: the quotes were copied from the raw files, so compare with the raw files (not
    # the cleaned text), only NFC-normalised and with all whitespace removed.
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def check_fixtures(path: Path, corpus_dir: Path) -> tuple[list[QAItem], list[Problem]]:
    """Parse ``path`` and check its sources and evidence quotes against ``corpus_dir``."""
    items, problems = parse_fixtures(path)
    files = {p.name: _squash_raw(p.read_text(encoding="utf-8-sig", errors="replace")) for p in corpus_files(corpus_dir)}
    stems = {Path(name).stem: name for name in files}
    for item in items:
        for source in item.sources:
            if source not in files:
                hint = f" (did you mean {stems[Path(source).stem]!r}?)" if Path(source).stem in stems else ""
                problems.append(Problem(item.line, f"unknown source {source!r}: no such file in {corpus_dir}{hint}"))
        for i, quote in enumerate(item.evidence, start=1):
            key = _squash_raw(quote)
            where = [name for name, text in files.items() if key in text]
            if not where:
                problems.append(Problem(item.line, f"evidence {i} «{_short(quote)}» does not occur in the corpus"))
            elif all(s in files for s in item.sources) and not set(where) & set(item.sources):
                found_in = ", ".join(where)
                msg = f"evidence {i} «{_short(quote)}» occurs in {found_in}, not in its sources"
                problems.append(Problem(item.line, msg))
    problems.sort(key=lambda p: p.line)
    return items, problems
