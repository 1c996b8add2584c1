"""The formats an analyst keeps: a saved news page, a PDF, a DOCX; and the ones that cannot be read.

The news page in tests/data/formats/ is laid out as news sites lay them out (menus, a search
box, an ad, the lead paragraph apart from the body, related-article teasers, a comment box,
``article:published_time``). The PDF and DOCX are made here: the DOCX with python-docx, the PDF
from it with LibreOffice (a real text layer, two pages), a scanned PDF as an image only.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from assistant.ingest.formats import Unreadable
from assistant.ingest.loading import load_corpus
from assistant.ingest.sandbox import extract
from conftest import ROOT

DATA = ROOT / "tests" / "data" / "formats"
PAGE = DATA / "quang-nam-champasak.html"


def make_docx(path: Path, *, title: str, author: str, created: dt.datetime, paragraphs: list[str],
              table: list[tuple[str, str]] = (), page_break_after: int | None = None) -> Path:
    from docx import Document
    from docx.enum.text import WD_BREAK

    doc = Document()
    doc.core_properties.title, doc.core_properties.author, doc.core_properties.created = title, author, created
    doc.add_heading(title, level=1)
    for i, text in enumerate(paragraphs):
        p = doc.add_paragraph(text)
        if page_break_after == i:
            p.add_run().add_break(WD_BREAK.PAGE)
    if table:
        t = doc.add_table(rows=len(table), cols=2)
        for row, (a, b) in zip(t.rows, table):
            row.cells[0].text, row.cells[1].text = a, b
    doc.save(path)
    return path


def docx_to_pdf(docx: Path, out_dir: Path) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (make test installs it)")
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(out_dir), str(docx)],
                   check=True, capture_output=True, timeout=180)
    return out_dir / f"{docx.stem}.pdf"


def scanned_pdf(path: Path) -> Path:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (620, 880), "white")
    draw = ImageDraw.Draw(img)
    for y in range(80, 800, 28):  # lines of "text" as a scanner sees them: pixels
        draw.rectangle((60, y, 560, y + 10), fill="black")
    img.save(path, format="PDF")
    return path


LETTER = [
    "Thực hiện chương trình đối ngoại năm 2024, Sở Ngoại vụ tỉnh Bình Định báo cáo kết quả công tác như sau.",
    "Trong quý I, tỉnh đã đón 14 đoàn khách quốc tế đến thăm và làm việc.",
    "Về công tác người Việt Nam ở nước ngoài, Sở đã phối hợp tổ chức chương trình Xuân Quê hương cho 120 kiều bào.",
    "Trong quý II, tỉnh Bình Định ký kết thỏa thuận hợp tác với tỉnh Gyeongsangnam của Hàn Quốc về đào tạo nghề.",
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A corpus of the three readable formats plus a scanned PDF and a corrupt DOCX."""
    base = tmp_path_factory.mktemp("archive")
    corpus = base / "corpus"
    corpus.mkdir()
    shutil.copy(PAGE, corpus / PAGE.name)
    make_docx(corpus / "cong-van-ninh-thuan.docx", title="Báo cáo công tác đối ngoại 6 tháng đầu năm 2024",
              author="Sở Ngoại vụ tỉnh Ninh Thuận", created=dt.datetime(2024, 7, 5, 9, 0),
              paragraphs=["Sáu tháng đầu năm 2024, tỉnh Ninh Thuận thu hút 9 dự án có vốn đầu tư nước ngoài.",
                          "Tỉnh đã tiếp nhận 2,4 triệu USD viện trợ phi chính phủ nước ngoài cho các dự án y tế."],
              table=[("Chỉ tiêu", "Kết quả"), ("Đoàn ra", "6 đoàn"), ("Đoàn vào", "11 đoàn")])
    work = base / "work"
    work.mkdir()
    source = make_docx(work / "bao-cao-binh-dinh.docx", title="Báo cáo kết quả công tác đối ngoại năm 2024",
                       author="Sở Ngoại vụ tỉnh Bình Định", created=dt.datetime(2024, 12, 20, 9, 0),
                       paragraphs=LETTER, page_break_after=2)
    pdf = docx_to_pdf(source, work)
    _set_pdf_date(pdf, corpus / "bao-cao-binh-dinh.pdf", "D:20241220090000+07'00'")
    scanned_pdf(corpus / "cong-van-scan.pdf")
    (corpus / "hong.docx").write_bytes(b"PK\x03\x04 this is not really a zip archive")
    return corpus


