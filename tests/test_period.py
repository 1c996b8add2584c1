"""A period named in the question narrows retrieval to articles of that time: published then,
naming one of its years (a 2021 review of 2019), or undated; over invented dated articles, with
`assistant index`, `search` and `ask` each in its own process."""

from __future__ import annotations

import json
from datetime import date

import pytest

from assistant.documents import Document, Period
from assistant.question.period import period_named
from assistant.question.query import Stats, understand
from servers import run, write_corpus

ARTICLES = {
    "phuyen_2018.txt": ("Phú Yên đón khách quốc tế năm 2018",
                        "Năm 2018, tỉnh Phú Yên đã đón 40 đoàn khách quốc tế đến làm việc về đầu tư và du lịch.",
                        {"date": "2018-12-20"}),
    "phuyen_2020.txt": ("Phú Yên đón khách quốc tế dù dịch bệnh",
                        "Năm 2020, tỉnh Phú Yên đã đón 25 đoàn khách quốc tế đến làm việc về đầu tư và du lịch.",
                        {"date": "2020-12-18"}),
    # published two years after the year it is about: it must still answer for that year
    "phuyen_review.txt": ("Nhìn lại công tác đối ngoại của Phú Yên",
                          ("Trong năm 2019, tỉnh Phú Yên đã đón 60 đoàn khách quốc tế đến làm việc về đầu tư và du "
                          "lịch, nhiều nhất từ trước đến nay."),
                          {"date": "2021-03-05"}),
    "phuyen_undated.txt": ("Giới thiệu Sở Ngoại vụ Phú Yên",
                           ("Sở Ngoại vụ tỉnh Phú Yên tham mưu cho tỉnh về công tác đối ngoại và đón tiếp các đoàn "
                           "khách quốc tế."), {}),
}


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    base = tmp_path_factory.mktemp("period")
    corpus = write_corpus(base / "corpus", ARTICLES)
    where = ["--corpus", str(corpus), "--index", str(base / "index")]
    done = run("index", *where)
    assert done.returncode == 0, done.stderr
    return where


def _docs(payload: dict, key: str) -> set[str]:
    return {c["doc_id"].split(".")[0] for c in payload[key]}


def test_a_year_in_the_question_narrows_the_search_to_articles_of_that_year(dated):
    done = run("search", "Năm 2019 tỉnh Phú Yên đón bao nhiêu đoàn khách quốc tế?", "--json", "--k", "5", *dated)
    assert done.returncode == 0, done.stderr
    found = _docs(json.loads(done.stdout), "results")
    # the 2021 review names 2019; the undated article cannot be told apart; 2018 and 2020 are out
    assert found == {"phuyen_review", "phuyen_undated"}

    done = run("search", "Tỉnh Phú Yên đón bao nhiêu đoàn khách quốc tế?", "--json", "--k", "5", *dated)
    every = _docs(json.loads(done.stdout), "results")
    assert {"phuyen_2018", "phuyen_2020"} <= every  # no period named: nothing narrowed


@pytest.mark.parametrize(("year", "figure", "article"), [("2019", "60", "phuyen_review"),
                                                         ("2018", "40", "phuyen_2018"),
                                                         ("2020", "25", "phuyen_2020")])
def test_the_answer_comes_from_the_articles_of_the_year_asked_and_says_so(dated, year, figure, article):
    done = run("ask", f"Năm {year} tỉnh Phú Yên đón bao nhiêu đoàn khách quốc tế?", "--json", *dated)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert not answer["refused"], answer
    assert _docs(answer, "citations") == {article}
    assert figure in answer["answer"]
    assert any(f"năm {year}" in n for n in answer["notices"])  # the answer says how it was narrowed


def test_a_year_no_article_is_of_is_refused_not_answered_from_another_year(dated):
    done = run("ask", "Năm 2016 tỉnh Phú Yên đón bao nhiêu đoàn khách quốc tế?", "--json", *dated)
    answer = json.loads(done.stdout)
    assert answer["refused"] and not answer["citations"]
    assert answer["nearest"]  # the refusal shows what came closest, for the reader to judge


def _period(text: str) -> Period | None:
    # every question here is typed with its diacritics: no syllable statistics are read
    stats = Stats(lambda t: 1.0, lambda t: 1.0, None)  # type: ignore[arg-type]
    return period_named(understand(text, stats=stats, limit=1000), today=date(2026, 12, 7))


@pytest.mark.parametrize(("question", "start", "end"), [
    ("Hà Nội đón bao nhiêu đoàn khách năm 2019?", "2019-01-01", "2019-12-31"),
    ("Quý I/2024 Quảng Ninh thu hút bao nhiêu vốn FDI?", "2024-01-01", "2024-03-31"),
    ("Kim ngạch quý 3 năm 2023 của Đà Nẵng là bao nhiêu?", "2023-07-01", "2023-09-30"),
    ("6 tháng đầu năm 2016 Hải Phòng đón bao nhiêu đoàn?", "2016-01-01", "2016-06-30"),
    ("Nửa cuối năm 2022 có gì mới?", "2022-07-01", "2022-12-31"),
    ("Tháng 3/2024 Huế ký thỏa thuận với ai?", "2024-03-01", "2024-03-31"),
    ("Nhiệm kỳ 2020–2025 Hà Nội đặt mục tiêu gì?", "2020-01-01", "2025-12-31"),
    ("Giai đoạn 2016-2020 Hải Phòng thu hút bao nhiêu FDI?", "2016-01-01", "2020-12-31"),
    ("Từ năm 2016 đến nay Yên Bái hợp tác với ai?", "2016-01-01", "2026-12-07"),
])
def test_periods_are_read_from_the_question(question, start, end):
    p = _period(question)
    assert p is not None and (p.start, p.end) == (start, end)


@pytest.mark.parametrize("question", [
    "Hải Phòng có 2000 kiều bào không?",  # a figure, not a year
    "Luật Đầu tư 2020 quy định gì về ưu đãi?",  # a law's name
    "Hà Nội hợp tác với Seoul năm 2019 và năm 2021 thế nào?",  # two years: no one period
    "Sở Ngoại vụ Hà Nội hiện nay có mấy phòng?",
])
def test_no_period_is_read_where_none_is_named(question):
    assert _period(question) is None


def test_an_article_is_of_a_period_when_published_then_or_naming_its_year_or_undated():
    p = Period("2019-01-01", "2019-12-31", "năm 2019")
    assert p.admits(Document("a", "t", "x", date="2019-05-01"))
    assert p.admits(Document("b", "t", "Trong năm 2019, ...", date="2021-03-05"))
    assert p.admits(Document("c", "t", "x"))  # undated
    assert not p.admits(Document("d", "t", "Năm 2018, ...", date="2018-12-20"))
    assert not p.admits(Document("e", "t", "Năm nay ...", date="2020-12-18"))
    assert p.admits(Document("f", "t", "x", date="2019"))  # dated by its year only
