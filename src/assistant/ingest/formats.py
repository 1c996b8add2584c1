"""File formats -> text and what the file says about itself, each through a well-kept library.

* HTML (saved news pages): ``trafilatura`` keeps the article's main text (menus, teasers,
  comments and ads go) and reads title, publication date (``htmldate``), site name and URL
  from the page's own metadata. A page it finds no article in falls back to its visible text.
* PDF with a text layer: ``pypdf``, page by page, so a citation can name its page; a PDF
  with no text (a scan) is refused with that reason.
* DOCX: ``python-docx``, paragraphs and table rows in document order; title and date from
  the core properties.
* TXT and MD: the text itself (Markdown headings and emphasis markers removed).

Every reader returns ``Extracted``; nothing here cleans Vietnamese text or builds Documents
(``loading`` does, and ``metadata.json`` still wins over what a file says about itself).

Files are untrusted (an editor's upload, a page saved from anywhere), so ``sandbox.extract`` reads
them under ``Limits``: a DOCX's unpacked size and a PDF's pages are checked before parsing,
the parsers (HTML, PDF, DOCX) run in a worker process with a memory cap and a time limit
(``sandbox``), and any exception a reader raises becomes ``Unreadable`` naming its cause.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class Unreadable(ValueError):
    """A file that cannot give text; the message is the reason a reader sees.

    ``vi`` says the same in Vietnamese, for the chat's upload panel.
    """

    def __init__(self, message: str, vi: str = "") -> None:
        super().__init__(message)
        self.vi = vi or message

    def __reduce__(self):  # from the reader's worker process, with its Vietnamese
        return type(self), (str(self), self.vi)


@dataclass(frozen=True)
class Limits:
    """What reading one file may cost; a file over any of them is Unreadable, named with the limit."""

    seconds: float = 60.0  # wall time of one file's parser (settings.read_seconds)
    memory_mb: int = 2048  # address space of the parsers' worker process (settings.read_memory_mb)
    unpacked_mb: float = 100.0  # a DOCX's parts once unzipped (a 1 MB file can hold 1 GB of XML)
    parts: int = 5000  # a DOCX's zip entries
    pages: int = 1000  # a PDF's pages


NO_LIMITS_GIVEN = Limits()  # the defaults


@dataclass(frozen=True)
class Extracted:
    pages: tuple[str, ...]  # the text; one entry per page for PDFs, else one entry
    title: str = ""
    date: str | None = None  # ISO, as the file states it
    outlet: str = ""
    url: str = ""
    paged: bool = False  # do the pages stand for real pages (a citation may say "tr. 3")?


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"not UTF-8 text (byte {exc.start})",
                         f"không phải văn bản UTF-8 (byte {exc.start})") from exc


def read_text(raw: bytes, limits: Limits = NO_LIMITS_GIVEN) -> Extracted:
    return Extracted((_decode(raw),))


def read_markdown(raw: bytes, limits: Limits = NO_LIMITS_GIVEN) -> Extracted:
    text = re.sub(r"(?m)^#{1,6}\s*", "", _decode(raw)).replace("**", "")
    return Extracted((text,))


def visible_text(raw: str) -> str:
    """Visible text of an HTML page, one block element per line: the fallback when
    trafilatura finds no article (a page that is only a list, a fragment)."""
    raw = re.sub(r"(?is)<(script|style|noscript|nav|header|footer|aside|form|template)\b.*?</\1>", " ", raw)
    raw = re.sub(r"(?i)<br\s*/?>|</(p|div|h[1-6]|li|tr|section|article|figcaption)>", "\n", raw)
    raw = re.sub(r"(?s)<[^>]+>", " ", raw)
    return html.unescape(raw)


def _iso(date: str | None) -> str | None:
    m = re.match(r"((?:1[89]|2\d)\d\d)(-\d\d(-\d\d)?)?", date or "")
    return m.group(0) if m else None


def _lead(description: str, text: str) -> str:
    """The page's description when it is the article's lead paragraph ("sapo") and the main
    text lacks it: Vietnamese news sites set the sapo apart from the body, and trafilatura
    keeps the body. A site-wide blurb shares few words with the article and is not taken."""
    desc = " ".join(description.split())
    if len(desc) < 40 or desc[:60] in " ".join(text.split()):
        return ""
    words = re.findall(r"\w+", desc.lower())
    body = set(re.findall(r"\w+", text.lower()))
    return desc if words and sum(w in body for w in words) / len(words) >= 0.5 else ""


def read_html(raw: bytes, limits: Limits = NO_LIMITS_GIVEN) -> Extracted:
    import trafilatura

    page = _decode(raw)
    # subtle: deduplicate=False: trafilatura's dedup remembers paragraphs across calls, and
    # would drop a paragraph from one article because another article of the run had it
    # a trafilatura Document (a dict only with as_dict=True), or None
    doc: Any = trafilatura.bare_extraction(page, with_metadata=True, include_comments=False, include_tables=True,
                                           favor_precision=True, deduplicate=False,
                                           date_extraction_params={"original_date": True, "extensive_search": True})
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    if not text:
        return Extracted((visible_text(page),))
    lead = _lead(doc.description or "", text)
    if lead:
        text = f"{lead}\n{text}"
    return Extracted(
        (text,),
        title=(doc.title or "").strip(),
        date=_iso(doc.date),
        outlet=(doc.sitename or doc.hostname or "").strip(),
        url=(doc.url or "").strip(),
    )


_ENDS_BLOCK = re.compile(r"[.!?:;…\"”»)\]]\s*$")


def unwrap(page: str) -> str:
    """Lines of a PDF page joined back into paragraphs.

    A PDF stores lines as laid out, so a sentence runs over several. A line is joined to the
    next when it does not end a sentence and is nearly as long as the page's longest line
    (it was wrapped); a short line (a heading, the end of a paragraph) stays a line.
    """
    lines = [ln.strip() for ln in page.splitlines()]
    width = max((len(ln) for ln in lines), default=0)
    out: list[str] = []
    joining = False
    for ln in lines:
        if not ln:
            joining = False
            out.append("")
            continue
        if joining and out:
            out[-1] = out[-1][:-1] + ln if out[-1].endswith("-") and ln[:1].islower() else f"{out[-1]} {ln}"
        else:
            out.append(ln)
        joining = not _ENDS_BLOCK.search(ln) and len(ln) >= 0.6 * width
    return "\n".join(out)


def read_pdf(raw: bytes, limits: Limits = NO_LIMITS_GIVEN) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            raise Unreadable("an encrypted PDF (save it without a password to index it)",
                             "PDF có mật khẩu (hãy lưu lại không mật khẩu để đưa vào kho)")
        if len(reader.pages) > limits.pages:
            raise Unreadable(f"a PDF of {len(reader.pages)} pages, over the {limits.pages}-page limit (split it)",
                             f"PDF {len(reader.pages)} trang, vượt giới hạn {limits.pages} trang (hãy tách tệp)")
        pages = tuple(unwrap(p.extract_text() or "") for p in reader.pages)
        info: Mapping[str, Any] = reader.metadata or {}
    except Unreadable:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise Unreadable(f"not a readable PDF ({exc})", f"không đọc được tệp PDF ({exc})") from exc
    if not any(p.strip() for p in pages):
        raise Unreadable(f"a PDF with no text layer ({len(pages)} pages, scanned images?); OCR it first",
                         f"PDF không có lớp chữ ({len(pages)} trang, bản scan?); cần nhận dạng chữ (OCR) trước")
    date = None
    created = info.get("/CreationDate")
    if isinstance(created, str):
        m = re.match(r"D:(\d{4})(\d\d)?(\d\d)?", created)
        if m:
            date = "-".join(x for x in m.groups() if x)
    # an official document's author is the body that issued it: the nearest thing to an outlet
    return Extracted(pages, title=str(info.get("/Title") or "").strip(), date=_iso(date),
                     outlet=str(info.get("/Author") or "").strip(), paged=True)


def _check_unpacked(raw: bytes, limits: Limits) -> None:
    """A DOCX is a zip: refuse one whose parts unpack past the limits before any is inflated."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        infos = z.infolist()
    size = sum(i.file_size for i in infos)
    if len(infos) > limits.parts or size > limits.unpacked_mb * 1e6:
        raise Unreadable(f"a DOCX that unpacks to {size / 1e6:,.0f} MB in {len(infos)} parts, over the "
                         f"{limits.unpacked_mb:g} MB / {limits.parts} parts limit",
                         f"tệp DOCX giải nén ra {size / 1e6:,.0f} MB ({len(infos)} phần), vượt giới hạn "
                         f"{limits.unpacked_mb:g} MB / {limits.parts} phần")


