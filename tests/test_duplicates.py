"""Republished copies are recorded once with every outlet; different articles are never merged."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

from assistant.documents import Document
from assistant.ingest.duplicates import SAME_ARTICLE, find_copies, jaccard, merge_copies, shingles
from assistant.ingest.loading import load_corpus
from conftest import CORPUS, ROOT, SHARED

PAGE = ROOT / "tests" / "data" / "formats" / "quang-nam-champasak.html"


def _doc(doc_id: str, text: str, date: str = "2024-01-01") -> Document:
    return Document(doc_id=doc_id, title=doc_id, text=text, date=date, date_sort=date, outlet=doc_id + ".vn")


def test_a_wire_story_republished_with_another_header_and_footer_is_one_article():
    seeds = load_corpus(CORPUS)
    original = seeds[0]
    copy = replace(original, doc_id="copy", date_sort="2099", outlet="baokhac.vn",
                   text="BÁO KHÁC - Tin trong nước\n" + original.text + "\nTheo TTXVN. Ảnh: Tư liệu.")
    assert jaccard(shingles(original.text), shingles(copy.text)) > 0.95
    docs, copies = merge_copies([*seeds, copy])
    assert copies == {"copy": original.doc_id}
    kept = {d.doc_id: d for d in docs}
    assert "copy" not in kept and kept[original.doc_id].copies[0].outlet == "baokhac.vn"
    assert kept[original.doc_id].outlets() == (f"baokhac.vn ({copy.date_label})",)


def test_the_earliest_publication_is_the_article():
    a = _doc("later", "Đoàn đại biểu tỉnh Champasak thăm Quảng Nam và ký biên bản ghi nhớ hợp tác. " * 20, "2024-03-16")
    b = _doc("first", a.text, "2024-03-15")
    assert find_copies([a, b]) == {"later": "first"}


def test_different_articles_are_never_merged_seed_and_xquad():
    seeds = load_corpus(CORPUS)
    assert find_copies(seeds) == {}
    rows = [json.loads(line) for line in (SHARED / "bench" / "xquad_vi_full" / "contexts.jsonl").open(encoding="utf-8")]
    docs = [_doc(r["context_id"], r["text"]) for r in rows]
    assert len(docs) == 240 and find_copies(docs) == {}
    # paragraphs of one Wikipedia article share names and topic, still far from one text
    same_article = [d for d in docs if d.doc_id.startswith("xquad-vi-a000-")]
    worst = max(jaccard(shingles(x.text), shingles(y.text)) for i, x in enumerate(same_article)
                for y in same_article[i + 1 :])
    assert worst < SAME_ARTICLE / 2


def test_assistant_add_of_a_republished_page_records_both_outlets(tmp_path, embedder):
    from click.testing import CliRunner

    from assistant.app.cli import main
    from assistant.config import load_settings
    from assistant.pipeline import Assistant, build_index
    from conftest import MINI

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(MINI, corpus)
    shutil.copy(PAGE, corpus / PAGE.name)
    settings = load_settings(cwd=ROOT, corpus_dir=corpus, index_dir=index)
    first = build_index(settings, embedder)
    page = PAGE.read_text(encoding="utf-8")
    republished = (page.replace("Báo Điện tử Miền Trung", "Báo Tin tức Lào Việt")
                   .replace("baomientrung.example.vn", "laoviet.example.la")
                   .replace("2024-03-15T08:30:00+07:00", "2024-03-16T07:00:00+07:00")
                   .replace("Hoàng Minh", "Theo TTXVN"))
    src = tmp_path / "inbox" / "ban-tin-lao-viet.html"
    src.parent.mkdir()
    src.write_text(republished, encoding="utf-8")
    res = CliRunner().invoke(main, ["add", str(src), "--corpus", str(corpus), "--index", str(index)],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "ban-tin-lao-viet: the same text as quang-nam-champasak; recorded as another publication" in res.output
    a = Assistant.open(settings, embedder)
    assert len(a.index.documents) == first.documents  # one article, not two
    assert "ban-tin-lao-viet" not in {c.doc_id for c in a.index.chunks}  # not embedded twice
    ans = a.ask("Quảng Nam cấp bao nhiêu suất học bổng cho sinh viên Champasak mỗi năm?")
    c = ans.citations[0]
    assert c.doc_id == "quang-nam-champasak" and c.outlet == "Báo Điện tử Miền Trung"
    assert c.also == ("Báo Tin tức Lào Việt (16/03/2024)",)
    res = CliRunner().invoke(main, ["ask", "Quảng Nam cấp bao nhiêu suất học bổng cho sinh viên Champasak?",
                                    "--corpus", str(corpus), "--index", str(index)], catch_exceptions=False)
    assert "cũng đăng trên: Báo Tin tức Lào Việt (16/03/2024)" in res.output
    again = build_index(settings, embedder)  # the copy is not "added" again at every build
    assert again.added == () and again.changed == () and again.embedded == 0
