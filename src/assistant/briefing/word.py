"""A Briefing as a Word document (python-docx) with real footnotes, readable in Word and LibreOffice.

python-docx has no footnote API, so this module adds the footnotes part itself: a
``word/footnotes.xml`` related to the main document, the two separator notes Word expects,
and ``footnote text`` / ``footnote reference`` styles. Each footnote is referenced once, where
it is first cited, inside a bookmark; a later citation of the same sentence is a NOTEREF
field to that bookmark (Word's own cross-reference to a footnote), so one source cited twice
keeps one footnote and one number. The number is also written as the field's cached result,
so a reader that does not update fields shows it too.

The timeline's Word document (:func:`timeline_document`) is laid out the same way.

Layout follows Vietnamese administrative documents: A4, Times New Roman 13 pt, margins
2/2/3/2 cm, language vi-VN (so Word spell-checks in Vietnamese).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from docx import Document as new_document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import XmlPart
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

from .model import NO_INFO, Briefing, Item, Line
from .wording import (
    LIST_ARTICLES,
    NEW_MARK,
    SOURCES,
    TIMELINE_METHOD,
    TIMELINE_NO_EVENTS,
    change_text,
    footnote_details,
    header,
    outline,
    since_label,
    source_details,
    source_label,
    timeline_scope,
    timeline_source,
)

if TYPE_CHECKING:
    from .timeline import Timeline

FOOTNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
FONT = "Times New Roman"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML

_STYLES = f"""<w:styles {nsdecls("w")}>
<w:style w:type="paragraph" w:styleId="FootnoteText"><w:name w:val="footnote text"/><w:basedOn w:val="Normal"/>
<w:uiPriority w:val="99"/><w:pPr><w:spacing w:after="60" w:line="240" w:lineRule="auto"/><w:jc w:val="both"/></w:pPr>
<w:rPr><w:sz w:val="20"/><w:szCs w:val="20"/></w:rPr></w:style>
<w:style w:type="character" w:styleId="FootnoteReference"><w:name w:val="footnote reference"/>
<w:uiPriority w:val="99"/><w:rPr><w:vertAlign w:val="superscript"/></w:rPr></w:style>
<w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/><w:uiPriority w:val="99"/>
<w:rPr><w:color w:val="0563C1"/><w:u w:val="single"/></w:rPr></w:style>
</w:styles>"""

_SEPARATORS = f"""<w:footnotes {nsdecls("w", "r")}>
<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>
<w:r><w:separator/></w:r></w:p></w:footnote>
<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/>
</w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>
</w:footnotes>"""


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


def _run(text: str = "", *, style: str = "", italic: bool = False, bold: bool = False, highlight: bool = False):
    r = OxmlElement("w:r")
    if style or italic or bold or highlight:
        rpr = OxmlElement("w:rPr")
        if style:
            rs = OxmlElement("w:rStyle")
            rs.set(qn("w:val"), style)
            rpr.append(rs)
        for on, tag in ((bold, "w:b"), (italic, "w:i")):
            if on:
                rpr.append(OxmlElement(tag))
        if highlight:  # after w:b and w:i, as the schema orders a run's properties
            _child(rpr, "w:highlight", val="yellow")
        r.append(rpr)
    if text:
        t = OxmlElement("w:t")
        t.text = _clean(text)
        t.set(qn("xml:space"), "preserve")
        r.append(t)
    return r


def _child(parent, tag: str, **attrs: str):
    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(qn(f"w:{k}"), v)
    parent.append(el)
    return el


def vietnamese_document(title: str, comments: str):
    """A new python-docx Document laid out as Vietnamese administrative documents are: A4,
    margins 2/2/3/2 cm, Times New Roman 13 pt in every style, language vi-VN (the briefing's
    and the timeline's)."""
    doc = new_document()
    for rid, rel in list(doc.part.package.rels.items()):  # the template's thumbnail shows a blank page
        if rel.reltype == RT.THUMBNAIL:
            doc.part.package.rels.pop(rid)
    styles = doc.styles.element
    for style in parse_xml(_STYLES):
        styles.append(style)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "List Bullet"):
        _font(doc.styles[name])
    normal = doc.styles["Normal"]
    normal.font.size = Pt(13)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    title_style = doc.styles["Title"]
    title_style.font.size, title_style.font.color.rgb = Pt(20), RGBColor(0x1F, 0x2A, 0x44)
    for name, size in (("Heading 1", 15), ("Heading 2", 13.5)):
        doc.styles[name].font.size, doc.styles[name].font.color.rgb = Pt(size), RGBColor(0x1F, 0x3A, 0x68)
    props = doc.core_properties
    props.title, props.author, props.language = title, "assistant", "vi-VN"
    props.comments = comments
    return doc


