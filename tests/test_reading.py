"""The reading step on sentences written for these tests: candidate short answers carry their
unit and the noun they count, a bare unit or number word is never one, a figure counts what the
question counts, and the names a question spells are found."""

from __future__ import annotations

import pytest

from assistant.answer.extractive import capitalised_runs, counts_unit
from assistant.answer.shortanswer import candidate_spans, is_bare
from assistant.question.analysis import Analysis

SENTENCE = ("Bên cạnh đó, hiện có hơn 190 dự án đầu tư từ Nhật Bản với tổng vốn đầu tư khoảng "
            "900 triệu USD đang có hiệu lực tại tỉnh.")


def _analysis(expects: str | None, unit: str = "") -> Analysis:
    return Analysis({"dự": 2.0, "án": 2.0, "nhật": 3.0, "bản": 3.0}, [], [], expects, False, False, unit)


@pytest.mark.parametrize("text", ["triệu", "tỷ", "trăm", "hai", "USD", "%", "đô la", "mười hai"])
def test_a_unit_or_number_word_alone_is_bare(text):
    assert is_bare(text)


@pytest.mark.parametrize("text", ["hơn 190 dự án", "900 triệu USD", "hai mươi doanh nghiệp", "Gunma", "101%"])
def test_a_figure_or_a_name_is_not_bare(text):
    assert not is_bare(text)


def test_number_spans_carry_their_unit_and_what_they_count():
    spans = {sp.text for sp in candidate_spans(_analysis("number", "dự án"),
                                               "Tỉnh có bao nhiêu dự án đầu tư từ Nhật Bản?", SENTENCE)}
    assert "hơn 190 dự án" in spans and "khoảng 900 triệu USD" in spans
    assert not any(is_bare(s) for s in spans)
    assert "triệu" not in spans and "190" not in spans


def test_generic_spans_leave_out_the_question_words_and_function_words():
    spans = [sp for sp in candidate_spans(_analysis(None), "Dự án đầu tư từ Nhật Bản có hiệu lực ở đâu?", SENTENCE)]
    texts = {sp.text for sp in spans}
    assert all(not t.lower().startswith(("và ", "của ", "tại ")) and not t.endswith((" tại", " và")) for t in texts)
    assert all(sp.features["asked_share"] < 1 for sp in spans)


def test_a_figure_counts_the_noun_near_it_on_either_side():
    assert counts_unit(SENTENCE, "dự án")
    assert counts_unit("Tổng vốn đầu tư đăng ký đạt trên 5,1 tỷ USD.", "vốn")
    assert not counts_unit(SENTENCE, "lao động")
    assert counts_unit("Tỷ lệ giải ngân đạt 87%.", "phần trăm")


def test_the_names_a_question_spells():
    assert capitalised_runs("Jared Allen có bao nhiêu lần vật ngã?") == ["Jared Allen"]
    assert capitalised_runs("Khi nào Quảng Ninh ký với Gunma?") == ["Quảng Ninh", "Gunma"]
    assert capitalised_runs("Ai là CEO của Apple, Tim Cook?") == ["Apple", "Tim Cook"]


def test_a_figure_counts_its_own_noun_not_a_later_one():
    # "12 tổ chức hội người …": the figure counts associations, not people
    text = ("Tỉnh có khoảng 20.000 kiều bào tại 40 quốc gia, có 9 tổ chức hội người Hà Tĩnh ở nước ngoài "
            "và 105 dự án đầu tư.")
    units = {sp.text: sp.features["unit"] for sp in candidate_spans(_analysis("number", "người"), "bao nhiêu người", text)
             if sp.features["kind_span"]}
    assert units and not any(units.values())
    units = {sp.text: sp.features["unit"] for sp in candidate_spans(_analysis("number", "dự án"), "bao nhiêu dự án", text)
             if sp.features["kind_span"]}
    assert units["105 dự án"] == 1.0 and units["9 tổ chức"] == 0.0