def _set_pdf_date(src: Path, dest: Path, stamp: str) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(src))
    writer.add_metadata({"/CreationDate": stamp})
    with dest.open("wb") as fh:
        writer.write(fh)


def test_a_saved_news_page_keeps_the_article_and_drops_the_page_around_it():
    got = extract(PAGE, PAGE.read_bytes())
    text = got.pages[0]
    assert got.title == "Quảng Nam và Champasak ký biên bản ghi nhớ hợp tác giai đoạn 2024 - 2028"
    assert got.date == "2024-03-15" and got.outlet == "Báo Điện tử Miền Trung"
    assert got.url.startswith("https://baomientrung.example.vn/doi-ngoai/")
    assert text.startswith("Chiều 14/3, tại Tam Kỳ")  # the lead, set apart from the body on the page
    assert "25 suất học bổng" in text and "18 triệu USD" in text
    for boilerplate in ("Trang chủ", "Tìm kiếm", "Khuyến mãi", "Tin liên quan", "3 triệu lượt khách",
                        "Bình luận", "50 suất học bổng", "Giá vàng", "Giấy phép số", "gtag"):
        assert boilerplate not in text, boilerplate


def test_wrapped_pdf_lines_join_into_sentences_and_short_lines_stay():
    from assistant.ingest.formats import unwrap

    page = ("BÁO CÁO TỔNG KẾT\n"
            "Trong quý II, tỉnh Bình Định ký kết thỏa thuận hợp tác với tỉnh\n"
            "Gyeongsangnam của Hàn Quốc về đào tạo nghề.\n"
            "Tỉnh đón 14 đoàn khách quốc tế trong quý I, nhiều hơn cùng kỳ năm\n"
            "trước.\n")
    assert unwrap(page).splitlines() == [
        "BÁO CÁO TỔNG KẾT",
        "Trong quý II, tỉnh Bình Định ký kết thỏa thuận hợp tác với tỉnh Gyeongsangnam của Hàn Quốc về đào tạo nghề.",
        "Tỉnh đón 14 đoàn khách quốc tế trong quý I, nhiều hơn cùng kỳ năm trước.",
    ]


@pytest.mark.slow  # LibreOffice makes the PDF
def test_pdf_pages_are_kept_and_a_scan_is_refused_with_its_reason(archive):
    got = extract(archive / "bao-cao-binh-dinh.pdf", (archive / "bao-cao-binh-dinh.pdf").read_bytes())
    assert got.paged and len(got.pages) == 2 and "Gyeongsangnam" in got.pages[1]
    assert got.title == "Báo cáo kết quả công tác đối ngoại năm 2024" and got.date == "2024-12-20"
    with pytest.raises(Unreadable, match="no text layer"):
        extract(archive / "cong-van-scan.pdf", (archive / "cong-van-scan.pdf").read_bytes())
    with pytest.raises(Unreadable, match="not a readable DOCX"):
        extract(archive / "hong.docx", (archive / "hong.docx").read_bytes())


@pytest.mark.slow  # LibreOffice makes the PDF
def test_a_one_page_pdf_is_cited_on_its_page_one(archive, tmp_path):
    from pypdf import PdfReader, PdfWriter

    from assistant.ingest.loading import make_document

    writer = PdfWriter()
    writer.add_page(PdfReader(archive / "bao-cao-binh-dinh.pdf").pages[0])
    one = tmp_path / "mot-trang.pdf"
    with one.open("wb") as f:
        writer.write(f)
    doc = make_document(one, one.read_bytes(), {})
    assert doc.pages == (0,) and doc.page_at(len(doc.text) - 1) == 1


