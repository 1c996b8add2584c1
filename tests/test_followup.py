"""Rule-based follow-up rewriting: each pattern, and standalone questions left alone."""

import pytest

from assistant.question.followup import find_places, rewrite

HAI_PHONG = "Sở Ngoại vụ Hải Phòng được thành lập khi nào?"
HA_NOI = "Sở Ngoại vụ Hà Nội được thành lập khi nào?"


@pytest.mark.parametrize(
    "follow_up",
    [
        "Còn Hà Nội thì sao?",
        "còn Hà Nội?",
        "Thế còn Hà Nội?",
        "Vậy còn Hà Nội thì thế nào ạ?",
        "Hà Nội thì sao?",
        "Ở Hà Nội thì thế nào?",
        "Còn ở Hà Nội thì sao?",
        "con ha noi thi sao?",  # typed without diacritics
    ],
)
def test_ellipsis_replaces_the_place(follow_up):
    r = rewrite(follow_up, [HAI_PHONG])
    assert r.question == HA_NOI
    assert r.rule == "place"
    assert r.changed


def test_alias_is_written_as_the_canonical_name():
    assert rewrite("Còn TP.HCM thì sao?", [HAI_PHONG]).question == (
        "Sở Ngoại vụ Thành phố Hồ Chí Minh được thành lập khi nào?"
    )


def test_place_is_added_when_the_previous_question_had_none():
    r = rewrite("Còn Đà Nẵng thì sao?", ["Kiều bào đóng góp những gì?"])
    assert r.question == "Kiều bào đóng góp những gì ở Đà Nẵng?"
    assert r.rule == "append"


def test_foreign_place_replaces_the_foreign_place_not_the_province():
    r = rewrite("Còn Nhật Bản thì sao?", ["Hải Phòng hợp tác với Hàn Quốc như thế nào?"])
    assert r.question == "Hải Phòng hợp tác với Nhật Bản như thế nào?"


def test_year_replaces_the_year():
    r = rewrite("Còn năm 2019 thì sao?", ["Hải Phòng thu hút bao nhiêu vốn FDI năm 2016?"])
    assert r.question == "Hải Phòng thu hút bao nhiêu vốn FDI năm 2019?"
    assert r.rule == "year"


def test_new_subject_keeps_the_place_of_the_old_one():
    r = rewrite("Thế còn Phòng Ngoại vụ?", [HA_NOI])
    assert r.question == "Phòng Ngoại vụ Hà Nội được thành lập khi nào?"
    assert r.rule == "subject"


def test_follow_up_uses_the_latest_standalone_question():
    history = [HAI_PHONG, HA_NOI]  # the second was itself a rewritten follow-up
    assert rewrite("Còn Đà Nẵng thì sao?", history).question == "Sở Ngoại vụ Đà Nẵng được thành lập khi nào?"


@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [
        ("Thành phố này có bao nhiêu kiều bào?", "Thành phố Hải Phòng có bao nhiêu kiều bào?"),
        ("Kiều bào ở đó đóng góp gì?", "Kiều bào ở Hải Phòng đóng góp gì?"),
        ("Sở Ngoại vụ tỉnh đó có mấy phòng?", "Sở Ngoại vụ tỉnh Hải Phòng có mấy phòng?"),
        ("Địa phương này hợp tác với Nhật Bản ra sao?", "Hải Phòng hợp tác với Nhật Bản ra sao?"),
    ],
)
def test_place_pronouns_are_resolved(follow_up, expected):
    r = rewrite(follow_up, ["Tình hình đối ngoại của Hải Phòng năm 2016?", HAI_PHONG])
    assert r.question == expected
    assert r.rule == "pronoun"


def test_pronoun_for_a_city_named_thanh_pho():
    r = rewrite("Thành phố này có bao nhiêu dự án FDI?", ["Công tác đối ngoại của TP.HCM năm 2019?"])
    assert r.question == "Thành phố Hồ Chí Minh có bao nhiêu dự án FDI?"


