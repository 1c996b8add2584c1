"""Corpus files -> Documents: which files, their metadata, cleaning, Unicode normalisation.

Each format's reader (``formats``: HTML, PDF, DOCX, TXT, MD) gives text and what the file
says about itself. The files in ``corpus/`` are kept exactly as saved; every repair
happens here, at load time, so it is repeatable and reviewable:

* Unicode NFC and one tone convention ("hòa", not "hoà");
* words the web page glued together ("thành lậpSở", "PCPNNđạt", "đãtrải") split again,
  but only where both halves are known Vietnamese syllables;
* web boilerplate dropped: navigation, "Tin bài liên quan"/"Đọc nhiều" teasers, video
  lists, weather boxes, tag clouds, duplicated photo captions.

Metadata comes from ``corpus/metadata.json`` when it names the file, else from the file
itself (a page's metadata, a document's properties), else it is inferred from the text
(first line as title, a dd/mm/yyyy date near the top, an outlet line).
Not here: chunking, and any decision about what is relevant to a question.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ..documents import Document
from ..errors import CorpusError
from ..vietnamese import clean_input, common_syllables, is_syllable, normalize, sentence_spans, words
from .formats import NO_LIMITS_GIVEN, SUFFIXES, Extracted, Limits, Unreadable
from .parallel import pmap
from .sandbox import extract

METADATA_FILE = "metadata.json"


@dataclass(frozen=True)
class Skipped:
    """A problem with one file or metadata field: "skipped: …" (the file) or "… ignored: …"."""

    path: str
    reason: str


# --- boilerplate ------------------------------------------------------------------------
# A heading after which the rest of a scraped page is other articles, never this one.
_TAIL_HEADINGS = re.compile(
    r"^(tin bài liên quan|bài viết liên quan|tin liên quan|bài liên quan|đọc nhiều|đọc thêm|"
    r"xem nhiều|tin cùng chuyên mục|có thể bạn quan tâm|tin mới nhất|tin khác|multimedia|"
    r"bình luận|ý kiến bạn đọc)\s*:?$",
    re.IGNORECASE,
)
_NOISE_LINE = re.compile(
    r"^(trang chủ\b.*|theo dõi .* trên|.*\bGMT[+-]\d+|loading…?|bấm để xem thêm.*|xem trên|"
    r"rewind \d+ seconds|fullscreen|error loading media:?|file could not be played|"
    r"\[video\].*|nguồn:?|\d{1,2}:\d{2}(:\d{2})?)$",
    re.IGNORECASE,
)
_BRACKETED = re.compile(r"^\[[^\]]+\]$")  # "[Gặp mặt cơ quan đại diện ...]": an inline link
_URL_LINE = re.compile(r"^(nguồn( tin)?:\s*)?https?://\S+$", re.IGNORECASE)
_ATTRIBUTION = re.compile(r"^(theo|nguồn tin:|nguồn:)\s+\S.{0,60}$", re.IGNORECASE)
_DATE_DMY = re.compile(r"\b(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})\b")


def _is_tag_cloud(line: str) -> bool:
    parts = [p for p in re.split(r"\s{2,}", line) if p]
    return len(parts) >= 5 and all(len(p.split()) <= 3 for p in parts)


def _self_repeated(line: str) -> bool:
    """'Tiêu đề X Tiêu đề X': a teaser headline printed twice on one line."""
    n = len(line)
    half = (n - 1) // 2
    return n > 20 and n % 2 == 1 and line[half] == " " and line[:half] == line[half + 1 :]


def _headline_like(line: str) -> bool:
    """Six words or more, no closing punctuation, and one sentence: a headline is one sentence,
    while a paragraph that merely ends without a full stop (on a date, a number) has several."""
    return (len(line.split()) >= 6 and not re.search(r"[.!?…:;”\")\]]$", line)
            and len(sentence_spans(line)) <= 1)


def clean_lines(raw_lines: list[str]) -> list[str]:
    """Drop page furniture and teasers; keep the article's own lines in order."""
    lines = [ln.strip() for ln in raw_lines]
    # 1. cut the tail: everything from the first "related/most-read" heading on, and the
    #    teaser block that scrapers leave between the article's attribution and that heading.
    for i, line in enumerate(lines):
        if _TAIL_HEADINGS.match(line):
            lines = lines[:i]
            break
    seen_attribution = False
    for i, line in enumerate(lines):
        if _URL_LINE.match(line) or _ATTRIBUTION.match(line):
            seen_attribution = True
        elif seen_attribution and _self_repeated(line):
            lines = lines[:i]
            break

    kept: list[str] = []
    for i, line in enumerate(lines):
        if not line or not any(c.isalpha() for c in line):
            continue
        if _NOISE_LINE.match(line) or _BRACKETED.match(line) or _URL_LINE.match(line):
            continue
        if _ATTRIBUTION.match(line) or _is_tag_cloud(line):
            continue
        if kept and line == kept[-1]:  # duplicated photo caption or headline
            continue
        # a run of two or more headline-like lines is a block of links to other articles
        prev_h = i > 0 and _headline_like(lines[i - 1]) and bool(kept)
        next_h = i + 1 < len(lines) and _headline_like(lines[i + 1])
        if _headline_like(line) and (prev_h or next_h) and kept:
            continue
        kept.append(re.sub(r"\s*\|$", "", line))
    return kept


