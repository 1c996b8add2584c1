"""The question and answer detectors on sentences written for these tests (not from corpus/):
names after a title and a place, delegations, "đơn vị nào", laws' years, initials, "đã … chưa",
whole quantities and what they count."""

import pytest

from assistant.vietnamese import sentence_spans


# --- 5. initials do not end a sentence -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nhà sử học Frederick W. Mote cho rằng triều đại suy yếu. Câu sau.",
         ["Nhà sử học Frederick W. Mote cho rằng triều đại suy yếu.", "Câu sau."]),
        ("Nhà văn J. R. R. Tolkien viết nhiều sách. Câu sau.", ["Nhà văn J. R. R. Tolkien viết nhiều sách.", "Câu sau."]),
        ("Tổng thống G. W. Bush thăm Hà Nội. Câu sau.", ["Tổng thống G. W. Bush thăm Hà Nội.", "Câu sau."]),
        # the trade-off: after a lower-case word, or after two letters, a capital and a full stop end a sentence
        ("Quả cam giàu vitamin C. Sau đó ăn chuối.", ["Quả cam giàu vitamin C.", "Sau đó ăn chuối."]),
        ("Hai nước ký hiệp ước sau Thế chiến II. Sau đó quan hệ nồng ấm.",
         ["Hai nước ký hiệp ước sau Thế chiến II.", "Sau đó quan hệ nồng ấm."]),
        # ... and after a capitalised word it does not: "Khu V." reads as an initial
        ("Ông công tác ở Khu V. Sau đó về Hà Nội.", ["Ông công tác ở Khu V. Sau đó về Hà Nội."]),
    ],
)
def test_initials_in_names_do_not_end_a_sentence(text, expected):
    assert [text[s:e] for s, e in sentence_spans(text)] == expected


