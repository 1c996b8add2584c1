"""Corpus files -> Documents: reading, metadata, cleaning, Unicode normalisation.

The files in ``corpus/`` are kept exactly as scraped; every repair happens here, at load
time, so it is repeatable and reviewable:

* Unicode NFC and one tone convention ("hòa", not "hoà");
* words the web page glued together ("thành lậpSở", "PCPNNđạt", "đãtrải") split again,
  but only where both halves are known Vietnamese syllables;
* web boilerplate dropped: navigation, "Tin bài liên quan"/"Đọc nhiều" teasers, video
  lists, weather boxes, tag clouds, duplicated photo captions.

Metadata comes from ``corpus/metadata.json`` when it names the file, else it is inferred
from the text (first line as title, a dd/mm/yyyy date near the top, an outlet line).
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

from .documents import Document
from .errors import CorpusError
from .vietnamese import common_syllables, is_syllable, normalize, words

SUFFIXES = (".txt", ".md", ".html", ".htm")
METADATA_FILE = "metadata.json"


@dataclass(frozen=True)
class Skipped:
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
    return len(line.split()) >= 6 and not re.search(r"[.!?…:;”\")\]]$", line)


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
            if prev is not None and ok and (best[end] is None or len(prev) + 1 < len(best[end])):
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
    text = normalize(html.unescape(raw)) if "&" in raw else normalize(raw)
    lines = clean_lines(text.splitlines())
    own = " ".join(lines)
    # the article's own correctly spaced syllables count as known words too
    vocab = frozenset(w.lower() for w in words(own) if is_syllable(w))
    lines = [re.sub(r"[ \t]{2,}", " ", repair_glued(ln, vocab)) for ln in lines]
    return "\n".join(lines)


# --- html -------------------------------------------------------------------------------
def html_to_lines(raw: str) -> str:
    """Visible text of an HTML page, one block element per line (no third-party parser)."""
    raw = re.sub(r"(?is)<(script|style|noscript|nav|header|footer|aside|form)\b.*?</\1>", " ", raw)
    raw = re.sub(r"(?i)<br\s*/?>|</(p|div|h[1-6]|li|tr|section|article|figcaption)>", "\n", raw)
    raw = re.sub(r"(?s)<[^>]+>", " ", raw)
    return html.unescape(raw)


# --- metadata ---------------------------------------------------------------------------
def load_metadata(corpus_dir: Path) -> dict[str, dict]:
    path = corpus_dir / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusError(f"{path} is not valid UTF-8 JSON: {exc}") from exc
    articles = data.get("articles", data) if isinstance(data, dict) else {}
    return {str(k): v for k, v in articles.items() if isinstance(v, dict)}


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
    if not outlet and url:
        outlet = re.sub(r"^https?://(www\.)?", "", url).split("/")[0]
    return outlet, url


def make_document(path: Path, raw: str, meta: dict, raw_bytes: bytes) -> Document:
    if path.suffix.lower() in (".html", ".htm"):
        raw = html_to_lines(raw)
    elif path.suffix.lower() == ".md":  # headings and emphasis markers are not text
        raw = re.sub(r"(?m)^#{1,6}\s*", "", raw).replace("**", "")
    text = clean_text(raw)
    if not text.strip():
        raise ValueError("no article text left after cleaning")
    head = "\n".join(raw.splitlines()[:8])
    date = meta["date"] if "date" in meta else _infer_date(head)  # an explicit null means undated
    outlet, url = _infer_outlet(raw)
    title = meta.get("title") or text.splitlines()[0][:160]
    return Document(
        doc_id=path.stem,
        title=normalize(title),
        text=text,
        path=str(path),
        date=date,
        date_label=meta.get("date_label") or _date_label(date),
        date_sort=meta.get("date_sort") or (date or ""),
        outlet=meta.get("outlet") or outlet,
        url=meta.get("url") or url,
        localities=tuple(normalize(x) for x in meta.get("localities", ())),
        content_hash=hashlib.sha256(raw_bytes).hexdigest(),
    )


def corpus_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist", hint="pass --corpus DIR")
    return sorted(
        p for p in corpus_dir.iterdir()
        if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith(".")
    )


def iter_documents(corpus_dir: Path, skipped: list[Skipped] | None = None) -> Iterator[Document]:
    """Every readable article in ``corpus_dir``; unreadable files go to ``skipped``."""
    metadata = load_metadata(corpus_dir)
    for path in corpus_files(corpus_dir):
        try:
            raw_bytes = path.read_bytes()
            raw = raw_bytes.decode("utf-8-sig")
            meta = metadata.get(path.stem) or metadata.get(path.name) or {}
            yield make_document(path, raw, meta, raw_bytes)
        except UnicodeDecodeError as exc:
            if skipped is not None:
                skipped.append(Skipped(str(path), f"not UTF-8 text (byte {exc.start})"))
        except (OSError, ValueError) as exc:
            if skipped is not None:
                skipped.append(Skipped(str(path), str(exc)))


def load_corpus(corpus_dir: Path, skipped: list[Skipped] | None = None) -> list[Document]:
    docs = list(iter_documents(corpus_dir, skipped))
    if not docs:
        raise CorpusError(
            f"no readable articles in {corpus_dir}",
            hint="add .txt, .md or .html files (UTF-8) to the corpus folder",
        )
    return docs