def _font(style) -> None:
    """Times New Roman everywhere: set every script slot and drop the theme fonts, which win otherwise."""
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for key in list(fonts.attrib):
        if key.endswith("Theme"):
            del fonts.attrib[key]
    for slot in ("ascii", "hAnsi", "cs", "eastAsia"):
        fonts.set(qn(f"w:{slot}"), FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = _child(rpr, "w:lang")
    lang.set(qn("w:val"), "vi-VN")


class _WordBriefing:
    def __init__(self, b: Briefing) -> None:
        self.b = b
        self.doc = vietnamese_document(b.title, "Bản tin có trích dẫn, soạn tự động từ kho bài báo.")
        self.notes = XmlPart(PackURI("/word/footnotes.xml"), FOOTNOTES_CT, parse_xml(_SEPARATORS),
                             self.doc.part.package)
        self.doc.part.relate_to(self.notes, RT.FOOTNOTES)
        # as Word writes it: the settings name the two separator notes (before w:compat, by the schema)
        settings = self.doc.settings.element
        pr = parse_xml(f'<w:footnotePr {nsdecls("w")}><w:footnote w:id="-1"/><w:footnote w:id="0"/></w:footnotePr>')
        compat = settings.find(qn("w:compat"))
        if compat is not None:
            compat.addprevious(pr)
        else:
            settings.append(pr)
        self._referenced: set[int] = set()

    # -- footnotes -------------------------------------------------------------------------
    def _footnote(self, n: int) -> None:
        """«quote» — *title*, outlet, date, URL (a link). [Nguồn k]"""
        note = self.b.footnotes[n - 1]
        source = self.b.source_of(note)
        xml = _child(self.notes.element, "w:footnote", id=str(n))
        p = _child(xml, "w:p")
        _child(_child(p, "w:pPr"), "w:pStyle", val="FootnoteText")
        ref = _run(style="FootnoteReference")
        _child(ref, "w:footnoteRef")
        p.append(ref)
        if self.b.changes is not None and n in self.b.changes.new_notes:
            p.append(_run(" "))
            p.append(_new_mark())
        p.append(_run(f" «{note.quote}» — "))
        p.append(_run(source.title, italic=True))
        for part in footnote_details(source, note.page):
            p.append(_run(", "))
            if part == source.url:
                link = _child(p, "w:hyperlink")
                link.set(qn("r:id"), self.notes.relate_to(part, RT.HYPERLINK, is_external=True))
                link.append(_run(part, style="Hyperlink"))
            else:
                p.append(_run(part))
        p.append(_run(f". {source_label(note)}"))

    def _reference(self, p, n: int) -> None:
        """A footnote mark: the footnote itself the first time, a NOTEREF field to it after that."""
        el = p._p
        name = f"_RefNote{n}"
        if n not in self._referenced:
            self._referenced.add(n)
            self._footnote(n)
            _child(el, "w:bookmarkStart", id=str(n), name=name)
            r = _run(style="FootnoteReference")
            _child(r, "w:footnoteReference", id=str(n))
            el.append(r)
            _child(el, "w:bookmarkEnd", id=str(n))
            return
        _child(_child(el, "w:r"), "w:fldChar", fldCharType="begin")
        instr = _child(_child(el, "w:r"), "w:instrText")
        instr.text = f" NOTEREF {name} \\f \\h "
        instr.set(qn("xml:space"), "preserve")
        _child(_child(el, "w:r"), "w:fldChar", fldCharType="separate")
        el.append(_run(str(n), style="FootnoteReference"))
        _child(_child(el, "w:r"), "w:fldChar", fldCharType="end")

    # -- body ------------------------------------------------------------------------------
    def _labelled(self, label: str, text: str) -> None:
        p = self.doc.add_paragraph()
        p.add_run(label).bold = True
        p.add_run(_clean(text))

    def _line(self, line: Line) -> None:
        p = self.doc.add_paragraph(style="List Bullet" if line.bullet else None)
        if self.b.changes is not None and self.b.changes.is_new(line):
            p._p.append(_new_mark())
            p._p.append(_run(" "))
        for piece in line.pieces:
            if isinstance(piece, int):
                self._reference(p, piece)
            else:
                p._p.append(_run(piece))

    def _item(self, item: Item, heading: str, level: int) -> None:
        self.doc.add_heading(_clean(heading), level=level)
        if self.b.changes is not None:
            p = self.doc.add_paragraph()
            p._p.append(_run(_clean(f"{since_label(self.b)}: "), bold=True, highlight=True))
            p._p.append(_run(_clean(change_text(self.b.changes.of(item)))))
        if not item.answered:
            self.doc.add_paragraph().add_run(NO_INFO).italic = True
            return
        for line in item.lines:
            self._line(line)

    def build(self):
        b, doc = self.b, self.doc
        doc.add_paragraph(_clean(b.title), style="Title")
        for label, text in header(b):
            self._labelled(f"{label}: ", text)
        if len(b.scope.articles) <= LIST_ARTICLES:
            doc.add_paragraph("Các bài trong kho:")
            for d in b.scope.articles:
                p = doc.add_paragraph(style="List Bullet")
                p.add_run(_clean(d.title)).italic = True
                p.add_run(f" — {_clean(d.date_label)}")
        for heading, items in outline(b):
            if heading:
                doc.add_heading(_clean(heading), level=1)
            for number, item in items:
                self._item(item, f"{number.split('.')[-1]}. {item.question}", 2 if heading else 1)
        if b.sources:
            doc.add_heading(SOURCES, level=1)
            for s in b.sources:
                p = doc.add_paragraph()
                p.paragraph_format.left_indent, p.paragraph_format.first_line_indent = Cm(0.8), Cm(-0.8)
                p.add_run(f"{s.n}. ")
                p.add_run(_clean(s.title)).italic = True
                p.add_run(_clean("; " + "; ".join(source_details(s)) + "."))
        return doc


def _new_mark():
    """"[Mới]", bold and highlighted: a line or footnote the last edition did not have."""
    return _run(NEW_MARK, bold=True, highlight=True)


def write_docx(b: Briefing, path: Path) -> None:
    """Write ``b`` to ``path`` (a .docx file)."""
    _WordBriefing(b).build().save(str(path))


def timeline_document(t: Timeline):
    """A Timeline as a Word document: title, scope and method, then one block per event (date
    and kind, the quote, its source, the other outlets), as ``timeline.to_markdown`` prints it."""
    doc = vietnamese_document(t.title, "Dòng thời gian có trích dẫn, soạn tự động từ kho bài báo.")
    doc.add_paragraph(_clean(t.title), style="Title")
    for label, text in (("Phạm vi: ", timeline_scope(t)), ("Cách lập: ", TIMELINE_METHOD)):
        p = doc.add_paragraph()
        p.add_run(label).bold = True
        p.add_run(_clean(text))
    if not t.events:
        doc.add_paragraph().add_run(TIMELINE_NO_EVENTS).italic = True
    for e in t.events:
        head = doc.add_paragraph()
        head.paragraph_format.space_before, head.paragraph_format.space_after = Pt(10), Pt(2)
        head.paragraph_format.keep_with_next = True
        head.add_run(_clean(e.date_label)).bold = True
        head.add_run(f" · {e.label}")
        quote = doc.add_paragraph(_clean(f"«{e.report.quote}»"))
        quote.paragraph_format.left_indent, quote.paragraph_format.space_after = Cm(0.8), Pt(2)
        source = doc.add_paragraph()
        source.paragraph_format.left_indent, source.paragraph_format.space_after = Cm(0.8), Pt(2)
        source.add_run("— ")
        source.add_run(_clean(e.report.title)).italic = True
        source.add_run(_clean(timeline_source(e.report)))
        for r in e.restated:
            again = doc.add_paragraph()
            again.paragraph_format.left_indent, again.paragraph_format.space_after = Cm(0.8), Pt(2)
            again.add_run("Cũng trong bài: ").bold = True
            again.add_run(_clean(f"«{r.quote}»"))
        if e.also:
            also = doc.add_paragraph()
            also.paragraph_format.left_indent = Cm(0.8)
            also.add_run("Cũng đưa tin: ").bold = True
            also.add_run(_clean(", ".join(e.also)))
    return doc
