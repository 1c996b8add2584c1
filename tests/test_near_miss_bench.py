"""Near misses for the answer bench: held-out siblings, swapped constraints, a prepared folder."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.evaluation.benchdata import GoldQuestion, held_out_titles
from assistant.evaluation.constraints import find_constraints
from assistant.evaluation.nearmiss import CorpusSentences, choose_holdout, construct, load_bench, swap

ROOT = Path(__file__).resolve().parents[1]
QT, LD, TV = "Quảng Trị mở rộng hợp tác", "Lâm Đồng quảng bá du lịch", "Thư viện tỉnh"
CONTEXTS = [
    ("a1", QT, ("Năm 2022, tỉnh Quảng Trị thu hút 35 dự án FDI với tổng vốn đăng ký 420 triệu USD. "
                "Tỉnh cũng ký thỏa thuận hợp tác với tỉnh Savannakhet của Lào.")),
    ("a2", QT, "Năm 2019, Quảng Trị thu hút 20 dự án FDI. Cũng trong năm đó, tỉnh nhận vốn ODA của Nhật Bản."),
    ("b1", LD, ("Tháng 5/2024, đoàn công tác tỉnh Lâm Đồng sang Pháp và gặp hai mươi doanh nghiệp lữ hành tại "
                "Paris. Trưởng đoàn là ông Trần Văn Hiệp.")),
    ("b2", LD, ("Năm 2023, Lâm Đồng đón 8 triệu lượt khách. Hàn Quốc là thị trường khách quốc tế lớn nhất của "
                "tỉnh. Bà Phạm Thị Lan phụ trách xúc tiến.")),
    ("c1", TV, "Thư viện tỉnh có 250.000 đầu sách và mở cửa cả ngày thứ bảy."),
    ("c2", TV, "Kiến trúc sư Nguyễn Văn Hòa thiết kế tòa nhà thư viện năm 1998."),
]
QUESTIONS = [
    ("qa1", "Năm 2022 Quảng Trị thu hút bao nhiêu dự án FDI?", ["35 dự án"], "a1"),
    ("qa2", "Quảng Trị ký thỏa thuận hợp tác với tỉnh nào của Lào?", ["Savannakhet"], "a1"),
    ("qa3", "Quảng Trị nhận vốn ODA của nước nào?", ["Nhật Bản"], "a2"),
    ("qb1", "Tháng 5/2024, đoàn Lâm Đồng sang nước nào?", ["Pháp"], "b1"),
    ("qb2", "Đoàn của ông Trần Văn Hiệp gặp bao nhiêu doanh nghiệp lữ hành?", ["hai mươi"], "b1"),
    ("qb3", "Năm 2023 Lâm Đồng đón bao nhiêu lượt khách?", ["8 triệu lượt khách"], "b2"),
    ("qc1", "Thư viện tỉnh có bao nhiêu đầu sách?", ["250.000"], "c1"),
    ("qc2", "Ai thiết kế tòa nhà thư viện?", ["Nguyễn Văn Hòa"], "c2"),
]
TITLES = {c: t for c, t, _ in CONTEXTS}


def contexts() -> list[dict]:
    return [{"context_id": c, "title": t, "text": x} for c, t, x in CONTEXTS]


def questions() -> list[GoldQuestion]:
    return [GoldQuestion(i, q, tuple(a), c, TITLES[c]) for i, q, a, c in QUESTIONS]


@pytest.fixture
def bench_dir(tmp_path):
    folder = tmp_path / "six"
    folder.mkdir()
    lines = [json.dumps(c, ensure_ascii=False) for c in contexts()]
    (folder / "contexts.jsonl").write_text("\n".join(lines), encoding="utf-8")
    lines = [json.dumps({"id": i, "question": q, "answers": a, "context_id": c}, ensure_ascii=False)
             for i, q, a, c in QUESTIONS]
    (folder / "questions.jsonl").write_text("\n".join(lines), encoding="utf-8")
    return folder


@pytest.mark.parametrize(("text", "expected"), [
    ("Năm 2022, tỉnh Quảng Trị thu hút 35 dự án FDI với tổng vốn 420 triệu USD.",
     {("year", "2022"), ("place", "tỉnh Quảng Trị"), ("number", "35 dự án"), ("acronym", "FDI"),
      ("number", "420 triệu USD")}),
    ("Đại sứ Nhật Bản Yamada Takio gặp Chủ tịch UBND tỉnh Võ Văn Hưng.",
     {("country", "Nhật Bản"), ("person", "Yamada Takio"), ("acronym", "UBND"), ("person", "Võ Văn Hưng")}),
    ("Dự án được cấp phép theo Luật Đầu tư 2020 và Điều 5 của Nghị định 31/2021/NĐ-CP.",
     {("law", "Luật Đầu tư 2020"), ("law", "Điều 5"), ("law", "Nghị định 31/2021/NĐ-CP")}),
    ("Vốn ODA giai đoạn 2016–2020 tăng 7,5% so với từ năm 2011 đến năm 2015.",
     {("acronym", "ODA"), ("period", "2016–2020"), ("number", "7,5%"), ("period", "2011 đến năm 2015")}),
    ("Đoàn làm việc với Bộ Ngoại giao và Sở Kế hoạch ở Hà Nội.",
     {("organisation", "Bộ Ngoại giao"), ("organisation", "Sở Kế hoạch"), ("place", "Hà Nội")}),
    # a country inside a word is not named; a rule "this law" names no law; Roman numerals are no acronym
    ("Ấn Độ giáo lan rộng; luật này ban hành năm 2020, trước Thế chiến II.", {("year", "2020")}),
])
def test_constraints_are_found_by_kind(text, expected):
    assert {(c.kind, c.text) for c in find_constraints(text)} == expected


def test_the_holdout_is_seeded_and_leaves_every_kept_title_a_passage():
    ctx, qs = contexts(), questions()
    held, removed = choose_holdout(ctx, qs, share=0.34, sibling_share=0.9, seed=3)
    assert held == held_out_titles([c["title"] for c in ctx], 0.34, 3)  # the same articles as before
    assert (held, removed) == choose_holdout(ctx, qs, share=0.34, sibling_share=0.9, seed=3)
    assert removed and not {TITLES[c] for c in removed} & held
    for title in set(TITLES.values()) - held:
        assert {c for c, t in TITLES.items() if t == title} - removed  # never a whole article
    assert choose_holdout(ctx, qs, share=0.34, sibling_share=0.0, seed=3)[1] == frozenset()


def test_construct_makes_every_kind():
    kept, items = construct(contexts(), questions(), held_titles=frozenset({TV}), removed=frozenset({"b2"}))
    assert [c["context_id"] for c in kept] == ["a1", "a2", "b1"]
    kinds = {i.question.id: i.kind for i in items}
    assert [q for q, k in kinds.items() if k == "answerable"] == ["qa1", "qa2", "qa3", "qb1", "qb2"]
    assert [q for q, k in kinds.items() if k == "sibling"] == ["qb3"]
    assert [q for q, k in kinds.items() if k == "article"] == ["qc1", "qc2"]
    kept_ids = {c["context_id"] for c in kept}
    assert all(i.question.context_id in kept_ids for i in items if i.answerable)  # nothing answerable removed
    swaps = {i.question.id: i for i in items if i.kind == "swap"}
    assert {i.swapped for i in swaps.values()} == {
        ("country", "Lào", "Nhật Bản"), ("year", "2024", "2023"), ("person", "Trần Văn Hiệp", "Phạm Thị Lan")}
    assert swaps["qb1-swap"].question.question == "Tháng 5/2023, đoàn Lâm Đồng sang nước nào?"
    assert not swaps["qb1-swap"].answerable and swaps["qb1-swap"].question.answers == ("Pháp",)
    ids = [i.question.id for i in items]
    assert all(ids[ids.index(s) - 1] == s.removesuffix("-swap") for s in swaps)  # right after its question
    assert construct(contexts(), questions(), held_titles=frozenset({TV}), removed=frozenset({"b2"}))[1] == items


def test_a_swap_that_a_passage_answers_is_rejected():
    """2022 -> 2019 would ask what a2 states ("Năm 2019, Quảng Trị thu hút 20 dự án FDI"):
    never chosen while a2 is in the corpus, chosen for some seed once it is not."""
    ctx, (qa1, *_) = contexts(), questions()
    article = [c for c in ctx if c["title"] == QT]

    def outcomes(corpus: list[dict]) -> set:
        index = CorpusSentences.of(corpus)
        return {getattr(swap(qa1, article, index, random.Random(s)), "swapped", None) for s in range(20)}

    assert outcomes(ctx) == {None}
    assert ("year", "2022", "2019") in outcomes([c for c in ctx if c["context_id"] != "a2"])


def test_the_script_writes_a_prepared_folder_that_eval_answers_as_is(bench_dir, tmp_path):
    from assistant.app.cli import main

    out = tmp_path / "prepared"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_near_misses.py"), str(bench_dir), str(out),
                           "--share", "0.34", "--sibling-share", "0.5", "--seed", "1"],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, check=False)
    assert done.returncode == 0, done.stderr
    assert "answerable" in done.stdout and "swap" in done.stdout
    rows = [json.loads(line) for line in (out / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    indexed = {json.loads(line)["context_id"] for line in (out / "contexts.jsonl").read_text().splitlines()}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kinds"] == {k: sum(r["kind"] == k for r in rows) for k in manifest["kinds"]}
    assert all(r["kind"] in ("answerable", "article", "sibling", "swap") for r in rows)
    assert all((r["context_id"] in indexed) == (r["kind"] in ("answerable", "swap")) for r in rows)
    assert all(r["answerable"] == (r["kind"] == "answerable") for r in rows)
    assert all(len(r["swapped"]) == 3 for r in rows if r["kind"] == "swap")
    bench = load_bench(out)  # read as is: nothing held out again
    assert bench.prepared and len(bench.items) == len(rows) and len(bench.contexts) == len(indexed)

    report_dir = tmp_path / "report"
    result = CliRunner().invoke(main, ["eval", "--answer-bench", str(out), "--no-baselines", "--report",
                                       str(report_dir), "--cache", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    (summary,) = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))["answer_benchmarks"]
    assert summary["prepared"] and summary["questions"] == len(rows)
    assert summary["siblings"] == manifest["kinds"]["sibling"] and summary["swaps"] == manifest["kinds"]["swap"]
    for key in ("sibling_refused_or_correct", "sibling_refused", "swap_refused", "unanswerable_refused",
                "containment"):
        assert summary[key] is None or 0.0 <= summary[key] <= 1.0
    assert set(summary["swaps_by_constraint"]) == set(manifest["swapped"])
    assert sum(row["answerable"] for row in summary["by_question_kind"].values()) == summary["answerable"]
    items = [json.loads(line) for line in (report_dir / "items" / "answers-prepared.jsonl").read_text().splitlines()]
    assert {r["kind"] for r in items} == {r["kind"] for r in rows}
    assert all(r["swapped"] for r in items if r["kind"] == "swap")
    md = (report_dir / "report.md").read_text(encoding="utf-8")
    assert "### Sibling" in md and "### Swap" in md and "By the kind of answer asked for" in md
