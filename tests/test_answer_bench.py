"""The answer bench: held-out articles make unanswerable questions; figures come out of one eval run."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from assistant.evaluation.answers import exact_match, token_f1
from assistant.evaluation.benchdata import contains_gold, held_out_titles

CONTEXTS = [
    ("c1", "Cảng biển", ("Cảng Lạch Huyện được khởi công năm 2013 và đón tàu đầu tiên năm 2018. "
                         "Cảng có thể tiếp nhận tàu trọng tải 100.000 tấn.")),
    ("c2", "Cảng biển", "Luồng vào cảng dài 18 km và được nạo vét định kỳ mỗi năm."),
    ("c3", "Lễ hội hoa", ("Lễ hội hoa Đà Lạt lần đầu được tổ chức vào năm 2005. "
                          "Lễ hội diễn ra hai năm một lần vào tháng 12.")),
    ("c4", "Lễ hội hoa", "Năm 2022 lễ hội thu hút hơn 1,5 triệu lượt khách."),
    ("c5", "Thư viện", "Thư viện tỉnh có 250.000 đầu sách và mở cửa cả ngày thứ bảy."),
    ("c6", "Thư viện", "Kiến trúc sư Nguyễn Văn Hòa thiết kế tòa nhà thư viện năm 1998."),
]
QUESTIONS = [
    ("q1", "Cảng Lạch Huyện đón tàu đầu tiên năm nào?", ["2018"], "c1"),
    ("q2", "Luồng vào cảng dài bao nhiêu km?", ["18 km"], "c2"),
    ("q3", "Lễ hội hoa Đà Lạt được tổ chức lần đầu năm nào?", ["2005"], "c3"),
    ("q4", "Năm 2022 lễ hội hoa thu hút bao nhiêu lượt khách?", ["1,5 triệu lượt khách"], "c4"),
    ("q5", "Thư viện tỉnh có bao nhiêu đầu sách?", ["250.000"], "c5"),
    ("q6", "Ai thiết kế tòa nhà thư viện?", ["Nguyễn Văn Hòa"], "c6"),
]


@pytest.fixture
def bench_dir(tmp_path):
    folder = tmp_path / "mini_squad"
    folder.mkdir()
    (folder / "contexts.jsonl").write_text("\n".join(
        json.dumps({"context_id": c, "title": t, "text": x}, ensure_ascii=False) for c, t, x in CONTEXTS),
        encoding="utf-8")
    (folder / "questions.jsonl").write_text("\n".join(
        json.dumps({"id": i, "question": q, "answers": a, "context_id": c}, ensure_ascii=False)
        for i, q, a, c in QUESTIONS), encoding="utf-8")
    return folder


def test_held_out_titles_are_seeded_and_whole():
    titles = [f"t{i}" for i in range(10)] * 3
    a, b = held_out_titles(titles, 0.2, 42), held_out_titles(titles, 0.2, 42)
    assert a == b and len(a) == 2 and a <= set(titles)
    assert held_out_titles(titles, 0.2, 7) != a or len(set(titles)) < 3
    assert held_out_titles(titles, 0.0, 42) == frozenset()


def test_squad_scores():
    assert exact_match("Ngày 17/12/1996.", ["ngày 17/12/1996"]) == 1.0
    # punctuation goes, as in SQuAD: "1 5 triệu lượt" shared, 4 of 5 tokens on each side
    assert token_f1("hơn 1,5 triệu lượt", ["1,5 triệu lượt khách"]) == pytest.approx(0.8)
    assert token_f1(None, ["x"]) == 0.0
    assert contains_gold("... đón tàu đầu tiên năm 2018 [1]", ["2018"])
    assert contains_gold("NGUYỄN VĂN HÒA", ["Nguyễn Văn Hòa"])  # casefold
    assert not contains_gold("năm 2017", ["2018"])


def test_eval_answer_bench_reports_both_sides(bench_dir, tmp_path):
    from assistant.app.cli import main

    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["eval", "--answer-bench", str(bench_dir), "--holdout", "0.34", "--seed", "1",
                                       "--sibling-share", "0", "--no-baselines", "--report", str(out),
                                       "--cache", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    (bench,) = report["answer_benchmarks"]
    assert bench["titles_held_out"] == 1 and bench["questions"] == 6 + bench["swaps"]
    assert bench["answerable"] == 4 and bench["unanswerable"] == 2 and bench["siblings"] == 0
    for key in ("answerable_refused", "containment", "gold_cited", "unanswerable_refused", "short_em", "short_f1"):
        assert 0.0 <= bench[key] <= 1.0
    assert bench["latency_ms"]["p50"] > 0
    assert {"sibling_refused_or_correct", "sibling_refused", "swap_refused", "by_question_kind"} <= set(bench)
    items = [json.loads(line) for line in (out / "items" / "answers-mini_squad.jsonl").read_text().splitlines()]
    held = {r["title"] for r in items if r["kind"] == "article"}
    assert len(held) == 1
    # a held-out article's passages are not in the corpus, so they are never cited
    held_ctx = {c for c, t, _ in CONTEXTS if t in held}
    assert not any(set(r["cited"]) & held_ctx for r in items)
    assert "Answer benchmark: `mini_squad`" in (out / "report.md").read_text(encoding="utf-8")


def test_the_gate_holds_answer_bench_floors(bench_dir, tmp_path):
    from assistant.app.cli import main

    floors = tmp_path / "floors.toml"
    floors.write_text('[gate]\n"mini_squad.containment" = 1.01\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "--answer-bench", str(bench_dir), "--no-baselines", "--gate",
                                       "--thresholds", str(floors), "--cache", str(tmp_path / "cache")])
    assert result.exit_code == 1
    assert "FAIL mini_squad.containment" in result.output