def read_docx(raw: bytes, limits: Limits = NO_LIMITS_GIVEN) -> Extracted:
    import zipfile

    from docx import Document as Docx
    from docx.oxml.ns import qn

    try:
        _check_unpacked(raw, limits)
        doc = Docx(io.BytesIO(raw))
    except Unreadable:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise Unreadable(f"not a readable DOCX ({type(exc).__name__}: {exc})",
                         f"không đọc được tệp DOCX ({type(exc).__name__}: {exc})") from exc
    lines: list[str] = []
    for block in doc.element.body.iterchildren():  # paragraphs and tables in document order
        if block.tag == qn("w:p"):
            lines.append("".join(t.text or "" for t in block.iter(qn("w:t"))))
        elif block.tag == qn("w:tbl"):
            for row in block.iter(qn("w:tr")):
                cells = ["".join(t.text or "" for t in cell.iter(qn("w:t"))).strip() for cell in row.iter(qn("w:tc"))]
                lines.append(" | ".join(c for c in cells if c))
    props = doc.core_properties
    when = props.created or props.modified
    return Extracted(("\n".join(lines),), title=(props.title or "").strip(),
                     date=when.date().isoformat() if when else None, outlet=(props.author or "").strip())


READERS = {".txt": read_text, ".md": read_markdown, ".html": read_html, ".htm": read_html,
           ".pdf": read_pdf, ".docx": read_docx}
SUFFIXES = tuple(READERS)


PARSED = (".html", ".htm", ".pdf", ".docx")  # read by a parser: in the worker process, under limits


def read(suffix: str, raw: bytes, limits: Limits) -> Extracted:
    """``suffix``'s reader on ``raw``; whatever it raises comes out as Unreadable with its cause."""
    try:
        return READERS[suffix](raw, limits)
    except Unreadable:
        raise
    except MemoryError as exc:
        raise Unreadable(f"reading it needs more than the {limits.memory_mb} MB limit (read_memory_mb)",
                         f"đọc tệp cần quá {limits.memory_mb} MB bộ nhớ (read_memory_mb)") from exc
    except Exception as exc:  # a damaged file can raise anything from a parser: name the file, go on
        why = " ".join(str(exc).split())[:200]
        raise Unreadable(f"a damaged {suffix[1:].upper()} file ({type(exc).__name__}: {why})",
                         f"tệp {suffix[1:].upper()} bị hỏng ({type(exc).__name__}: {why})") from exc
