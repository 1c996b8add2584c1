"""The question and answer detectors on sentences written for these tests (not from corpus/):
names after a title and a place, delegations, "đơn vị nào", laws' years, initials, "đã … chưa",
whole quantities and what they count."""

import pytest

from assistant.question.analysis import analyse
from assistant.question.kinds import counted, expected_kind, has, law_refs, spans, yes_or_no
from assistant.question.query import Query
from assistant.vietnamese import sentence_spans


def texts(kind, text):
    return [text[s:e] for s, e in spans(kind, text)]


def analysis_of(question):
    return analyse(Query(text=question, dense_text=question, accented=True), lambda term: 1.0)


# --- 1. a name after a title and the place its bearer serves ------------------------------------------
@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("Giám đốc Sở Ngoại vụ tỉnh Quảng Ninh Nguyễn Văn Hùng cho biết dự án sẽ khởi công.", "Nguyễn Văn Hùng"),
        ("Chủ tịch UBND TP Đà Nẵng Lê Trung Chinh tiếp đoàn doanh nghiệp.", "Lê Trung Chinh"),
        ("Đại sứ Nhật Bản tại Việt Nam Ito Naoki phát biểu tại buổi lễ.", "Ito Naoki"),
        ("Phó Chủ tịch UBND tỉnh Nguyễn Thị Hạnh chủ trì cuộc họp.", "Nguyễn Thị Hạnh"),
        ("Ông Nguyễn Thái Bình Minh phát biểu.", "Nguyễn Thái Bình Minh"),  # a place inside a given name
    ],
)
def test_a_name_after_a_title_and_a_place_is_a_person(sentence, name):
    assert name in texts("person", sentence)


# --- 2. a delegation is not a person, the surname Đoàn still is ----------------------------------------
@pytest.mark.parametrize(
    "sentence",
    [
        "Đoàn Thái tử Bỉ đến thăm tỉnh vào tuần trước.",
        "Hôm qua, Đoàn đại biểu tỉnh Gunma làm việc với lãnh đạo địa phương.",
        "Đoàn công tác của Sở đã sang Lào.",
        "Sáng nay, Đoàn Thanh niên tổ chức lễ ra quân.",
    ],
)
def test_a_delegation_is_not_a_person(sentence):
    assert not [t for t in texts("person", sentence) if t.startswith("Đoàn")]


def test_a_foreign_name_after_an_administrative_unit_is_a_place():
    assert "Gunma" not in texts("person", "Đoàn đại biểu tỉnh Gunma làm việc với lãnh đạo địa phương.")


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("Tiếp đoàn có ông Đoàn Văn Việt, Phó Giám đốc Sở.", "Đoàn Văn Việt"),
        ("Thứ trưởng Đoàn Văn Việt dẫn đầu đoàn công tác.", "Đoàn Văn Việt"),
        ("Đoàn Văn Việt cho biết tỉnh sẽ mở rộng hợp tác.", "Đoàn Văn Việt"),
    ],
)
def test_the_surname_doan_is_still_a_person(sentence, name):
    assert name in texts("person", sentence)


# --- 3. "đơn vị nào" asks which unit, not who -----------------------------------------------------------
@pytest.mark.parametrize(
    "question",
    [
        "Đơn vị nào tổ chức hội chợ thương mại?",
        "Cơ quan nào chủ trì chương trình?",
        "Tổ chức nào tài trợ học bổng?",
        "Doanh nghiệp nào đầu tư vào khu công nghiệp?",
        "Công ty nào trúng thầu dự án cảng?",
        "Đơn vị hành chính nào có diện tích lớn nhất?",
        "Nhà máy nằm ở vị trí nào?",
    ],
)
def test_which_unit_or_body_is_not_who(question):
    assert expected_kind(question) != "person"


@pytest.mark.parametrize("question", ["Vị nào đã ký biên bản?", "Vị lãnh đạo nào tiếp đoàn?",
                                      "Những vị khách nào đến dự lễ?"])
def test_vi_as_the_classifier_of_a_person_is_who(question):
    assert expected_kind(question) == "person"


# --- 4. a year in a law's name ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "refs"),
    [
        ("Theo Bộ luật Dân sự 2015, hợp đồng có hiệu lực khi nào?", ["Bộ luật Dân sự 2015"]),
        ("Luật Đầu tư năm 2020 ưu đãi gì cho dự án?", ["Luật Đầu tư 2020"]),
        ("Nghị định số 15/2018/NĐ-CP hướng dẫn điều gì?", ["Nghị định 15/2018/NĐ-CP"]),
        ("Hiến pháp 2013 quy định gì về quyền công dân?", ["Hiến pháp 2013"]),
        ("khoản 2 Điều 12 Nghị định 15/2018/NĐ-CP nói gì?", ["khoản 2 Điều 12", "Nghị định 15/2018/NĐ-CP"]),
        ("Điều 5 của Luật Đầu tư quy định gì?", ["Điều 5", "Luật Đầu tư"]),  # no year: the name's first word
        ("luật đầu tư năm 2020 có gì mới?", ["luật đầu tư 2020"]),  # typed in lower case
        ("Luật được thông qua năm 2020.", []),  # "được" is not a law's name
        ("Tỉnh quyết định đầu tư năm 2020.", []),  # "quyết định" is a verb here
        ("Các nước tôn trọng luật pháp quốc tế năm 1982.", []),  # "luật pháp" is another word
        ("Hiệp định Paris được ký năm 1973.", ["Hiệp định Paris"]),  # that year is when it was signed
    ],
)
def test_law_refs_find_laws_decrees_and_articles(text, refs):
    assert law_refs(text) == refs


