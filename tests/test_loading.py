import shutil
from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.ingest.loading import Skipped, clean_text, load_corpus

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


def read(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page_002():
    return clean_text(read("002_46719442a27a4bf4.txt"))


@pytest.mark.parametrize(
    "boilerplate",
    [
        "Thời tiết hôm nay", "Warsaw", "Tin bài liên quan", "Đọc nhiều", "[Video]", "Trang chủ",
        "Theo dõi thoidai.com.vn", "Rewind 10 Seconds", "Vinhomes Royal Island", "Xuân Ất Tỵ",
        "gặp mặt gần 500 kiều bào",
    ],
)
def test_web_boilerplate_is_removed(page_002, boilerplate):
    assert boilerplate not in page_002


@pytest.mark.parametrize(
    "article_text",
    ["Lê Anh Quân", "26 địa phương", "thu hút đầu tư trực tiếp từ 42 quốc gia", "45-NQ/TW", "tháng 2/2025"],
)
def test_the_article_itself_is_kept(page_002, article_text):
    assert article_text in page_002


def test_duplicated_caption_is_kept_once(page_002):
    assert page_002.count("Ảnh minh họa. (Nguồn: Internet)") == 1
    assert page_002.count("Lắp ráp linh kiện điện tử") == 1


def test_glued_words_are_split():
    text = clean_text(read("000_ec42a8eebfee3595.txt"))
    for fixed in ("thành lập Sở Ngoại vụ", "PCPNN đạt", "đã trải qua", "châu Á giúp", "các chương trình", "dân tộc. Công tác"):
        assert fixed in text
    for glued in ("lậpSở", "PCPNNđạt", "đãtrải", "cácchương"):
        assert glued not in text
    # names and English stay whole
    assert "Kitakyushu" in text and "Sihanoukville" in text


def test_tag_cloud_and_related_links_of_004_are_removed():
    text = clean_text(read("004_ce329a74134a4137.txt"))
    assert "Bài viết liên quan" not in text and "Loading" not in text
    assert "Covid   Covid-19" not in text
    assert "Quyết định số 4372/QĐ-UB ngày 17/12/1996" in text


def test_metadata_file_gives_dates_titles_and_outlets():
    docs = {d.doc_id: d for d in load_corpus(CORPUS)}
    assert set(docs) == {p.stem for p in CORPUS.glob("*.txt")}
    assert docs["002_46719442a27a4bf4"].date == "2025-04-27"
    assert docs["004_ce329a74134a4137"].outlet == "kinhtedothi.vn"
    assert docs["000_ec42a8eebfee3595"].date is None
    assert "2020" in docs["000_ec42a8eebfee3595"].date_label
    # newest first by date_sort: 002 > 004 > 000 (after 2020) > 003 > 001
    order = sorted(docs.values(), key=lambda d: d.date_sort, reverse=True)
    assert [d.doc_id[:3] for d in order] == ["002", "004", "000", "003", "001"]


def test_metadata_is_inferred_without_metadata_file(tmp_path):
    shutil.copy(CORPUS / "002_46719442a27a4bf4.txt", tmp_path / "new.txt")
    (doc,) = load_corpus(tmp_path)
    assert doc.doc_id == "new"
    assert doc.date == "2025-04-27" and doc.date_label == "27/04/2025"
    assert doc.url.startswith("https://baotintuc.vn/")
    assert doc.title.startswith("Công tác đối ngoại - 'cầu nối tin cậy'")


def test_unreadable_file_is_named_and_skipped_others_load(tmp_path):
    shutil.copy(CORPUS / "004_ce329a74134a4137.txt", tmp_path / "ok.txt")
    (tmp_path / "latin1.txt").write_bytes("Tin có lõi mã hóa".encode("latin-1"))
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    skipped: list[Skipped] = []
    docs = load_corpus(tmp_path, skipped)
    assert [d.doc_id for d in docs] == ["ok"]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert "UTF-8" in reasons["latin1.txt"]
    assert "empty.txt" in reasons


def test_empty_corpus_is_an_error(tmp_path):
    with pytest.raises(CorpusError, match="no readable articles"):
        load_corpus(tmp_path)
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "missing")


