import unicodedata

import pytest

from assistant.vietnamese import (
    fold,
    has_diacritics,
    index_terms,
    is_syllable,
    normalize,
    sentence_spans,
    words,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("hoà bình", "hòa bình"),
        ("Thuỷ Nguyên", "Thủy Nguyên"),
        ("khoẻ", "khỏe"),
        ("UỶ ban", "ỦY ban"),
        ("quý", "quý"),  # qu + y: the tone stays on y
        ("hoàng", "hoàng"),  # closed syllable: both conventions agree
        ("toàn cầu hóa", "toàn cầu hóa"),
    ],
)
def test_one_tone_convention(text, expected):
    assert normalize(text) == expected


def test_nfd_and_nfc_normalise_to_the_same_string():
    nfc = "Sở Ngoại vụ Hải Phòng"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    assert normalize(nfd) == nfc


def test_fold_strips_every_diacritic_including_d_bar():
    assert fold("Đà Nẵng, Hải Phòng") == "Da Nang, Hai Phong"
    assert has_diacritics("Hà Nội") and not has_diacritics("Ha Noi")


@pytest.mark.parametrize("word, ok", [("trải", True), ("nghiêng", True), ("Sở", True), ("đãtrải", False), ("lậpSở", False)])
def test_syllable_shape(word, ok):
    assert is_syllable(word) is ok


def test_sentences_respect_abbreviations_and_numbers():
    text = "TP. Hồ Chí Minh thu hút 8 tỷ USD. Năm 2019 có 1.730 ngư dân được bảo hộ!\nDòng mới"
    spans = [text[s:e] for s, e in sentence_spans(text)]
    assert spans == ["TP. Hồ Chí Minh thu hút 8 tỷ USD.", "Năm 2019 có 1.730 ngư dân được bảo hộ!", "Dòng mới"]


def test_words_keep_dates_and_decimals_whole():
    assert words("ngày 19/3/1983 đạt 7,63 tỷ") == ["ngày", "19/3/1983", "đạt", "7,63", "tỷ"]


def test_index_terms_have_syllables_and_compounds_and_a_folded_form():
    terms = index_terms("Sở Ngoại vụ thành lập")
    assert {"sở", "ngoại", "vụ", "thành", "lập"} <= set(terms)
    assert any("_" in t for t in terms)
    assert "ngoai" in index_terms("Sở Ngoại vụ", folded=True)