# --- glued words ------------------------------------------------------------------------
_GLUE_PUNCT = re.compile(r"(?<=\w)([.;:,…])(?=[A-ZÀ-ỸĐ][a-zà-ỹđ])")
_GLUE_PAREN = re.compile(r"(?<=\w)\((?=\w)")
_TOKEN = re.compile(r"\w+", re.UNICODE)


def _split_glued(token: str, vocab: frozenset[str]) -> str:
    """'lậpSở' -> 'lập Sở', 'PCPNNđạt' -> 'PCPNN đạt', 'đãtrải' -> 'đã trải'.

    Splits only into pieces that are all known syllables (or one leading acronym), using
    the fewest pieces; anything else (names, English, numbers) is left alone.
    """
    if token.isascii() or is_syllable(token) or token.lower() in vocab:
        return token

    def known(piece: str) -> bool:
        return is_syllable(piece) and piece.lower() in vocab

    n = len(token)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for end in range(1, n + 1):
        for start in range(max(0, end - 7), end):
            prev = best[start]
            piece = token[start:end]
            ok = known(piece) or (start == 0 and len(piece) >= 2 and piece.isupper() and piece.isascii())
            here = best[end]
            if prev is not None and ok and (here is None or len(prev) + 1 < len(here)):
                best[end] = prev + [piece]
    pieces = best[n]
    return " ".join(pieces) if pieces and len(pieces) > 1 else token


def repair_glued(text: str, extra_vocab: frozenset[str] = frozenset()) -> str:
    vocab = common_syllables() | extra_vocab
    text = _GLUE_PUNCT.sub(r"\1 ", text)
    text = _GLUE_PAREN.sub(" (", text)
    return _TOKEN.sub(lambda m: _split_glued(m.group(0), vocab), text)


def clean_text(raw: str) -> str:
    """Raw article text -> the cleaned text that chunks and citations point into."""
    # subtle: html.unescape can make control characters ("&#27;"), so clean after it.
    text = clean_input(html.unescape(raw) if "&" in raw else raw)
    lines = clean_lines(text.splitlines())
    own = " ".join(lines)
    # the article's own correctly spaced syllables count as known words too
    vocab = frozenset(w.lower() for w in words(own) if is_syllable(w))
    lines = [re.sub(r"[ \t]{2,}", " ", repair_glued(ln, vocab)) for ln in lines]
    return "\n".join(lines)


# --- metadata ---------------------------------------------------------------------------
_ISO_DATE = re.compile(r"((?:1[89]|2\d)\d\d)(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?")
_TEXT_FIELDS = ("title", "date_label", "date_sort", "outlet", "url")


