"""Answer kinds, people, places and numbers on text written for these tests (not from corpus/)."""

import pytest

from assistant.question.kinds import expected_kind, has, spans, yes_or_no
from assistant.question.places import find_places


def texts(kind, text):
    return [text[s:e] for s, e in spans(kind, text)]


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("Phong trào Bauhaus do kiến trúc sư Walter Gropius khai sinh năm 1919.", "Walter Gropius"),
        ("Lãnh đạo Kim Jong-un tiếp đoàn tại Bình Nhưỡng.", "Kim Jong-un"),
        ("Đại sứ Marc Knapper trình quốc thư.", "Marc Knapper"),
        ("Buổi tiếp có sự tham dự của Thị trưởng Anne Hidalgo.", "Anne Hidalgo"),
        ("Nhà soạn nhạc Ludwig van Beethoven sinh ở Bonn.", "Ludwig van Beethoven"),
        ("Tiếp đoàn có Phó Chủ tịch Trần Thị Hoa.", "Trần Thị Hoa"),
    ],
)
def test_foreign_and_vietnamese_names_are_people(sentence, name):
    assert name in texts("person", sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Hội nghị diễn ra tại Thụy Điển và Hà Lan.",  # places, not people
        "Sở Ngoại vụ tỉnh đã tổ chức hội thảo.",  # an institution
        "Các đại biểu thảo luận về kinh tế.",  # nothing capitalised but the first word
    ],
)
def test_places_and_institutions_are_not_people(sentence):
    assert not has("person", sentence)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bị ảnh hưởng bởi giáo dục, lao động và thủy điện.", []),  # bị/Bỉ, ảnh/Anh, dục/Đức, lao/Lào
        ("Doanh nghiệp Bỉ, Anh, Đức và Lào đầu tư vào thủy điện ở Thụy Điển.",
         ["Bỉ", "Vương quốc Anh", "Đức", "Lào", "Thụy Điển"]),
        ("anh cho ý kiến về hà nội", ["Hà Nội"]),  # one-word names must be capitalised
        ("kieu bao o han quoc va da nang", ["Hàn Quốc", "Đà Nẵng"]),  # no diacritics: matched without
        ("Đoàn công tác tới TP.HCM, Bà Rịa - Vũng Tàu và Mát-xcơ-va.",
         ["Thành phố Hồ Chí Minh", "Bà Rịa - Vũng Tàu", "Moscow"]),
        ("Hợp tác với Hoa Kỳ và Mỹ", ["Hoa Kỳ", "Hoa Kỳ"]),
    ],
)
def test_places_are_matched_as_written(text, expected):
    assert [f.place.name for f in find_places(text)] == expected


def test_provinces_before_and_after_the_2025_merger_are_listed():
    # Hà Giang and Bình Dương were merged away in 2025; Huế became a centrally-run city
    names = {f.place.name for f in find_places("Hà Giang, Tuyên Quang, Bình Dương và Thừa Thiên Huế")}
    assert {"Hà Giang", "Tuyên Quang", "Bình Dương", "Huế"} <= names


def test_accented_text_without_a_place_finds_none_folded():
    # "bi", "anh", "duc" would be Bỉ, Anh, Đức once diacritics are stripped
    assert find_places("Học sinh bị ảnh hưởng về đức dục") == []


@pytest.mark.parametrize(
    ("sentence", "quantity"),
    [
        ("Liên minh có năm bang thành viên.", "năm"),
        ("Khoảng hai mươi thành phố đã tham gia.", "hai mươi"),
        ("Hơn ba nghìn người dự lễ.", "ba nghìn"),
        ("Đoàn gồm 12 thành viên.", "12"),
        ("Tỷ lệ đạt 7,5 % so với cùng kỳ.", "7,5 %"),
    ],
)
def test_numbers_in_digits_or_words_are_quantities(sentence, quantity):
    assert quantity in texts("number", sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Năm nay đoàn sẽ sang thăm.",  # "năm" = year
        "Việc đầu tư tư nhân tăng.",  # "tư" = private
        "Hội nghị diễn ra ngày 12/3/2019.",  # a date is not a quantity
        "Đây là một dịp quan trọng.",  # "một" = "a"
    ],
)
def test_year_words_and_dates_are_not_quantities(sentence):
    assert not has("number", sentence)


@pytest.mark.parametrize(
    ("sentence", "period"),
    [
        ("Nông dân gieo hạt sau mùa mưa.", "sau mùa mưa"),
        ("Hội họa phát triển mạnh trong thời kỳ Phục hưng.", "thời kỳ Phục hưng"),
        ("Thành phố được xây dựng vào thế kỷ 16.", "thế kỷ 16"),
        ("Hiệp định được ký ngày 17/12/1996.", "ngày 17/12/1996"),
        ("Văn phòng mở cửa tháng 3 năm 2020.", "tháng 3 năm 2020"),
    ],
)
def test_periods_and_conditions_answer_when(sentence, period):
    assert period in texts("date", sentence)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Ai là người khai sinh phong trào Bauhaus?", "person"),
        ("Nông dân gieo hạt khi nào?", "date"),
        ("Hiệp định được ký ngày nào?", "day"),
        ("Liên minh có bao nhiêu bang?", "number"),
        ("Thành phố nào của Hoa Kỳ kết nghĩa với tỉnh?", "place"),
        ("Đoàn đến từ đâu?", "place"),
        ("Tỉnh có phải là thành viên không?", "yesno"),
        ("Mục tiêu của chương trình là gì?", None),
    ],
)
def test_the_kind_a_question_asks_for(question, kind):
    assert expected_kind(question) == kind


def test_yes_or_no_follows_negation():
    assert yes_or_no("Tỉnh là thành viên của mạng lưới.", "Tỉnh có phải là thành viên không?") == "Có"
    assert yes_or_no("Tỉnh chưa là thành viên của mạng lưới.", "Tỉnh có phải là thành viên không?") == "Không"