@pytest.mark.parametrize(
    "question",
    [
        HA_NOI,
        "Còn bao nhiêu dự án FDI đang hoạt động ở Hải Phòng?",  # "còn" = "remaining", a full question
        "Công tác đối ngoại của Hải Phòng năm 2016 được triển khai như thế nào?",
        "Hà Nội có quan hệ hợp tác với bao nhiêu thành phố nước ngoài?",
        "Thành phố này có bao nhiêu kiều bào ở Hà Nội?",  # a pronoun, but the place is given
    ],
)
def test_standalone_questions_are_unchanged(question):
    r = rewrite(question, [HAI_PHONG])
    assert r.question == question
    assert not r.changed
    assert r.rule == ""


def test_without_history_nothing_changes():
    assert rewrite("Còn Hà Nội thì sao?", []).question == "Còn Hà Nội thì sao?"


def test_pronoun_without_any_earlier_place_is_left_alone():
    assert not rewrite("Thành phố này có bao nhiêu kiều bào?", ["Kiều bào đóng góp gì?"]).changed


def test_find_places_ignores_lower_case_foreign_homographs():
    # "anh" (you) and "ý kiến" (opinion) are not England and Italy; "Hà Nội" is found in any case
    names = [f.place.name for f in find_places("anh cho ý kiến về hà nội và Anh")]
    assert names == ["Hà Nội", "Vương quốc Anh"]


def test_unaccented_conversation_stays_unaccented():
    r = rewrite("con ha noi thi sao", ["so ngoai vu hai phong thanh lap khi nao"])
    assert r.question == "so ngoai vu Ha Noi thanh lap khi nao"


# --- references to the previous answer (text written for these tests) -------------------------
FDI = "Tỉnh Quảng Trị thu hút bao nhiêu vốn FDI năm 2019?"
FDI_ANSWER = "120 triệu USD [1]\n\nNăm 2019, Quảng Trị thu hút 120 triệu USD vốn FDI. [1]"


def test_that_figure_for_another_year_is_the_previous_question_for_that_year():
    r = rewrite("Con số đó năm 2016 là bao nhiêu?", [FDI], FDI_ANSWER)
    assert r.question == "Tỉnh Quảng Trị thu hút bao nhiêu vốn FDI năm 2016?"
    assert r.rule == "figure"


def test_that_figure_for_another_place():
    r = rewrite("Số liệu đó ở Nghệ An thì sao?", [FDI], FDI_ANSWER)
    assert r.question == "Nghệ An thu hút bao nhiêu vốn FDI năm 2019?"  # "Tỉnh Quảng Trị" is one name


@pytest.mark.parametrize(
    ("follow_up", "answer", "expected"),
    [
        ("Ông ấy nhậm chức khi nào?", "Marc Knapper [1]\n\nĐại sứ Hoa Kỳ là ông Marc Knapper. [1]",
         "Ông Marc Knapper nhậm chức khi nào?"),
        ("Bà ấy sinh năm nào?", "Nguyễn Thị Bình [1]\n\nTrưởng đoàn là bà Nguyễn Thị Bình. [1]",
         "Bà Nguyễn Thị Bình sinh năm nào?"),
        ("Người đó đến từ nước nào?", "Walter Gropius [1]\n\nTrường do Walter Gropius sáng lập. [1]",
         "Walter Gropius đến từ nước nào?"),
    ],
)
def test_a_person_pronoun_is_the_person_the_answer_named(follow_up, answer, expected):
    r = rewrite(follow_up, ["Ai là người đứng đầu?"], answer)
    assert r.question == expected
    assert r.rule == "person"


def test_that_year_for_another_place_keeps_the_question_and_the_year():
    r = rewrite("Năm đó Hà Nội thì sao?", [FDI], FDI_ANSWER)
    assert r.question == "Hà Nội thu hút bao nhiêu vốn FDI năm 2019?"
    assert r.rule == "year"


def test_that_year_takes_the_year_the_answer_gave():
    answer = "1996 [1]\n\nVăn phòng được mở năm 1996. [1]"
    r = rewrite("Năm đó tỉnh có bao nhiêu cán bộ?", ["Văn phòng đại diện được mở năm nào?"], answer)
    assert r.question == "năm 1996 tỉnh có bao nhiêu cán bộ?"


def test_a_reference_with_nothing_to_resolve_is_left_alone():
    assert not rewrite("Ông ấy là ai?", ["Thời tiết thế nào?"], "Không tìm thấy thông tin này.").changed