def test_html_and_markdown_articles(tmp_path):
    (tmp_path / "page.html").write_text(
        "<html><head><script>var x=1;</script></head><body><nav>Trang chủ</nav>"
        "<h1>Hải Phòng đón đoàn Nhật Bản</h1><p>Ngày 2/4/2025, thành phố đón đoàn khách.</p>"
        "<p>Tin bài liên quan</p><p>Thời tiết hôm nay</p></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "note.md").write_text("# Tiêu đề\n\nNội dung **quan trọng** của bài.\n", encoding="utf-8")
    docs = {d.doc_id: d for d in load_corpus(tmp_path)}
    assert docs["page"].title == "Hải Phòng đón đoàn Nhật Bản"
    assert "thành phố đón đoàn khách" in docs["page"].text
    assert "var x" not in docs["page"].text and "Thời tiết" not in docs["page"].text
    assert docs["note"].title == "Tiêu đề" and "**" not in docs["note"].text


def test_nfd_and_new_tone_style_are_normalised_at_load(mini_settings):
    docs = {d.doc_id: d for d in load_corpus(mini_settings.corpus_dir)}
    text = docs["b_cantho"].text
    assert "Thủy Nguyên" in text and "hòa bình" in text and "Cần Thơ" in text


def test_a_paragraph_ending_without_a_full_stop_is_not_taken_for_a_headline(tmp_path):
    """A title line, then one long paragraph whose last sentence ends on a date: the body was
    dropped as a "block of links" (two headline-like lines), leaving the title alone (found in
    the 10,000-article benchmark: 289 articles)."""
    body = ("Đoàn công tác của tỉnh đã làm việc với thành phố Viêng Chăn về hợp tác giáo dục. "
            "Hai bên thống nhất trao đổi 50 học bổng mỗi năm cho sinh viên. "
            "Lễ ký kết biên bản ghi nhớ diễn ra ngày 12/3/2024")
    (tmp_path / "a.txt").write_text("Quảng Trị tăng cường hợp tác với Lào năm 2024\n" + body + "\n", encoding="utf-8")
    (doc,) = load_corpus(tmp_path)
    assert doc.title == "Quảng Trị tăng cường hợp tác với Lào năm 2024"
    assert "50 học bổng" in doc.text and doc.text.endswith("ngày 12/3/2024")
    # a real block of teaser headlines (one sentence each) still goes
    teasers = ("Thanh Hóa đón đoàn doanh nghiệp Hàn Quốc đến tìm hiểu đầu tư\n"
               "Nghệ An ký kết hợp tác với tỉnh Xiêng Khoảng của nước bạn Lào")
    cleaned = clean_text("Tiêu đề bài báo ở đây\n" + body + ".\n" + teasers)
    assert "50 học bổng" in cleaned and "Thanh Hóa" not in cleaned and "Nghệ An" not in cleaned


def test_an_article_with_a_url_and_no_outlet_is_cited_by_its_host():
    from assistant.ingest.loading import make_document

    doc = make_document(Path("tin.txt"), "Tin ngắn\nTỉnh Gia Lai tiếp Đại sứ Campuchia.\n".encode(),
                        {"url": "https://www.vov.vn/doi-ngoai/tin.html"})
    assert (doc.outlet, doc.url) == ("vov.vn", "https://www.vov.vn/doi-ngoai/tin.html")
    named = make_document(Path("tin.txt"), "Tin ngắn\nTỉnh Gia Lai tiếp Đại sứ Campuchia.\n".encode(),
                          {"url": "https://www.vov.vn/tin.html", "outlet": "Đài Tiếng nói Việt Nam"})
    assert named.outlet == "Đài Tiếng nói Việt Nam"  # an outlet named wins over the host
