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
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class Unreadable(ValueError):
    """A file that cannot give text; the message is the reason a reader sees.

    ``vi`` says the same in Vietnamese, for the chat's upload panel.
    """

    def __init__(self, message: str, vi: str = "") -> None:
        super().__init__(message)
        self.vi = vi or message


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


def read_text(raw: bytes) -> Extracted:
    return Extracted((_decode(raw),))


def read_markdown(raw: bytes) -> Extracted:
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


def read_html(raw: bytes) -> Extracted:
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


def read_pdf(raw: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            raise Unreadable("an encrypted PDF (save it without a password to index it)",
                             "PDF có mật khẩu (hãy lưu lại không mật khẩu để đưa vào kho)")
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


def read_docx(raw: bytes) -> Extracted:
    import zipfile

    from docx import Document as Docx
    from docx.oxml.ns import qn

    try:
        doc = Docx(io.BytesIO(raw))
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


def extract(path: Path, raw: bytes) -> Extracted:
    """What ``path`` holds, by its suffix; raises Unreadable with the reason."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise Unreadable(f"unsupported file type {path.suffix or '(none)'}",
                         f"không hỗ trợ loại tệp {path.suffix or '(không đuôi)'}")
    return reader(raw)
