"""What a briefing asks: a topic and sections of questions, read from a text, YAML or TOML file.

Text file (any extension but .yaml/.yml/.toml): one question per line; blank lines and lines
starting with ``#`` are skipped; everything lands in one untitled section.

YAML or TOML: a mapping with an optional ``topic`` (or ``title``) and either ``questions``
(a list) or ``sections``, a list of ``{title, questions}`` tables::

    topic: Công tác đối ngoại của Hải Phòng
    sections:
      - title: Lịch sử hình thành
        questions:
          - Sở Ngoại vụ Hải Phòng được thành lập khi nào?

A file that cannot be parsed, or whose shape is wrong, raises BriefingError naming the file
and, where the parser knows it, the line. Each question keeps where it came from
(``questions.txt:4``), so a question the pipeline rejects can be named and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BriefingError
from ..vietnamese import clean_input

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

EXAMPLE = 'sections:\n  - title: "..."\n    questions: ["...", "..."]'


@dataclass(frozen=True)
class Question:
    text: str
    where: str  # "questions.txt:4" or "plan.toml: sections[2].questions[1]"


@dataclass(frozen=True)
class SectionSpec:
    title: str  # "" for the one section of a plain question list
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class BriefSpec:
    topic: str
    sections: tuple[SectionSpec, ...]

    @property
    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]


def load_spec(path: Path) -> BriefSpec:
    """The topic and questions in ``path``; BriefingError if it cannot be read or has none."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise BriefingError(f"no such question file: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BriefingError(f"cannot read {path}: {exc}", hint="save it as UTF-8 text") from exc
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        spec = _from_mapping(_yaml(raw, path), path)
    elif suffix == ".toml":
        try:
            data = tomllib.loads(raw)
        except tomllib.TOMLDecodeError as exc:
            raise BriefingError(f"{path}: not valid TOML: {exc}") from exc
        spec = _from_mapping(data, path)
    else:
        spec = _from_lines(raw, path)
    if not spec.questions:
        raise BriefingError(f"{path} holds no questions", hint="one question per line, or see assistant brief --help")
    return spec


def spec_from_mapping(data: Any, where: str = "request") -> BriefSpec:
    """A spec from already-parsed data (the HTTP API's JSON), checked as a YAML/TOML file is."""
    spec = _from_mapping(data, Path(where))
    if not spec.questions:
        raise BriefingError(f"{where} holds no questions", hint="give 'questions' or 'sections'")
    return spec


def _from_lines(raw: str, path: Path) -> BriefSpec:
    questions = tuple(
        Question(line.strip(), f"{path.name}:{i}")
        for i, line in enumerate(raw.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    )
    return BriefSpec("", (SectionSpec("", questions),))


def _yaml(raw: str, path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise BriefingError(f"{where}: not valid YAML: {problem}",
                            hint='put a question in quotes when it holds ": " or sits in [ ], e.g. - "Câu hỏi?"') from exc


def _from_mapping(data: Any, path: Path) -> BriefSpec:
    if not isinstance(data, dict):
        raise BriefingError(f"{path}: expected a mapping with 'topic' and 'sections' or 'questions'",
                            hint=f"for example:\n{EXAMPLE}")
    unknown = set(data) - {"topic", "title", "sections", "questions"}
    if unknown:
        raise BriefingError(f"{path}: unknown key(s) {', '.join(sorted(map(str, unknown)))}",
                            hint="known keys: topic (or title), sections, questions")
    topic = _text(data.get("topic", data.get("title", "")), f"{path}: topic")
    if "sections" in data and "questions" in data:
        raise BriefingError(f"{path}: give either 'sections' or 'questions', not both")
    if "questions" in data:
        return BriefSpec(topic, (SectionSpec("", _questions(data["questions"], path, "questions")),))
    sections = data.get("sections")
    if not isinstance(sections, list):
        raise BriefingError(f"{path}: 'sections' should be a list of {{title, questions}}", hint=f"for example:\n{EXAMPLE}")
    out = []
    for i, section in enumerate(sections, start=1):
        where = f"sections[{i}]"
        if not isinstance(section, dict) or "questions" not in section:
            raise BriefingError(f"{path}: {where} should have a title and a list of questions",
                                hint=f"for example:\n{EXAMPLE}")
        title = _text(section.get("title", ""), f"{path}: {where}.title")
        out.append(SectionSpec(title, _questions(section["questions"], path, f"{where}.questions")))
    return BriefSpec(topic, tuple(out))


def _questions(items: Any, path: Path, where: str) -> tuple[Question, ...]:
    if not isinstance(items, list):
        raise BriefingError(f"{path}: {where} should be a list of questions")
    out = []
    for j, item in enumerate(items, start=1):
        text = _text(item, f"{path}: {where}[{j}]")
        if text:
            out.append(Question(text, f"{path.name}: {where}[{j}]"))
    return tuple(out)


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise BriefingError(f"{where} should be text, not {type(value).__name__}")
    return clean_input(str(value)).strip()