def _field_problem(key: str, value: object) -> str | None:
    """Why ``value`` cannot be metadata field ``key``, or None when it can."""
    if key == "date":
        if value is None:
            return None
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            return f'must be an ISO date as text ("2025-04-27", "2025-04" or "2025") or null, not {value!r:.60}'
    elif key == "localities":
        if isinstance(value, str):
            return None
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            return f'must be a list of place names (["Hà Nội"]), not {value!r:.60}'
    elif key in _TEXT_FIELDS:
        if not isinstance(value, str):
            return f"must be text, not {value!r:.60}"
        if key == "url" and value and not re.match(r"https?://\S+$", value, re.IGNORECASE):
            return f"must be an http(s) address, not {value!r:.60}"
    return None


def _clean_field(key: str, value: object) -> object:
    if key == "localities":
        # a list of text when not one text: _field_problem has checked it
        places = (clean_input(x).strip() for x in ([value] if isinstance(value, str) else cast("list[str]", value)))
        return [x for x in places if x]
    return clean_input(value).strip() if isinstance(value, str) else value


def validate_entry(name: str, entry: object) -> tuple[dict, list[str]]:
    """One article's metadata with every bad field dropped, and a message per bad field.

    Known fields are typed (see README, "metadata.json"); other keys ("author", "note")
    are free-form notes and are kept out of the index.
    """
    if not isinstance(entry, dict):
        return {}, [f"article {name!r}: its entry must be an object of fields, not {entry!r:.60}"]
    clean: dict = {}
    problems = []
    for key in ("title", "date", "date_label", "date_sort", "outlet", "url", "localities"):
        if key not in entry:
            continue
        why = _field_problem(key, entry[key])
        if why:
            problems.append(f"article {clean_input(name)!r}: field {key!r} ignored: {clean_input(why)}")
        else:
            clean[key] = _clean_field(key, entry[key])
    return clean, problems


def load_metadata(corpus_dir: Path, problems: list[Skipped] | None = None) -> dict[str, dict]:
    """``metadata.json`` keyed by article, validated; every problem is one entry in ``problems``.

    A metadata file that cannot be used at all (not JSON, wrong shape, a link out of the
    corpus) is reported and the articles are loaded with inferred metadata instead.
    """
    problems = problems if problems is not None else []
    path = corpus_dir / METADATA_FILE
    if not path.exists() and not path.is_symlink():
        return {}
    where = str(path)
    if not inside(path, corpus_dir) or not path.is_file():
        problems.append(Skipped(where, "ignored: not a regular file inside the corpus folder"))
        return {}
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(Skipped(where, f"ignored: not valid UTF-8 JSON ({clean_input(str(exc))})"))
        return {}
    articles = data.get("articles", data) if isinstance(data, dict) else data
    if not isinstance(articles, dict):
        problems.append(Skipped(where, 'ignored: expected {"articles": {"<file name>": {...}}}, '
                                       f"found {type(articles).__name__}"))
        return {}
    out = {}
    for name, entry in articles.items():
        if name == "about" and isinstance(entry, str) and articles is data:  # a top-level comment
            continue
        clean, bad = validate_entry(name, entry)
        problems.extend(Skipped(where, b) for b in bad)
        if isinstance(entry, dict):
            out[clean_input(name)] = clean
    return out


def _date_label(iso: str | None) -> str:
    if not iso:
        return "không ghi ngày"
    return "/".join(reversed(iso.split("-")))  # "2025-04-27" -> "27/04/2025", "2016" -> "2016"


def _infer_date(raw_head: str) -> str | None:
    """A dateline ("17/12/2021 11:40", "10:23 | 27/04/2025 GMT+7"), never a date in a sentence."""
    lines = (ln for ln in raw_head.splitlines() if len(ln.strip()) <= 40)
    m = next((m for m in map(_DATE_DMY.search, lines) if m), None)
    if not m:
        return None
    d, mo, y = (int(x) for x in m.groups())
    if 1 <= d <= 31 and 1 <= mo <= 12:
        return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def _infer_outlet(raw: str) -> tuple[str, str]:
    url = ""
    m = re.search(r"https?://[^\s)]+", raw)
    if m:
        url = m.group(0)
    m = re.search(r"(?im)^(?:nguồn tin|nguồn|theo dõi)\s*:?\s*([a-z0-9.-]+\.[a-z]{2,})", raw)
    outlet = m.group(1) if m else ""
    return outlet or _host(url), url


