"""Load and strictly render the prompt templates in ``prompts/`` (in a wheel: ``prompt_templates/``).

Templates are data: plain text files with ``{name}`` placeholders. Rendering is strict in
both directions: a placeholder with no value and a value with no placeholder are errors, so
renaming a variable on one side fails loudly (one test renders every template).
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

from ..errors import PromptError

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompt_templates"


def prompts_dir() -> Path:
    """The packaged copy in an installed wheel (setup.py puts it there), else prompts/ of the checkout."""
    if PROMPTS_DIR.is_dir():
        return PROMPTS_DIR
    return Path(__file__).resolve().parents[3] / "prompts"


@cache
def load_template(name: str) -> str:
    path = prompts_dir() / f"{name}.txt"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptError(f"prompt template {name!r} not found in {path.parent}") from exc


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def render(name: str, **values: object) -> str:
    template = load_template(name)
    wanted = placeholders(template)
    missing = wanted - values.keys()
    extra = values.keys() - wanted
    if missing:
        raise PromptError(f"template {name!r} needs {sorted(missing)} but they were not given")
    if extra:
        raise PromptError(f"template {name!r} has no placeholder for {sorted(extra)}")
    return template.format(**values)


def template_names() -> list[str]:
    return sorted(p.stem for p in prompts_dir().glob("*.txt"))