@pytest.mark.slow  # LibreOffice makes the PDF
def test_an_archive_of_formats_is_indexed_and_each_answers_with_its_citation(archive, tmp_path, embedder):
    from assistant.config import load_settings
    from assistant.ingest.loading import Skipped
    from assistant.pipeline import Assistant, build_index

    skipped: list[Skipped] = []
    docs = {d.doc_id: d for d in load_corpus(archive, skipped)}
    assert set(docs) == {"quang-nam-champasak", "cong-van-ninh-thuan", "bao-cao-binh-dinh"}
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert set(reasons) == {"cong-van-scan.pdf", "hong.docx"}
    assert "no text layer" in reasons["cong-van-scan.pdf"] and "DOCX" in reasons["hong.docx"]
    assert "Đoàn vào | 11 đoàn" in docs["cong-van-ninh-thuan"].text  # table rows as text

    settings = load_settings(cwd=ROOT, corpus_dir=archive, index_dir=tmp_path / "index")
    report = build_index(settings, embedder)
    assert report.documents == 3 and len(report.skipped) == 2
    a = Assistant.open(settings, embedder)
    cases = [
        ("Quảng Nam cấp bao nhiêu suất học bổng cho sinh viên Champasak mỗi năm?", "quang-nam-champasak", "25",
         "Quảng Nam và Champasak ký biên bản ghi nhớ hợp tác giai đoạn 2024 - 2028", "15/03/2024",
         "Báo Điện tử Miền Trung", None),
        ("Ninh Thuận tiếp nhận bao nhiêu viện trợ phi chính phủ nước ngoài trong sáu tháng đầu năm 2024?",
         "cong-van-ninh-thuan", "2,4 triệu USD", "Báo cáo công tác đối ngoại 6 tháng đầu năm 2024", "05/07/2024",
         "Sở Ngoại vụ tỉnh Ninh Thuận", None),
        ("Bình Định ký thỏa thuận hợp tác với tỉnh nào của Hàn Quốc?", "bao-cao-binh-dinh", "Gyeongsangnam",
         "Báo cáo kết quả công tác đối ngoại năm 2024", "20/12/2024", "Sở Ngoại vụ tỉnh Bình Định", 2),
    ]
    for question, doc_id, fact, title, date, outlet, page in cases:
        ans = a.ask(question)
        assert not ans.refused and fact in ans.text, (question, ans.text)
        c = ans.citations[0]
        assert (c.doc_id, c.title, c.date, c.outlet, c.page) == (doc_id, title, date, outlet, page)
        assert docs[doc_id].text[c.start : c.end] == c.quote

    # a briefing's footnote names the PDF page its quote is on, as the chat's citation does
    from assistant.briefing import assemble, to_markdown
    from assistant.briefing.word import write_docx

    b = assemble([("", [a.ask(q) for q, *_ in cases])], a.index.documents)
    pages = {f.doc_id: f.page for f in b.footnotes}
    assert pages == {"quang-nam-champasak": None, "cong-van-ninh-thuan": None, "bao-cao-binh-dinh": 2}
    notes = [ln for ln in to_markdown(b).splitlines() if ln.startswith("[^")]
    assert [", tr. 2" in ln for ln in notes] == [f.doc_id == "bao-cao-binh-dinh" for f in b.footnotes]
    word = tmp_path / "brief.docx"
    write_docx(b, word)
    with zipfile.ZipFile(word) as z:
        assert "tr. 2" in re.sub(r"<[^>]+>", "", z.read("word/footnotes.xml").decode())