def _host(url: str) -> str:
    """An article's outlet from its URL when nothing names one: "vov.vn" of "https://www.vov.vn/…"."""
    return re.sub(r"^https?://(www\.)?", "", url).split("/")[0] if url else ""


def _clean_pages(pages: tuple[str, ...]) -> tuple[str, tuple[int, ...]]:
    """Each page cleaned on its own, then joined; the offset where each page starts."""
    if len(pages) == 1:
        return clean_text(pages[0]), (0,)  # a one-page PDF still cites "tr. 1"
    parts, starts, pos = [], [], 0
    for page in pages:
        text = clean_text(page)
        starts.append(pos)
        if text:
            parts.append(text)
            pos += len(text) + 1
    return "\n".join(parts), tuple(starts)


def make_document(path: Path, raw_bytes: bytes, meta: dict, doc_id: str | None = None,
                  limits: Limits = NO_LIMITS_GIVEN) -> Document:
    """A Document from a file's bytes: its format's reader, then the Vietnamese cleaner.

    Title, date, outlet and URL: ``metadata.json`` first, then what the file says about
    itself (a page's metadata, a PDF's or DOCX's properties), then a guess from the text.
    """
    return finish_document(path, hashlib.sha256(raw_bytes).hexdigest(), meta, doc_id, extract(path, raw_bytes, limits))


def finish_document(path: Path, content_hash: str, meta: dict, doc_id: str | None, got: Extracted) -> Document:
    """``make_document`` after the reader: the cleaner and the fields (a build runs it on every
    core, while the readers' worker reads the next files)."""
    text, page_starts = _clean_pages(got.pages)
    if not text.strip():
        raise Unreadable("no article text left after cleaning", "không còn nội dung bài viết sau khi lọc bỏ phần thừa của trang")
    raw = "\n".join(got.pages)
    head = "\n".join(raw.splitlines()[:8])
    date = meta["date"] if "date" in meta else (got.date or _infer_date(head))  # an explicit null means undated
    outlet, url = _infer_outlet(raw)
    title = meta.get("title") or got.title or text.splitlines()[0][:160]
    return Document(
        doc_id=doc_id or path.stem,
        title=normalize(clean_input(title)),
        text=text,
        path=str(path),
        date=date,
        date_label=meta.get("date_label") or _date_label(date),
        date_sort=meta.get("date_sort") or (date or ""),
        outlet=meta.get("outlet") or clean_input(got.outlet) or outlet or _host(meta.get("url", "")),
        url=meta.get("url") or got.url or url,
        localities=tuple(normalize(x) for x in meta.get("localities", ())),
        content_hash=content_hash,
        pages=page_starts if got.paged else (),
    )


Job = tuple[Path, str, dict, str, Extracted]  # a file read: path, sha256, metadata, id, what its reader gave


def _finish(job: Job) -> Document | str:
    """``finish_document``, or why the file is skipped (in a build's other processes)."""
    try:
        return finish_document(*job)
    except ValueError as exc:  # Unreadable is a ValueError carrying the reason
        return f"skipped: {clean_input(str(exc))}"


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path``, links followed, is inside ``folder``: nothing outside the corpus is read."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a loop of links
        return False


def _name_problem(path: Path) -> str | None:
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError:
        return "skipped: the file name is not valid UTF-8; rename the file"
    if _CONTROL_NAME.search(path.name):
        return "skipped: the file name holds control characters; rename the file"
    return None


