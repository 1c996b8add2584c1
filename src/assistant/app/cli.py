"""The ``assistant`` command: thin wrappers that parse, call one library function, print.

Every command takes ``--corpus DIR`` and ``--index DIR`` after its name. Errors the library
expects (AssistantError) print as one line plus a hint and exit 1; ``--debug`` shows the
traceback instead.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..answer.backends import choice as backend_choice
from ..config import K_RANGE, Settings, field_help, load_plugins, load_settings
from ..documents import Filters
from ..errors import AssistantError, IndexMissingError, QuestionError
from ..ingest.loading import shown_path
from ..question.followup import Exchange
from ..vietnamese import clean_input, strip_controls
from .payloads import search_payload

HELP = field_help()


def data_dir_option(fn: Callable) -> Callable:
    """``--data-dir``: the folder of the accounts' database (the setting data_dir), for commands
    about the accounts. Below ``common_options``, which hands over the settings."""

    @click.option("--data-dir", "data_dir", type=click.Path(path_type=Path), help=HELP["data_dir"])
    @functools.wraps(fn)
    def wrapper(settings: Settings, data_dir: Path | None = None, **kwargs: Any) -> Any:
        return fn(settings.with_overrides(data_dir=data_dir), **kwargs)

    return wrapper


def common_options(fn: Callable) -> Callable:
    @click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), help=HELP["corpus_dir"])
    @click.option("--index", "index_dir", type=click.Path(path_type=Path), help=HELP["index_dir"])
    @click.option("--embedder", help=HELP["embedder"])
    @click.option("--debug", is_flag=True, default=None, help=HELP["debug"])
    @functools.wraps(fn)
    def wrapper(**kwargs: Any) -> Any:
        keys = ("corpus_dir", "index_dir", "embedder", "debug")
        overrides = {k: kwargs.pop(k) for k in keys}
        debug = bool(overrides.get("debug"))
        try:
            settings = load_settings(**overrides)
            debug = settings.debug
            return fn(settings, **kwargs)
        except AssistantError as exc:
            if debug:
                raise
            click.echo(clean_input(f"Error: {exc.described()}"), err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted; the previous index is unchanged.", err=True)
            sys.exit(130)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="assistant")
def main() -> None:
    """Cited answers in Vietnamese over news articles on provincial foreign affairs.

    \b
    Typical use:
      assistant index                      # build or update index/ from corpus/
      assistant add bai-bao.html bao-cao.pdf   # copy into corpus/ and update the index
      assistant ask "Sở Ngoại vụ Hà Nội được thành lập khi nào?"
      assistant search "kiều bào Hải Phòng" --k 3 --json
      assistant brief questions.txt --topic "Đối ngoại Hải Phòng"   # cited .md + .docx
      assistant timeline "Hải Phòng" --partner Kitakyushu   # dated events, each a quote
    """
    try:  # before a command reads its options: a plugin may add choices (ASSISTANT_PLUGINS)
        load_plugins()
    except AssistantError as exc:
        click.echo(clean_input(f"Error: {exc.described()}"), err=True)
        sys.exit(1)


@main.command()
@common_options
@click.option("--rebuild", is_flag=True, help="Ignore the existing index and embed everything again.")
@click.option("--faiss-index", type=click.Choice(["auto", "flat", "hnsw", "ivf", "ivf-sq8"]), help=HELP["faiss_index"])
@click.option("--store", type=click.Choice(["faiss", "milvus"]), help=HELP["store"])
@click.option("--ray", "ray_address", metavar="ADDRESS", help=HELP["ray_address"])
def index(settings: Settings, rebuild: bool, faiss_index: str | None, store: str | None, ray_address: str | None) -> None:
    """Build or update the index from the corpus folder.

    Only new or changed articles are embedded again; removed articles drop out. A file that
    cannot be read is named and skipped; the others are still indexed. The previous index
    stays usable until the new one is complete.

    \b
    Examples:
      assistant index --corpus corpus --index index
      assistant index --store milvus           # vectors in index/milvus.db (Milvus Lite)
      ASSISTANT_MILVUS_URI=http://milvus:19530 assistant index --store milvus
      assistant index --ray head-node:6379     # segmentation and embedding on a Ray cluster
    """
    from ..pipeline import build_index

    settings = settings.with_overrides(faiss_index=faiss_index, store=store, ray_address=ray_address)
    click.echo(f"Đang lập chỉ mục {settings.corpus_dir} -> {settings.index_dir} ...", err=True)
    report = build_index(settings, rebuild=rebuild, show_progress=True)
    for s in report.skipped:
        click.echo(f"Warning: {s.path}: {s.reason}", err=True)
    for note in report.notes:
        click.echo(f"Warning: {note}", err=True)
    _copies(report.copies)
    what = "Đã lập chỉ mục" if report.rebuilt else "Đã cập nhật chỉ mục"
    changes = []
    for label, ids in (("thêm", report.added), ("sửa", report.changed), ("bỏ", report.removed)):
        if ids:
            changes.append(f"{label}: {', '.join(ids)}")
    click.echo(
        f"{what}: {report.documents} bài viết, {report.chunks} đoạn; "
        f"nhúng mới {report.embedded}, dùng lại {report.reused}; {_seconds(report.seconds)}"
        + (f" ({'; '.join(changes)})" if changes else "")
    )


def _seconds(seconds: float) -> str:
    return f"{seconds:.1f} giây".replace(".", ",")


def _built(b) -> str:
    """The line an add or a remove ends with, when it rebuilt the index."""
    return f"Đã cập nhật chỉ mục: {b.documents} bài viết, {b.chunks} đoạn; {_seconds(b.seconds)}"


def _copies(copies: tuple[tuple[str, str], ...]) -> None:
    for copy, article in copies:
        click.echo(strip_controls(f"{copy}: the same text as {article}; recorded as another publication of it"))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True,
              help="A file named like an article of the corpus replaces it (else it is saved under a free name).")
@common_options
def add(settings: Settings, paths: tuple[Path, ...], replace: bool) -> None:
    """Add files or folders to the corpus and update the index.

    Each file is read first (news pages saved as .html, .pdf with a text layer, .docx, .txt,
    .md); a file that cannot be read is named and skipped, with the reason, and never copied.
    Readable files are copied into the corpus folder, then only the new text is embedded. A
    different file named like an article already there is saved under a free name
    (bai-2.html) unless --replace says it updates that article.

    \b
    Examples:
      assistant add ~/Downloads/bai-bao.html bao-cao-2024.pdf
      assistant add ~/luu-tru/cong-van/          # every supported file under the folder
      assistant add --replace bai-bao.html       # a corrected version of an article
    """
    from ..pipeline import add_documents

    click.echo(f"Đang thêm vào {settings.corpus_dir} ...", err=True)
    report = add_documents(settings, list(paths), show_progress=True, overwrite=replace)
    for p in report.placed:
        name = f" -> {p.name}" if p.name and p.name != Path(p.source).name else ""
        line = f"{p.status}: {p.source}{name}" + (f" ({p.reason})" if p.reason else "")
        click.echo(strip_controls(line), err=p.status == "skipped")
    if report.build:
        for s in report.build.skipped:
            click.echo(strip_controls(f"Warning: {s.path}: {s.reason}"), err=True)
        _copies(report.build.copies)
        b = report.build
        click.echo(_built(b) + f" (nhúng mới {b.embedded}, dùng lại {b.reused})")
    from .accounts import SHELL

    accounts = _accounts(settings)
    if accounts.count():  # a department's server: its audit says who added what
        accounts.audit_documents(SHELL, report.placed)
    counts = {s: len(report.of(s)) for s in ("added", "updated", "unchanged", "skipped")}
    click.echo(", ".join(f"{n} {s}" for s, n in counts.items()))
    if not counts["added"] and not counts["updated"] and not counts["unchanged"]:
        sys.exit(1)


@main.command()
@click.argument("targets", nargs=-1, required=True)
@common_options
def remove(settings: Settings, targets: tuple[str, ...]) -> None:
    """Take articles out of the corpus and update the index: they are answered no more.

    Name each by its article id (as citations show it), its file name or its path. The files
    go to the corpus's .removed/ folder, never deleted, their metadata.json entries beside them
    in removed-metadata.json: move a file back (and copy its entry back) and run `assistant
    index` to restore it. Copies the index recorded of an article (the same text
    republished elsewhere) go with it.

    \b
    Examples:
      assistant remove a_haiphong
      assistant remove corpus/bai-cu.html bai-trung.pdf
    """
    from ..pipeline import remove_documents
    from .accounts import SHELL

    accounts = _accounts(settings)

    def audit(removed: list) -> None:  # a department's server: its audit says who removed what, once moved
        if accounts.count():
            for w in removed:
                accounts.audit(SHELL, "removed document", w.name, w.reason)

    report = remove_documents(settings, list(targets), show_progress=True, withdrawn_hook=audit)
    for w in report.withdrawn:
        name = f" -> {w.kept}" if w.kept else ""
        line = f"{w.status}: {w.target}{name}" + (f" ({w.reason})" if w.reason else "")
        click.echo(strip_controls(line), err=w.status == "skipped")
    if report.build:
        b = report.build
        click.echo(_built(b))
    removed = report.of("removed")
    click.echo(f"{len(removed)} removed, {len(report.of('skipped'))} skipped")
    if not removed:
        sys.exit(1)


@main.group()
def docs() -> None:
    """The articles of the index (the library)."""


@docs.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per article, for scripts.")
@common_options
def docs_list(settings: Settings, as_json: bool) -> None:
    """List the articles the live index answers from: id, date, outlet, title, pages, copies,
    and who added each and when (from the audit, on a department's server)."""
    from ..store.disk import live_documents

    documents = live_documents(settings.index_dir)
    if documents is None:
        raise IndexMissingError(f"no index in {shown_path(settings.index_dir)}")
    accounts = _accounts(settings)
    added = accounts.document_history() if accounts.count() else {}
    for d in sorted(documents, key=lambda d: (d.date_sort or "", d.doc_id), reverse=True):
        who = added.get(Path(d.path).name)
        row: dict[str, Any] = {"id": d.doc_id, "title": d.title, "date": d.date, "outlet": d.outlet, "url": d.url,
               "file": Path(d.path).name, "pages": len(d.pages) if d.pages else None,
               "copies": [c.doc_id for c in d.copies],
               "added_by": who.actor if who else None,
               "added_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(who.at)) if who else None}
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
            continue
        extra = [f"{row['pages']} pages"] if row["pages"] else []
        extra += [f"{len(row['copies'])} copies"] if row["copies"] else []
        extra += [f"added by {row['added_by']} {row['added_at']}"] if who else []
        click.echo(strip_controls(f"{d.doc_id}\t{d.date_label or '-'}\t{d.outlet or '-'}\t{d.title}"
                                  + (f"\t({', '.join(extra)})" if extra else "")))
    if not as_json:
        click.echo(f"{len(documents)} articles", err=True)


@dataclass(frozen=True)
class Asked:
    """One question to answer, or why its line cannot be one (``--questions`` keeps every line).

    ``text`` is as given: the pipeline cleans and validates it (``question.understand``).
    """

    text: str
    line: int | None = None  # 1-based line of the --questions file
    error: str = ""


def _questions(question: str | None, questions_file: Path | None) -> list[Asked]:
    """The questions to answer: one per ``\\n``-separated line of the file, blank lines included.

    subtle: ``str.splitlines`` would also split at U+2028, U+0085 and other separators, and
    dropping blank lines shifts every later answer; output line N must answer input line N.
    """
    if questions_file is not None:
        try:
            data = questions_file.read_bytes()
        except OSError as exc:
            raise QuestionError(f"cannot read questions file {shown_path(questions_file)}: {exc.strerror}") from exc
        lines = data.removeprefix(b"\xef\xbb\xbf").split(b"\n")
        if lines and lines[-1] == b"":  # the newline that ends the last line starts no new one
            lines.pop()
        out = []
        for n, raw in enumerate(lines, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                shown = raw.decode("utf-8", errors="replace")
                out.append(Asked(shown, n, f"line {n} is not valid UTF-8 (byte {exc.start})"))
                continue
            out.append(Asked(text, n))
        return out
    if question is None:
        raise QuestionError("no question given", hint='assistant ask "câu hỏi" or --questions FILE')
    return [Asked(question)]


def _failed(q: Asked, error: str) -> dict:
    return {"line": q.line, "question": clean_input(q.text).strip(), "error": error}


def _numbered(q: Asked, row: dict) -> dict:
    """``row`` led by the --questions line it answers (plain questions have none)."""
    return row if q.line is None else {"line": q.line, **row}


def _open(settings: Settings):
    from ..pipeline import Assistant

    return Assistant.open(settings)


_LINE_BREAKERS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


def _each(qs: list[Asked], batch: bool, one: Callable[[Asked], None]) -> None:
    """``one(q)`` for every question; in a batch, a bad line or a refused question is its error row."""
    for q in qs:
        if q.error:
            _emit_jsonl(_failed(q, q.error))
            continue
        try:
            one(q)
        except QuestionError as exc:
            if not batch:
                raise
            _emit_jsonl(_failed(q, str(exc)))


def _emit_jsonl(obj: dict) -> None:
    """One JSON object per line; separators that some readers take for line breaks are escaped."""
    click.echo(json.dumps(obj, ensure_ascii=False).translate(_LINE_BREAKERS))


def filter_options(fn: Callable) -> Callable:
    """--since, --until, --locality, --outlet -> one ``filters`` argument (documents.Filters)."""

    @click.option("--since", metavar="DATE",
                  help="Only articles published on or after DATE (YYYY, YYYY-MM, YYYY-MM-DD or dd/mm/yyyy).")
    @click.option("--until", metavar="DATE", help="Only articles published on or before DATE (same forms).")
    @click.option("--locality", "localities", multiple=True, metavar="NAME",
                  help="Only articles about NAME, a province or city (repeat for several).")
    @click.option("--outlet", "outlets", multiple=True, metavar="SITE",
                  help="Only articles from SITE, e.g. vov.vn (repeat for several).")
    @functools.wraps(fn)
    def wrapper(*args: Any, since: str | None, until: str | None, localities: tuple[str, ...],
                outlets: tuple[str, ...], **kwargs: Any) -> Any:
        try:
            filters = Filters.of(since, until, localities, outlets)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--since/--until") from None
        return fn(*args, filters=filters, **kwargs)

    return wrapper


@main.command()
@click.argument("question", required=False)
@common_options
@filter_options
@click.option("--k", type=click.IntRange(*K_RANGE), help=HELP["k"])
@click.option("--json", "as_json", is_flag=True, help="Print JSON: question and results.")
@click.option("--questions", "questions_file", type=click.Path(path_type=Path),
              help="File of questions, one per line; prints one JSON object per line, output line N for "
                   "input line N (a blank or undecodable line gets an \"error\" object).")
def search(settings: Settings, question: str | None, k: int | None, as_json: bool, questions_file: Path | None,
           filters: Filters) -> None:
    """Show the passages that best match QUESTION (no answer).

    \b
    Example:
      assistant search "So Ngoai vu Ha Noi thanh lap nam nao" --k 3
      assistant search "hợp tác với Nhật Bản" --since 2023 --outlet vov.vn
    """
    qs = _questions(question, questions_file)
    assistant = _open(settings)

    def one(q: Asked) -> None:
        hits, timings = assistant.search(q.text, k, filters)
        payload = search_payload(clean_input(q.text).strip(), hits, timings)
        if filters:
            payload["filters"] = filters.to_dict()
        if as_json or questions_file is not None:
            _emit_jsonl(_numbered(q, payload))
            return
        for i, r in enumerate(payload["results"], start=1):
            click.echo(strip_controls(f"[{i}] {r['title']} — {r['date']} ({r['doc_id']}, score {r['score']:.4f})"))
            click.echo(strip_controls("    " + r["text"].replace("\n", "\n    ") + "\n"))

    _each(qs, questions_file is not None, one)


def print_answer(answer: Any, text: bool = True) -> None:
    """An answer for a terminal: whatever an article holds, no control character reaches it."""
    if text:
        click.echo(strip_controls(answer.text))
    if answer.asked:
        click.echo(strip_controls(f"(Câu hỏi được hiểu là: «{answer.question}»)"))
    for notice in answer.notices:
        click.echo(strip_controls(f"⚠ {notice}"))
    if answer.citations:
        click.echo("\nNguồn:")
        for c in answer.citations:
            where = ", ".join(x for x in (c.outlet, c.url, f"tr. {c.page}" if c.page else "") if x)
            if c.also:
                where += f" (cũng đăng trên: {', '.join(c.also)})"
            click.echo(strip_controls(f"[{c.n}] {c.title} — {c.date}" + (f" — {where}" if where else "") + f" ({c.doc_id})"))
            click.echo(strip_controls(f"    «{c.quote}»"))
    if answer.nearest:
        click.echo("\nGần nhất (không đủ để trả lời):")
        for c in answer.nearest:
            click.echo(strip_controls(f"- «{c.quote}» — {c.title} ({c.date}, {c.doc_id})"))


@main.command()
@click.argument("question", required=False)
@common_options
@filter_options
@click.option("--k", type=click.IntRange(*K_RANGE), help=HELP["k"])
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON: answer, refused, citations, short_answer, timings_ms.")
@click.option("--questions", "questions_file", type=click.Path(path_type=Path),
              help="File of questions, one per line; prints one JSON object per line, output line N for "
                   "input line N (a blank or undecodable line gets an \"error\" object).")
@click.option("--backend", type=backend_choice(), help=HELP["backend"])
@click.option("--conversation", is_flag=True,
              help="With --questions: the lines are one conversation, each may follow up the ones before it "
                   "(\"Còn Hà Nội thì sao?\"), as in the chat.")
def ask(settings: Settings, question: str | None, k: int | None, as_json: bool, questions_file: Path | None,
        backend: str | None, conversation: bool, filters: Filters) -> None:
    """Answer QUESTION in Vietnamese, citing the exact sentences it comes from.

    When the articles do not hold the answer it says so instead of guessing. A question
    asking for a date, number, name, place or yes/no gets that short answer first
    ("17/12/1996 [1]"), then the quoted sentences. With a generative backend the answer streams sentence by sentence, each checked against the
    passage it cites first (see "Generative backends" in README.md).

    \b
    Example:
      assistant ask "Sở Ngoại vụ Hà Nội được thành lập khi nào?"
      assistant ask --questions questions.txt > answers.jsonl
      assistant ask --questions hoi-thoai.txt --conversation   # line 2 may be "Còn Hà Nội thì sao?"
      assistant ask --backend llamacpp "Hải Phòng ký bản ghi nhớ với tỉnh Niigata khi nào?"
      assistant ask "Hà Nội hợp tác với những địa phương nào?" --since 2019 --until 2020
    """
    if conversation and questions_file is None:
        raise click.UsageError("--conversation reads a --questions file as one conversation")
    settings = settings.with_overrides(backend=backend)
    qs = _questions(question, questions_file)
    assistant = _open(settings)

    history: list[Exchange] = []

    def one(q: Asked) -> None:
        earlier = history if conversation else []
        if as_json or questions_file is not None:
            answer = assistant.ask(q.text, k, earlier, filters)
            _emit_jsonl(_numbered(q, answer.to_dict()))
        else:
            answer = None
            for part in assistant.ask_stream(q.text, k, earlier, filters):
                if isinstance(part, str):
                    click.echo(strip_controls(part), nl=False)
                    sys.stdout.flush()
                else:
                    answer = part
            click.echo()
            print_answer(answer, text=False)
        history.append(Exchange(answer.question, answer.text))

    _each(qs, questions_file is not None, one)


@main.command()
@click.argument("questions_file", metavar="QUESTIONS", type=click.Path(path_type=Path))
@common_options
@click.option("--topic", help="Topic in the title [default: the file's topic, else \"Bản tin tổng hợp\"].")
@click.option("-o", "--out", "out", type=click.Path(path_type=Path),
              help="Output path without extension; '-' prints the Markdown [default: ban-tin-YYYY-MM-DD].")
@click.option("--format", "fmt", type=click.Choice(["both", "md", "docx"]), default="both", show_default=True,
              help="Write Markdown, Word (.docx) or both.")
@click.option("--date", "written", type=click.DateTime(["%Y-%m-%d"]), help="Date of writing [default: today].")
@click.option("--k", type=click.IntRange(*K_RANGE), help=HELP["k"])
@click.option("--backend", type=backend_choice(), help=HELP["backend"])
@click.option("--since", "since", type=click.Path(path_type=Path), metavar="LAST_EDITION.json",
              help="The last edition's .json: say per question what changed since (new figures, new sources, "
                   "no longer supported, unchanged) and mark the new lines.")
def brief(settings: Settings, questions_file: Path, topic: str | None, out: Path | None, fmt: str,
          written: Any, k: int | None, backend: str | None, since: Path | None) -> None:
    """Write a cited briefing (Markdown and DOCX) answering the questions in QUESTIONS.

    QUESTIONS is a text file with one question per line (# starts a comment), or a YAML or
    TOML file with a topic and titled sections:

    \b
      topic: Công tác đối ngoại của Hải Phòng
      sections:
        - title: Lịch sử hình thành
          questions:
            - Sở Ngoại vụ Hải Phòng được thành lập khi nào?

    Every claim carries a footnote: article title, outlet, date, URL when known, and the
    quoted sentence, checked verbatim against the indexed article. A question the articles
    do not answer reads "Không có thông tin trong kho tài liệu."; nothing is filled in.

    Each run also writes the edition, STEM.json (answers, figures, citations). A recurring
    briefing gives the last one to --since: each question then says what changed since it
    (Số liệu mới, Nguồn mới, Không còn được hỗ trợ, Không đổi) and new lines read [Mới].

    \b
    Examples:
      assistant brief questions.txt --topic "Đối ngoại Hải Phòng"
      assistant brief plan.yaml -o briefings/hai-phong --format docx
      assistant brief plan.yaml -o ban-tin-thang-12 --since ban-tin-thang-11.json
    """
    from datetime import date

    from ..briefing import briefing_stem, build_briefing, load_edition, load_spec, write_briefing

    settings = settings.with_overrides(backend=backend)
    spec = load_spec(questions_file)
    last = load_edition(since) if since is not None else None  # a bad file fails before any answering
    topic = clean_input(topic).strip() if topic is not None else None
    day = written.date() if written else date.today()
    if out is not None and str(out) == "-" and fmt != "md":
        fmt = "md"
    assistant = _open(settings)
    from tqdm import tqdm

    with tqdm(total=len(spec.questions), desc="Đang trả lời", unit="câu", leave=False, file=sys.stderr) as bar:
        b = build_briefing(assistant, spec, topic=topic, written=day, k=k, progress=bar.update, since=last)
    for warning in b.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if out is not None and str(out) == "-":
        from ..briefing import to_markdown

        click.echo(to_markdown(b), nl=False)
        return
    formats = ("md", "docx") if fmt == "both" else (fmt,)
    paths = [str(p) for p in write_briefing(b, out or Path(briefing_stem("", day)), (*formats, "json"))]
    answered = sum(i.answered for i in b.items)
    changed = ""
    if b.changes is not None:
        changed = f"; {b.changes.changed(b.items)}/{len(b.items)} changed since {b.changes.since.isoformat()}"
    click.echo(f"Wrote {', '.join(paths[:-1])} and {paths[-1]}: {answered}/{len(b.items)} questions answered, "
               f"{len(b.footnotes)} footnotes from {len(b.sources)} articles{changed}.")


@main.command("timeline")
@click.argument("subject")
@common_options
@click.option("--partner", metavar="NAME", help="Only events whose sentence names NAME (a foreign locality or country).")
@click.option("--since", metavar="DATE", help="Only events on or after DATE (YYYY, YYYY-MM, YYYY-MM-DD or dd/mm/yyyy).")
@click.option("--until", metavar="DATE", help="Only events on or before DATE (same forms).")
@click.option("--format", "fmt", type=click.Choice(["md", "docx"]), default="md", show_default=True,
              help="Markdown (printed, or written to -o) or Word (written to -o, else dong-thoi-gian-<subject>.docx).")
@click.option("-o", "--out", "out", type=click.Path(path_type=Path), help="Write to this file instead.")
def timeline_cmd(settings: Settings, subject: str, partner: str | None, since: str | None, until: str | None,
                 fmt: str, out: Path | None) -> None:
    """List the dated events the articles state about SUBJECT, a locality, oldest first.

    Agreements and memoranda signed, visits and delegations, relationships established
    (kết nghĩa, thiết lập quan hệ) and figures (investment, projects, aid, trade). Each is
    the article's sentence, quoted verbatim and checked against the index, with its article,
    outlet and date; the date the sentence states, else the article's ("ngày đăng bài"); and
    the other outlets that reported it. Diacritics are optional in SUBJECT and --partner.

    \b
    Examples:
      assistant timeline "Hải Phòng"
      assistant timeline "Hai Phong" --partner Kitakyushu --since 2010
      assistant timeline "Bình Định" --format docx -o dong-thoi-gian.docx
    """
    from ..briefing import timeline_stem, write_atomically
    from ..briefing.timeline import timeline, to_markdown, write_docx
    from ..store.disk import load_index

    subject, partner = clean_input(subject).strip(), clean_input(partner).strip() if partner else None
    if not subject:
        raise click.BadParameter("name a locality", param_hint="SUBJECT")
    from ..documents import date_bound

    try:  # the dates first: a ValueError of the timeline itself is not the user's
        lo, hi = (date_bound(since) if since else ""), (date_bound(until, upper=True) if until else "")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since/--until") from None
    if lo and hi and lo > hi:
        raise click.BadParameter(f"the range is empty: {since} is after {until}", param_hint="--since/--until")
    if fmt == "docx" and out is not None and str(out) == "-":
        raise click.BadParameter("a Word file cannot go to standard output; name a file", param_hint="-o")
    index = load_index(settings)
    try:
        t = timeline(index, subject, partner, since, until)
    finally:
        index.store.close()
    if fmt == "md" and (out is None or str(out) == "-"):
        click.echo(to_markdown(t), nl=False)
        return
    path = out or Path(timeline_stem(subject, partner) + ".docx")
    if fmt == "md":
        write_atomically(path, lambda tmp: tmp.write_text(to_markdown(t), encoding="utf-8"))
    else:
        write_atomically(path, lambda tmp: write_docx(t, tmp))
    click.echo(f"Wrote {path}: {len(t.events)} events from {len(t.articles)} articles naming {subject}.")


# --- accounts -------------------------------------------------------------------------------
def _password(stdin: bool) -> str:
    if stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.UsageError("no password on standard input")
        return line
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


def _accounts(settings: Settings):
    from .accounts import Accounts

    return Accounts(settings.data_dir, settings.database_url)


def _account_errors(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .accounts import AccountError

        try:
            return fn(*args, **kwargs)
        except AccountError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)

    return wrapper


@main.group()
def feeds() -> None:
    """RSS/Atom feeds and sitemaps that keep the corpus current.

    `feeds fetch` reads each feed and fetches the article pages it lists that the archive
    does not have yet, politely (robots.txt, a delay between two requests to one site,
    conditional requests, retries with back-off, a time limit per page; settings feeds_*),
    saves each as a page of the corpus with its URL, and updates the index. A page is never
    fetched twice; a republished copy is recorded as another publication of its article.
    """


def _feed_errors(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValueError as exc:
            click.echo(strip_controls(f"Error: {exc}"), err=True)
            sys.exit(1)

    return wrapper


def _shell_audit(settings: Settings, action: str, subject: str, detail: str = "") -> None:
    """A department's server (accounts exist): its audit records what the shell changed."""
    from .accounts import SHELL

    accounts = _accounts(settings)
    if accounts.count():
        accounts.audit(SHELL, action, subject, detail)


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="A short name for the feed [default: its address].")
@common_options
@_feed_errors
def feeds_add(settings: Settings, url: str, name: str | None) -> None:
    """Follow the RSS/Atom feed or sitemap at URL (fetched by `assistant feeds fetch`).

    \b
    Examples:
      assistant feeds add https://baoquocte.vn/rss/dia-phuong.rss --name "Báo Quốc tế"
      assistant feeds add https://songoaivu.example.gov.vn/sitemap.xml
    """
    from .newsroom import add_feed

    feed = add_feed(settings, url, name)
    _shell_audit(settings, "added feed", feed.name, feed.url)
    click.echo(strip_controls(f"added: {feed.name} ({feed.url}); `assistant feeds fetch` reads it"))


@feeds.command("remove")
@click.argument("feed")
@common_options
@_feed_errors
def feeds_remove(settings: Settings, feed: str) -> None:
    """Stop following FEED (its name or address); the articles it brought stay in the corpus."""
    from .newsroom import remove_feed

    gone = remove_feed(settings, feed)
    _shell_audit(settings, "removed feed", gone.name, gone.url)
    click.echo(strip_controls(f"removed: {gone.name} ({gone.url})"))


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per feed.")
@common_options
@_feed_errors
def feeds_list(settings: Settings, as_json: bool) -> None:
    """The feeds followed, with the result of each one's last fetch."""
    from .newsroom import list_feeds

    followed = list_feeds(settings)
    if not followed:
        click.echo("No feed is followed; add one with `assistant feeds add URL`.", err=True)
    for f in followed:
        if as_json:
            click.echo(json.dumps({"name": f.name, "url": f.url, "added_by": f.added_by, "added_at": f.added_at,
                                   "last": f.last}, ensure_ascii=False))
            continue
        last = f.last
        when = _when(last.get("at")) if last else "never fetched"
        result = f" — {last.get('line', '')}" if last else ""
        click.echo(strip_controls(f"{f.name}\t{f.url}\t{when}{result}"))


@feeds.command("fetch")
@click.argument("names", nargs=-1)
@common_options
@_feed_errors
def feeds_fetch(settings: Settings, names: tuple[str, ...]) -> None:
    """Fetch the new articles of every feed (or of the NAMES given) and update the index.

    Prints one line per feed: how many new articles, or unchanged, or failed with the
    reason; then each page that failed, with its reason. Exits 1 when every feed failed.
    """
    from .newsroom import fetch_feeds

    report = fetch_feeds(settings, list(names) or None, show_progress=True)
    if not report.feeds:
        click.echo("No feed is followed; add one with `assistant feeds add URL`.", err=True)
        sys.exit(1)
    for r in report.feeds:
        click.echo(strip_controls(r.line()), err=r.status == "failed")
        for url, name in r.added:
            click.echo(strip_controls(f"  new: {url} -> {name}"))
        for url, name, article in r.copies:
            click.echo(strip_controls(f"  copy: {url} -> {name}: the same text as {article}; "
                                      "recorded as another publication of it"))
        for url, why, _ in r.failed:
            click.echo(strip_controls(f"  failed: {url} ({why})"), err=True)
        _shell_audit(settings, "fetched feed", r.name, r.line())
    if report.build:
        for s in report.build.skipped:
            click.echo(strip_controls(f"Warning: {s.path}: {s.reason}"), err=True)
        click.echo(_built(report.build))
    if all(r.status == "failed" for r in report.feeds):
        sys.exit(1)


@main.group()
def feedback() -> None:
    """Analysts' 👍/👎 on chat answers (data_dir/assistant.db), made into QA fixtures
    that `assistant eval` runs: a department's own evaluation grows from use."""


@feedback.command("export")
@click.option("-o", "--out", "out", type=click.Path(path_type=Path),
              help="Write the fixtures (JSONL) here [default: standard output].")
@click.option("--since", metavar="DATE", help="Only judgements from DATE (2026, 2026-11, 17/11/2026).")
@common_options
@data_dir_option
@_account_errors
def feedback_export(settings: Settings, out: Path | None, since: str | None) -> None:
    """Write the judged questions as QA fixtures (the format `assistant eval` reads).

    \b
    👍 on an answer   -> an answerable item: what it answered, the articles it quoted;
    👍 on a refusal   -> an unanswerable item;
    👎 "not covered"  -> an unanswerable item;
    👎 with the right words and article -> an answerable item with the analyst's correction.
    A 👎 without a correction is listed on standard error, not written.

    \b
    Example:
      assistant feedback export -o gop-y.jsonl && assistant eval gop-y.jsonl
    """
    from ..documents import date_bound
    from ..store.disk import live_documents
    from .feedback import Feedback, fixtures

    try:
        start = time.mktime(time.strptime(date_bound(since), "%Y-%m-%d")) if since else 0.0
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from exc
    documents = {d.doc_id: d for d in live_documents(settings.index_dir) or []}
    items, left = fixtures(Feedback(_accounts(settings)).list(since=start), documents)
    lines = "".join(json.dumps(i, ensure_ascii=False).translate(_LINE_BREAKERS) + "\n" for i in items)
    if out is None:
        click.echo(lines, nl=False)
    else:
        out.write_text(lines, encoding="utf-8")
    for j, why in left:
        click.echo(strip_controls(f"bỏ qua góp ý {j.id} ({j.turn.question or j.turn.asked}): {why}"), err=True)
    click.echo(f"{len(items)} câu hỏi thành fixture" + (f" trong {out}" if out else "") +
               (f", {len(left)} góp ý bỏ qua" if left else ""), err=True)


@feedback.command("list")
@click.option("--down", is_flag=True, help="Only 👎.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@common_options
@data_dir_option
@_account_errors
def feedback_list(settings: Settings, down: bool, limit: int) -> None:
    """The newest judgements: when, who, 👍/👎, the question and the note."""
    from .feedback import Feedback

    for j in Feedback(_accounts(settings)).list("down" if down else None, limit):
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(j.at))
        mark = "👍" if j.verdict == "up" else "👎"
        extra = " | ".join(x for x in (j.note, j.correct and f"đúng: {j.correct}", j.source,
                                        "không có trong bài viết" if j.not_covered else "") if x)
        click.echo(strip_controls(f"{when}\t{j.user or '-'}\t{mark}\t{j.turn.question or j.turn.asked}"
                                  + (f"\t{extra}" if extra else "")))


@main.group()
def users() -> None:
    """Accounts of a shared server (data_dir/assistant.db): readers ask and export briefings,
    editors also add documents, admins also manage users. With no account the chat is open,
    as for one person on their own machine."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["reader", "editor", "admin"]), default="reader", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@common_options
@data_dir_option
@_account_errors
def users_add(settings: Settings, name: str, role: str, password_stdin: bool) -> None:
    """Add user NAME; the password is asked twice (or read with --password-stdin)."""
    accounts = _accounts(settings)
    user = accounts.add(name, _password(password_stdin), role)
    click.echo(f"Added {user.name} ({user.role}) to {accounts.path}")


@users.command("list")
@common_options
@data_dir_option
@_account_errors
def users_list(settings: Settings) -> None:
    """List users, their roles and how many API keys each has."""
    accounts = _accounts(settings)
    rows = accounts.list()
    if not rows:
        click.echo(f"No users in {accounts.path}: the chat is open to whoever reaches it.")
    for u in rows:
        click.echo(f"{u.name}\t{u.role}\t{u.keys} API key(s)\tsince {time.strftime('%Y-%m-%d', time.localtime(u.created))}")


@users.command("remove")
@click.argument("name")
@common_options
@data_dir_option
@_account_errors
def users_remove(settings: Settings, name: str) -> None:
    """Remove user NAME with their API keys, sessions and saved conversations."""
    _accounts(settings).remove(name)
    click.echo(f"Removed {name}")


@users.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["reader", "editor", "admin"]))
@common_options
@data_dir_option
@_account_errors
def users_role(settings: Settings, name: str, role: str) -> None:
    """Give NAME another ROLE (reader, editor or admin)."""
    _accounts(settings).set_role(name, role)
    click.echo(f"{name} is now {role}")


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@common_options
@data_dir_option
@_account_errors
def users_passwd(settings: Settings, name: str, password_stdin: bool) -> None:
    """Set a new password for NAME (their browser sessions end; their API keys do not)."""
    accounts = _accounts(settings)
    accounts.set_password(name, _password(password_stdin))
    click.echo(f"Password of {name} changed; their browser sessions ended")
    if accounts.keys(name):
        click.echo(f"Their API keys still work; end them with: assistant users revoke {name} --all")


@users.command("key")
@click.argument("name")
@common_options
@data_dir_option
@_account_errors
def users_key(settings: Settings, name: str) -> None:
    """Print a new API key for NAME with its id (the key is shown once; sent as "Authorization: Bearer KEY")."""
    key_id, key = _accounts(settings).new_key(name)
    click.echo(f"New API key {key_id} for {name} (shown once, keep it safe): {key}")


def _when(t: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t)) if t else "never"


@users.command("keys")
@click.argument("name")
@common_options
@data_dir_option
@_account_errors
def users_keys(settings: Settings, name: str) -> None:
    """List NAME's API keys: id, created, last used (the keys themselves are not kept)."""
    keys = _accounts(settings).keys(name)
    if not keys:
        click.echo(f"{name} has no API key")
    for k in keys:
        click.echo(f"{k.id}\tcreated {_when(k.created)}\tlast used {_when(k.last_used)}")


@users.command("revoke")
@click.argument("name")
@click.argument("key_id", required=False)
@click.option("--all", "every", is_flag=True, help="Revoke every API key of NAME.")
@common_options
@data_dir_option
@_account_errors
def users_revoke(settings: Settings, name: str, key_id: str | None, every: bool) -> None:
    """Revoke NAME's API key KEY_ID (from `users keys`), or all of them with --all."""
    if bool(key_id) == every:
        raise click.UsageError("give one KEY_ID or --all")
    n = _accounts(settings).revoke(name, None if every else key_id)
    click.echo(f"Revoked {n} API key(s) of {name}")


@users.command("audit")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True,
              help="How many of the newest entries.")
@common_options
@data_dir_option
@_account_errors
def users_audit(settings: Settings, limit: int) -> None:
    """Who added or removed which user, API key or document, and when (the newest first)."""
    entries = _accounts(settings).audit_log(limit)
    if not entries:
        click.echo("The audit is empty.")
    for e in entries:
        click.echo(strip_controls(f"{_when(e.at)}\t{e.actor}\t{e.action}\t{e.subject}" + (f"\t{e.detail}" if e.detail else "")))


@main.command("config")
@common_options
def config_cmd(settings: Settings) -> None:
    """Show the effective settings and where each can be set.

    Precedence: defaults < [tool.assistant] in ./pyproject.toml (or the TOML file named by
    ASSISTANT_CONFIG) < ASSISTANT_<NAME> environment variables < command-line flags.
    """
    from dataclasses import fields

    from ..answer.backends import names

    helps = field_help()
    helps["backend"] += f" Registered: {', '.join(names())}."  # read now: later registrations count
    for f in fields(settings):
        click.echo(f"{f.name} = {getattr(settings, f.name)!s}    # ASSISTANT_{f.name.upper()}: {helps[f.name]}")


@main.command()
@common_options
@click.option("--host", help=HELP["host"])
@click.option("--port", type=click.IntRange(1, 65535), help=HELP["port"])
@click.option("--share", is_flag=True, help="Also open a public gradio.live link (off by default: nothing leaves this machine).")
@click.option("--k", type=click.IntRange(*K_RANGE), help=HELP["k"])
@click.option("--allow-upload", is_flag=True, default=None, help=HELP["allow_upload"])
def chat(settings: Settings, host: str | None, port: int | None, share: bool, k: int | None,
         allow_upload: bool | None) -> None:
    """Serve the chat and the HTTP API: cited answers, follow-ups, a sources panel.

    Serves http://127.0.0.1:7860 until Ctrl+C. Build the index first ("assistant index").
    Once an account exists ("assistant users add"), the chat asks for a login, keeps each
    user's conversations, and the API needs a key. The API is documented at /docs.

    \b
    Example:
      assistant chat
      assistant chat --port 8080 --k 8
      assistant chat --allow-upload            # a panel to drag files into the corpus
      assistant chat --host 0.0.0.0            # the office network (put HTTPS in front: README)
    """
    settings = settings.with_overrides(host=host, port=port, k=k, allow_upload=allow_upload)
    assistant = _open(settings)  # a missing index fails here, in one line, before the web stack loads
    if share:
        if _accounts(settings).count():
            raise click.UsageError("--share serves the chat without its login: not with accounts")
        from .ui import launch

        app = launch(settings, assistant, share=True, block=False, quiet=False)
        click.echo(f"Trợ lý đang chạy tại http://{settings.host}:{settings.port} (Ctrl+C để dừng)", err=True)
        app.block_thread()
        return
    from .server import start

    running = start(settings, assistant)
    click.echo(f"Trợ lý đang chạy tại {running.url} (API: {running.url}docs; Ctrl+C để dừng)", err=True)
    click.echo(_who_may(settings), err=True)
    running.wait()


def _who_may(settings: Settings) -> str:
    """Who the server answers, said at start: with no account, anyone who reaches it."""
    n = _accounts(settings).count()
    if n:
        return f"{n} tài khoản ({_accounts(settings).path}): phải đăng nhập để hỏi, tải tài liệu hay dùng API."
    upload = " và thêm tài liệu vào kho (--allow-upload)" if settings.allow_upload else ""
    return (f"⚠ Chưa có tài khoản nào: bất kỳ ai truy cập được {settings.host}:{settings.port} đều hỏi được"
            f"{upload}. Để yêu cầu đăng nhập: assistant users add TÊN --role admin")


@main.command()
@common_options
@click.option("--host", help=HELP["host"])
@click.option("--port", type=click.IntRange(1, 65535), help=HELP["port"])
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Processes answering at once (one per core is right for most machines).")
def api(settings: Settings, host: str | None, port: int | None, workers: int) -> None:
    """Serve the HTTP API alone (no chat), answering from several processes at once.

    The same endpoints as under "assistant chat" (/api/v1/ask, /api/v1/search, /api/v1/brief,
    /v1/chat/completions, /login; documented at /docs), the same accounts and keys; each
    process has its own pipeline over the index and follows new builds. For a department's
    chat, run "assistant chat" (one process per port; README: several app servers).

    \b
    Example:
      assistant api --workers 2 --port 8000
    """
    from ..store.disk import load_index
    from .server import serve_api

    settings = settings.with_overrides(host=host, port=port)
    load_index(settings).store.close()  # a missing or damaged index fails here, in one line, before any process

    def ready(url: str) -> None:
        click.echo(f"API đang chạy tại {url} với {workers} tiến trình (tài liệu: {url}docs; Ctrl+C để dừng)", err=True)

    try:
        serve_api(settings, workers, ready=ready)
    except KeyboardInterrupt:
        pass


@main.command()
@common_options
def mcp(settings: Settings) -> None:
    """Serve "search" and "ask" as MCP tools over standard input/output.

    For an AI assistant on this machine (Claude Desktop, an IDE, any MCP client): it can
    look things up in the articles and quote them with citations. See "MCP" in README.md.

    \b
    Example (an MCP client's configuration):
      {"mcpServers": {"assistant": {"command": "assistant", "args": ["mcp"]}}}
    """
    from .mcp_tools import serve

    serve(settings)


@main.command("eval")
@click.argument("fixtures", required=False, type=click.Path(path_type=Path))
@common_options
@click.option("--check", is_flag=True,
              help="Only validate FIXTURES: malformed lines, unknown sources, quotes not in the corpus.")
@click.option("--report", "report_dir", type=click.Path(path_type=Path),
              help="Write report.md, report.json, accuracy_by_type.png and items/*.jsonl into this folder.")
@click.option("--retrieval-bench", "benches", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="Also run a retrieval-only benchmark folder (contexts.jsonl + questions.jsonl); repeatable.")
@click.option("--answer-bench", "answer_benches", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help=("Also answer a SQuAD-shaped folder end to end, whole articles and single passages held out, "
                    "named constraints swapped; a folder from scripts/make_near_misses.py is used as is; "
                    "repeatable."))
@click.option("--holdout", type=click.FloatRange(0, 0.9), default=0.2, show_default=True,
              help="Share of the answer bench's articles held out of its corpus (their questions are unanswerable).")
@click.option("--sibling-share", type=click.FloatRange(0, 0.9), default=0.2, show_default=True,
              help=("Share of the other articles' passages with questions held out alone (the rest of their article "
                    "stays); their questions must be refused or answered from another passage."))
@click.option("--seed", type=int, default=42, show_default=True,
              help="Seed of the held-out articles and passages and of the swaps.")
@click.option("--baselines/--no-baselines", default=True, show_default=True,
              help="Also run dense-only, BM25-only and plain-LangChain baselines, side by side.")
@click.option("--gate", is_flag=True, help="Exit 1 when ours falls below the floors in --thresholds.")
@click.option("--thresholds", type=click.Path(path_type=Path), help="Gate floors [default: eval/thresholds.toml].")
@click.option("--k", type=click.IntRange(*K_RANGE), help=HELP["k"])
@click.option("--mode", type=click.Choice(["hybrid", "dense", "bm25"]), default="hybrid", show_default=True,
              help="Retrieval mode of our pipeline.")
@click.option("--backend", type=backend_choice(),
              help=HELP["backend"] + " Ours only; the baselines always answer extractively.")
@click.option("--ignore-diacritics", is_flag=True, help="Match accept strings without diacritics.")
@click.option("--bench-limit", type=click.IntRange(1), help="Use only the first N benchmark questions.")
@click.option("--cache", "cache_dir", type=click.Path(path_type=Path),
              help="Cache for benchmark indexes and baseline vectors [default: a folder in the temp dir].")
def eval_cmd(settings: Settings, fixtures: Path | None, check: bool, report_dir: Path | None, benches: tuple[Path, ...],
             baselines: bool, gate: bool, thresholds: Path | None, k: int | None, mode: str, backend: str | None,
             ignore_diacritics: bool, bench_limit: int | None, cache_dir: Path | None,
             answer_benches: tuple[Path, ...], holdout: float, sibling_share: float, seed: int) -> None:
    """Measure answers and citations against QA FIXTURES (JSONL or CSV), beside baselines.

    Prints the tables (Markdown); --report DIR also writes JSON, a chart and every
    question's passages, answer and citations. The fixture format is in the README.

    \b
    Examples:
      assistant eval --check ../shared/eval/seed_qa_dev.jsonl
      assistant eval ../shared/eval/seed_qa_dev.jsonl --report reports/eval
      assistant eval ../shared/eval/seed_qa_dev.jsonl --retrieval-bench ../shared/bench/xquad_vi --report docs/eval
      assistant eval ../shared/eval/seed_qa_dev.jsonl --gate --no-baselines   # the CI gate
      assistant eval ../shared/eval/seed_qa_dev.jsonl --answer-bench ../shared/bench/xquad_vi --report docs/eval
    """
    from ..evaluation import DEFAULT_THRESHOLDS, check_fixtures, evaluate, load_thresholds

    if check:
        if fixtures is None:
            raise click.UsageError("--check needs a fixture file: assistant eval --check FILE")
        items, problems = check_fixtures(fixtures, settings.corpus_dir)
        for p in problems:
            click.echo(f"{fixtures}:{p}", err=True)
        click.echo(f"{len(items)} items, {len(problems)} problems in {fixtures}")
        sys.exit(1 if problems else 0)
    if fixtures is None and not benches and not answer_benches:
        raise click.UsageError("nothing to evaluate: give a fixture file, --answer-bench DIR or --retrieval-bench DIR")
    if gate and fixtures is None and not answer_benches:
        raise click.UsageError("--gate needs a fixture file or an answer bench")
    settings = settings.with_overrides(backend=backend)
    floors = load_thresholds(thresholds or DEFAULT_THRESHOLDS) if gate else None
    result = evaluate(settings, fixtures, benches=benches, k=k, mode=mode,
                      baselines=("dense", "bm25", "langchain") if baselines else (), thresholds=floors,
                      ignore_diacritics=ignore_diacritics, cache_dir=cache_dir, bench_limit=bench_limit,
                      answer_benches=answer_benches, holdout=holdout, sibling_share=sibling_share, seed=seed,
                      progress=True)
    if report_dir is not None:
        from ..evaluation.report import write_report

        paths = write_report(result, report_dir)
        click.echo(f"Wrote {', '.join(str(p) for p in paths[:3])} and {len(paths) - 3} artifact files.", err=True)
    else:
        from ..evaluation.report import to_markdown

        click.echo(to_markdown(result, chart=None))
    if gate:
        for c in result.gate:
            click.echo(str(c), err=True)
        if not result.gate_passed:
            click.echo("Error: the regression gate failed", err=True)
            sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