@pytest.mark.parametrize(
    ("question", "laws"),
    [
        ("Bộ luật Dân sự 2015 quy định gì về hợp đồng?", ["Bộ luật Dân sự 2015"]),
        ("Luật Đầu tư năm 2020 ưu đãi gì?", ["Luật Đầu tư 2020"]),
        ("Nghị định 15/2018/NĐ-CP hướng dẫn gì?", ["Nghị định 15/2018/NĐ-CP"]),
        ("Hiến pháp 2013 quy định gì?", ["Hiến pháp 2013"]),
    ],
)
def test_a_laws_year_is_not_a_period_of_the_question(question, laws):
    a = analysis_of(question)
    assert a.laws == laws and a.years == [] and a.ranges == []


def test_a_year_beside_a_law_is_still_a_period():
    a = analysis_of("Năm 2019, theo Luật Đầu tư 2020, tỉnh thu hút bao nhiêu dự án?")
    assert a.years == ["2019"] and a.laws == ["Luật Đầu tư 2020"] and a.unit == "dự án"


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


# --- 6. "đã … chưa" ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "question",
    ["Quảng Ninh đã ký MOU với Gunma chưa?", "Đà Nẵng đã có đường bay thẳng tới Osaka chưa?",
     "Đà Nẵng có đường bay thẳng tới Osaka không?", "Tỉnh có phải là thành viên không?"],
)
def test_da_chua_and_co_khong_are_yes_no_questions(question):
    assert expected_kind(question) == "yesno"


@pytest.mark.parametrize(
    ("sentence", "question", "answer"),
    [
        ("Năm 2019, Quảng Ninh đã ký MOU với tỉnh Gunma.", "Quảng Ninh đã ký MOU với Gunma chưa?", "Có"),
        ("Quảng Ninh chưa ký MOU với Gunma.", "Quảng Ninh đã ký MOU với Gunma chưa?", "Không"),
        ("Hai tỉnh không hề ký văn bản nào.", "Quảng Ninh đã ký MOU với Gunma chưa?", "Không"),
        # "không" that negates nothing: "không chỉ … mà còn", "hàng không"
        ("Quảng Ninh ký MOU với Gunma, không chỉ về du lịch mà còn về giáo dục.",
         "Quảng Ninh đã ký MOU với Gunma chưa?", "Có"),
        ("Đà Nẵng có đường bay thẳng tới Osaka của một hãng hàng không giá rẻ.",
         "Đà Nẵng đã có đường bay thẳng tới Osaka chưa?", "Có"),
        ("Đà Nẵng chưa có đường bay thẳng tới Osaka.", "Đà Nẵng đã có đường bay thẳng tới Osaka chưa?", "Không"),
        ("Dự án đã được phê duyệt vào tháng trước.", "Dự án đã được phê duyệt chưa?", "Có"),
        ("Dự án chưa được phê duyệt.", "Dự án đã được phê duyệt chưa?", "Không"),
        ("Tỉnh không phải là thành viên của mạng lưới.", "Tỉnh có phải là thành viên không?", "Không"),
        # nor does "không" in the question's "hàng không"
        ("Vietjet mở đường bay tới Osaka từ năm 2019.", "Hãng hàng không Vietjet đã mở đường bay tới Osaka chưa?",
         "Có"),
    ],
)
def test_yes_or_no_reads_the_verb_asked_about(sentence, question, answer):
    assert yes_or_no(sentence, question) == answer