_CONTROL_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def shown_path(path: Path | str) -> str:
    """A path as it can be printed: undecodable bytes as U+FFFD, control characters dropped."""
    return clean_input(str(path))


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The article files directly in ``corpus_dir`` (links out of the folder included, for skipping)."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {shown_path(corpus_dir)} does not exist", hint="pass --corpus DIR")
    return sorted(
        p for p in corpus_dir.iterdir()
        if p.suffix.lower() in SUFFIXES and not p.name.startswith(".") and (p.is_file() or p.is_symlink())
    )


def document_ids(paths: list[Path]) -> dict[Path, str]:
    """Each file's doc_id: its stem, or its whole name when another file shares the stem."""
    stems: dict[str, int] = {}
    for p in paths:
        stems[p.stem] = stems.get(p.stem, 0) + 1
    return {p: p.stem if stems[p.stem] == 1 else p.name for p in paths}


def iter_documents(
    corpus_dir: Path, skipped: list[Skipped] | None = None, max_bytes: int | None = None,
    limits: Limits = NO_LIMITS_GIVEN,
) -> Iterator[Document]:
    """Every readable article in ``corpus_dir``; each problem is one entry in ``skipped``.

    Skipped, each named with its reason: links that lead out of the corpus folder, file
    names that are not UTF-8, files over ``max_bytes``, text that is not UTF-8 or is empty
    after cleaning. Bad metadata fields are reported and replaced by inferred values.
    Files are read here (HTML, PDF and DOCX by the readers' worker) and cleaned on every
    core, a batch at a time.
    """
    skipped = skipped if skipped is not None else []
    metadata = load_metadata(corpus_dir, skipped)
    paths = corpus_files(corpus_dir)
    ids = document_ids(paths)
    stems = {ids[p] for p in paths if ids[p] == p.stem}
    known = {p.name for p in paths} | {p.stem for p in paths}
    for name in sorted(set(metadata) - known):  # a typo in a key, or an article since removed
        skipped.append(Skipped(shown_path(corpus_dir / METADATA_FILE),
                               f"article {name!r}: no such file in the corpus; its entry is not used"))
    jobs: list[Job] = []
    held = 0  # characters of text the jobs hold
    for at, path in enumerate(paths):
        why = _name_problem(path)
        if why is None and not inside(path, corpus_dir):
            why = "skipped: a link to a file outside the corpus folder"
        if why is None and not path.is_file():
            why = "skipped: not a regular file"
        if why is None and max_bytes is not None:
            size = path.stat().st_size
            if size > max_bytes:
                why = (f"skipped: {size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit "
                       "(raise max_file_mb to index it)")
        if why:
            skipped.append(Skipped(shown_path(path), why))
        else:
            try:
                raw_bytes = path.read_bytes()
                meta = metadata.get(path.name) or (metadata.get(path.stem) if path.stem in stems else None) or {}
                got = extract(path, raw_bytes, limits)
                jobs.append((path, hashlib.sha256(raw_bytes).hexdigest(), meta, ids[path], got))
                held += sum(len(page) for page in got.pages)
            except (OSError, ValueError) as exc:  # Unreadable is a ValueError carrying the reason
                skipped.append(Skipped(shown_path(path), f"skipped: {clean_input(str(exc))}"))
        if jobs and (len(jobs) >= READ_BATCH or held >= READ_BATCH_CHARS or at == len(paths) - 1):
            for job, doc in zip(jobs, pmap(_finish, jobs, warm=common_syllables)):
                if isinstance(doc, str):
                    skipped.append(Skipped(shown_path(job[0]), doc))
                else:
                    yield doc
            jobs, held = [], 0


# files read, then cleaned on every core, at a time: a million articles are never all in memory
READ_BATCH, READ_BATCH_CHARS = 4096, 200_000_000


def load_corpus(
    corpus_dir: Path, skipped: list[Skipped] | None = None, max_bytes: int | None = None,
    limits: Limits = NO_LIMITS_GIVEN,
) -> list[Document]:
    docs = list(iter_documents(corpus_dir, skipped, max_bytes, limits))
    if not docs:
        raise CorpusError(
            f"no readable articles in {shown_path(corpus_dir)}",
            hint="add articles (.txt, .md, .html, .pdf, .docx) to the corpus folder",
        )
    return docs