@pytest.mark.slow  # LibreOffice makes the PDF
def test_assistant_add_copies_readable_files_and_updates_the_index(archive, tmp_path, embedder):
    from click.testing import CliRunner

    from assistant.app.cli import main
    from assistant.config import load_settings
    from assistant.pipeline import Assistant, build_index
    from conftest import MINI

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(MINI, corpus)
    build_index(load_settings(cwd=ROOT, corpus_dir=corpus, index_dir=index), embedder)
    inbox = tmp_path / "inbox"
    (inbox / "nam-2024").mkdir(parents=True)
    for name in ("cong-van-ninh-thuan.docx", "cong-van-scan.pdf", "bao-cao-binh-dinh.pdf"):
        shutil.copy(archive / name, inbox / "nam-2024" / name)
    (inbox / "nam-2024" / "bang-tinh.xlsx").write_bytes(b"not read")  # not a format we read: not walked
    notes = inbox / "ghi-chu.odt"
    notes.write_bytes(b"x")
    where = ["--corpus", str(corpus), "--index", str(index)]
    runner = CliRunner()

    res = runner.invoke(main, ["add", str(PAGE), str(inbox / "nam-2024"), str(notes), *where], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    out = res.output
    assert f"added: {PAGE}" in out and "added: " + str(inbox / "nam-2024" / "bao-cao-binh-dinh.pdf") in out
    assert "skipped: " + str(inbox / "nam-2024" / "cong-van-scan.pdf") in out and "no text layer" in out
    assert "ghi-chu.odt (unsupported file type .odt" in out and "bang-tinh" not in out
    assert "3 added, 0 updated, 0 unchanged, 2 skipped" in out
    assert sorted(p.name for p in corpus.iterdir() if p.suffix in (".html", ".pdf", ".docx")) == [
        "bao-cao-binh-dinh.pdf", "cong-van-ninh-thuan.docx", "quang-nam-champasak.html"]
    assert not [p for p in corpus.iterdir() if p.name.startswith(".adding")]

    settings = load_settings(cwd=ROOT, corpus_dir=corpus, index_dir=index)
    ans = Assistant.open(settings, embedder).ask("Quảng Nam cấp bao nhiêu suất học bổng cho sinh viên Champasak?")
    assert "25" in ans.text and ans.citations[0].outlet == "Báo Điện tử Miền Trung"

    res = runner.invoke(main, ["add", str(PAGE), *where], catch_exceptions=False)  # the same file again
    assert "unchanged: " in res.output and "0 added, 0 updated, 1 unchanged" in res.output
    assert "Đã cập nhật chỉ mục" not in res.output  # nothing new: no build

    edited = tmp_path / PAGE.name
    edited.write_text(PAGE.read_text(encoding="utf-8").replace("25 suất học bổng", "30 suất học bổng"), encoding="utf-8")
    res = runner.invoke(main, ["add", str(edited), *where], catch_exceptions=False)  # never silently replaced
    assert f"added: {edited} -> quang-nam-champasak-2.html (the corpus has another file named" in res.output
    (corpus / "quang-nam-champasak-2.html").unlink()
    res = runner.invoke(main, ["add", "--replace", str(edited), *where], catch_exceptions=False)
    assert "updated: " in res.output and "0 added, 1 updated" in res.output and "Đã cập nhật chỉ mục" in res.output
    ans = Assistant.open(settings, embedder).ask("Quảng Nam cấp bao nhiêu suất học bổng cho sinh viên Champasak?")
    assert "30" in ans.text and "25 suất" not in ans.text

    res = runner.invoke(main, ["add", str(tmp_path / "missing.pdf"), *where])
    assert res.exit_code == 1 and "no such file or folder" in res.output


@pytest.mark.slow  # LibreOffice makes the PDF
def test_the_chat_is_told_in_vietnamese_why_a_file_was_not_added(archive, tmp_path):
    from assistant.ingest.adding import place_files

    inbox, corpus = tmp_path / "inbox", tmp_path / "corpus"
    inbox.mkdir()
    shutil.copy(archive / "cong-van-scan.pdf", inbox / "cong-van-scan.pdf")
    (inbox / "ghi-chu.odt").write_bytes(b"x")
    (inbox / "hong.docx").write_bytes(b"PK\x03\x04 not a zip")
    (inbox / "dai.txt").write_text("Đà Nẵng " * 40_000, encoding="utf-8")
    shutil.copy(PAGE, inbox / PAGE.name)
    placed = place_files(sorted(inbox.iterdir()) + [tmp_path / "missing.pdf"], corpus, max_bytes=200_000)

    why = {Path(p.source).name: (p.status, p.reason, p.reason_vi) for p in placed}
    assert why[PAGE.name] == ("added", "", "")
    assert why["cong-van-scan.pdf"][1].startswith("a PDF with no text layer")  # the CLI keeps its English
    assert why["cong-van-scan.pdf"][2].startswith("PDF không có lớp chữ (1 trang")
    assert why["ghi-chu.odt"][2].startswith("không hỗ trợ loại tệp .odt")
    assert why["hong.docx"][2].startswith("không đọc được tệp DOCX")
    assert why["dai.txt"][2].startswith("0.5 MB, vượt giới hạn 0.2 MB")
    assert why["missing.pdf"][2] == "không có tệp hay thư mục này"
    assert {p.name for p in corpus.iterdir()} == {PAGE.name}  # nothing unreadable was copied