# --- 7. quantities are whole, and what they count ------------------------------------------------------
@pytest.mark.parametrize(
    ("sentence", "quantities"),
    [
        ("Khoảng 900 triệu USD đã được giải ngân.", ["900 triệu USD"]),
        ("Tổng vốn đạt trên 5,1 tỷ USD trong năm.", ["5,1 tỷ USD"]),
        ("Kim ngạch đạt 101% kế hoạch.", ["101%"]),
        ("Có 47.093 người tham gia lễ hội.", ["47.093"]),
        ("Hai trăm nghìn đồng được quyên góp.", ["Hai trăm nghìn đồng"]),  # a number word opening a sentence
        ("Hàng triệu người theo dõi trận đấu.", []),  # a scale word alone is no quantity
        ("Có tới hàng trăm lượt khách ghé thăm.", []),
        ("Ba Lan và Hai Bà Trưng không phải con số.", []),  # names that begin with a number word
        ("Giá vé chỉ 500 đồng.", ["500 đồng"]),
        ("Hơn 1.000 đồng bào dự lễ.", ["1.000"]),  # "đồng bào" (compatriots) is no currency
        ("Có 3 đồng chí trong đoàn.", ["3"]),
    ],
)
def test_a_quantity_is_one_span_with_its_scale_and_unit(sentence, quantities):
    assert texts("number", sentence) == quantities


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Tỉnh đã cấp phép cho hơn 190 dự án với 58 quốc gia.", ["hơn 190 dự án", "58 quốc gia"]),
        ("Tổng vốn đăng ký đạt trên 5,1 tỷ USD từ Nhật Bản.", ["trên 5,1 tỷ USD"]),
        ("Hàn Quốc dẫn đầu với 105 dự án.", ["105 dự án"]),
        ("Có 47.093 người tham gia lễ hội.", ["47.093 người"]),  # the noun, not its verb
        ("Quan hệ được vun đắp trong 20 năm qua.", ["20 năm"]),
        ("Đội xếp hạng 3 năm 2020.", ["3"]),  # "năm" before a figure starts a date
        ("Có ít nhất 30 doanh nghiệp Nhật Bản dự hội chợ.", ["ít nhất 30 doanh nghiệp"]),
        ("Đoàn gồm 12 Thành viên.", ["12"]),  # a capitalised word is not counted
    ],
)
def test_counted_adds_the_qualifier_and_the_counted_noun(sentence, expected):
    assert [sentence[s:e] for s, e in (counted(sentence, sp) for sp in spans("number", sentence))] == expected


def test_the_unit_of_a_how_many_question_is_the_noun_not_its_verb():
    assert analysis_of("Có bao nhiêu người tham gia lễ hội?").unit == "người"
    assert analysis_of("Tỉnh có bao nhiêu dự án FDI?").unit == "dự án"


def test_quantities_stay_linear_on_long_text():
    text = "Hai trăm nghìn đồng, hơn 190 dự án và ông Nguyễn Văn Hùng. " * 2000
    assert has("number", text) and len(spans("number", text)) == 4000


# --- 7. a question for a named place is answered by a name of the sort asked for -------------------------
@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Thành phố Cảng kết nghĩa với tỉnh nào của Campuchia?", True),
        ("Đoàn công tác đã ký biên bản với quốc gia nào?", True),
        ("Which country opened a consulate in the city?", True),
        ("Thị trấn này thuộc loại thành phố nào trước năm 1900?", False),  # a sort of city, not a name
        ("Xa lộ tiểu bang nào được nâng cấp?", False),  # a road's name
        ("Hội nghị được tổ chức ở đâu?", False),  # "where" is answered by places without names too
    ],
)
def test_a_question_for_a_named_place(question, asks):
    from assistant.question.kinds import asks_named_place

    assert asks_named_place(question) is asks


def test_a_sentence_of_countries_does_not_answer_which_province():
    from assistant.question.kinds import answer_spans

    question = "Thành phố Cảng kết nghĩa với tỉnh nào của Campuchia?"
    assert not answer_spans("place", "Thành phố đón các đoàn của Bỉ, Italy và Campuchia.", question)
    assert answer_spans("place", "Thành phố Cảng kết nghĩa với tỉnh Kampot của Campuchia năm 2010.", question)


def test_the_key_terms_are_two_different_words_the_compound_before_its_syllable():
    from assistant.answer.extractive import ExtractiveAnswerer

    q = "Thành phố Cảng kết nghĩa với tỉnh nào của Campuchia?"
    idf = {"nghĩa": 5.0, "kết_nghĩa": 4.0, "kết": 3.0, "tỉnh": 2.0}
    a = analyse(Query(text=q, dense_text=q, accented=True), lambda t: idf.get(t, 1.0))
    assert ExtractiveAnswerer._key_terms(a) == ["kết_nghĩa", "tỉnh"]


@pytest.mark.parametrize("sentence", ["Thành phố tổ chức Giải Golf giao lưu hữu nghị.", "Ông là thành viên Hội Rotary."])
def test_a_body_or_event_named_in_a_foreign_word_is_not_a_place(sentence):
    assert texts("place", sentence) == []


def test_a_foreign_city_after_thanh_pho_is_still_a_place():
    assert "Kitakyushu" in texts("place", "Đoàn đến Thành phố Kitakyushu vào tháng Năm.")


def test_a_place_name_does_not_run_across_a_bracket():
    # "Nam (Hàn Quốc)" is not "Nam Hàn"; the province asked for is still found
    from assistant.question.kinds import answer_spans

    sentence = "Năm 2024, tỉnh ký biên bản ghi nhớ với tỉnh Jeolla Nam (Hàn Quốc) về nông nghiệp."
    question = "Tỉnh ký biên bản ghi nhớ với tỉnh nào của Hàn Quốc?"
    assert [sentence[s:e] for s, e in answer_spans("place", sentence, question)] == ["Jeolla Nam"]
