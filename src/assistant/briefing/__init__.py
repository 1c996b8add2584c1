"""Cited briefings: questions in, a Markdown and a Word briefing with verified footnotes out.

    timeline.py  a locality's dated events (events.py: is a sentence one, of which kind) -> Timeline
    spec.py      the question file (text, YAML or TOML) -> BriefSpec
    model.py     answers -> Briefing: footnotes numbered and verified, sources, scope
    wording.py   the Vietnamese both renderers print (scope, method, result, footnote parts)
    markdown.py  Briefing -> Markdown with [^n] footnotes
    word.py      Briefing -> .docx with real footnotes (python-docx)
    edition.py   Briefing -> its edition (.json: answers, figures, citations); what changed since the last

``assistant brief`` calls :func:`build_briefing` and :func:`write_briefing`; the chat's
"Xuất bản tin" calls :func:`assemble` on the session's answers. Both use whatever answer
backend the Assistant was opened with.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from ..errors import BriefingError, QuestionError
from ..store.disk import built_label
from ..vietnamese import fold
from .edition import Comparison, Edition, compare, edition_json, load_edition
from .markdown import to_markdown, unescape
from .model import NO_INFO, Briefing, Footnote, Item, Line, Source, assemble, title_for
from .spec import BriefSpec, Question, SectionSpec, load_spec, spec_from_mapping

__all__ = ["NO_INFO", "BriefSpec", "Briefing", "Comparison", "Edition", "Footnote", "Item", "Line", "Question",
           "SectionSpec", "Source", "assemble", "briefing_stem", "build_briefing", "compare", "edition_json",
           "load_edition", "load_spec", "spec_from_mapping", "timeline_stem", "title_for", "to_markdown", "unescape",
           "write_atomically", "write_briefing"]

FORMATS = {"md": ".md", "docx": ".docx", "json": ".json"}


def build_briefing(assistant, spec: BriefSpec, *, topic: str | None = None, written: date | None = None,
                   k: int | None = None, progress: Callable[[], None] | None = None,
                   deadline: float | None = None, since: Edition | None = None) -> Briefing:
    """Ask every question of ``spec`` and assemble the briefing.

    With ``since`` (the last edition of a recurring briefing), the briefing also says what
    changed since: ``Briefing.changes``, which the renderers and the edition file show.

    A question the pipeline rejects (too long) is named in ``Briefing.warnings`` and left out;
    the others are still answered. Past ``deadline`` (``time.monotonic()``), the questions not
    yet asked are left out and counted in a warning.
    """
    import time

    sections, warnings = [], []
    late = 0
    for section in spec.sections:
        answers = []
        for q in section.questions:
            if deadline is not None and time.monotonic() > deadline:
                late += 1
                continue
            try:
                answers.append(assistant.ask(q.text, k))
            except QuestionError as exc:
                warnings.append(f"{q.where}: skipped: {exc}")
            if progress is not None:
                progress()
        sections.append((section.title, answers))
    if late:
        warnings.append(f"{late} question(s) not answered: the briefing's time ran out; ask them in another one")
    b = assemble(sections, assistant.index.documents, topic=spec.topic if topic is None else topic,
                 written=written, built_at=built_label(assistant.index.manifest, assistant.settings.timezone), backend=assistant.settings.backend,
                 warnings=warnings)
    dropped = sum(i.dropped for i in b.items)
    if dropped:
        b = _with_warning(b, f"{dropped} sentence(s) left out: no citation of theirs could be verified")
    if since is not None:
        b = replace(b, changes=compare(b, since, assistant.index.documents))
    return b


def _with_warning(b: Briefing, warning: str) -> Briefing:
    return replace(b, warnings=(*b.warnings, warning))


def briefing_stem(topic: str, day: date, limit: int = 60) -> str:
    """A file name (no extension) for a briefing: "ban-tin-<topic as ASCII>-YYYY-MM-DD"."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(topic).lower()).strip("-")
    if len(slug) > limit:
        cut = slug[:limit]
        slug = (cut[: cut.rfind("-")] if "-" in cut else cut).strip("-")
    return "-".join(x for x in ("ban-tin", slug, day.isoformat()) if x)


def write_briefing(b: Briefing, stem: Path, formats: tuple[str, ...] = ("md", "docx")) -> list[Path]:
    """Write ``stem.md``, ``stem.docx`` and/or ``stem.json`` (the edition: what the next
    ``assistant brief --since`` compares with); each file appears whole or not at all."""
    from .word import write_docx

    paths = []
    for fmt in formats:
        if fmt not in FORMATS:
            raise BriefingError(f"unknown briefing format {fmt!r}", hint="use md, docx or json")
        path = stem.with_name(stem.name + FORMATS[fmt]) if stem.suffix.lower() not in (".md", ".docx") \
            else stem.with_suffix(FORMATS[fmt])
        if fmt == "md":
            write_atomically(path, lambda tmp: tmp.write_text(to_markdown(b), encoding="utf-8"))
        elif fmt == "json":
            write_atomically(path, lambda tmp: tmp.write_text(edition_json(b), encoding="utf-8"))
        else:
            write_atomically(path, lambda tmp: write_docx(b, tmp))
        paths.append(path)
    return paths


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """``write(tmp)`` to a temporary file beside ``path``, then renamed to it: ``path`` appears
    whole or not at all, with the permissions of an ordinary document; BriefingError if it cannot."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise BriefingError(f"cannot write {path}: {exc.strerror or exc}") from exc
    os.close(fd)
    tmp = Path(name)
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o666 & ~umask)  # mkstemp makes 0600; the briefing is an ordinary document
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise BriefingError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def timeline_stem(subject: str, partner: str | None = None) -> str:
    """A file name (no extension) for a timeline: "dong-thoi-gian-hai-phong[-kitakyushu]"."""
    return "-".join(x for x in ("dong-thoi-gian", *(re.sub(r"[^a-z0-9]+", "-", fold(w).lower()).strip("-")
                                                   for w in (subject, partner or ""))) if x)
