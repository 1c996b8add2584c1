"""The answerer on articles written for these tests: near misses are refused, the answer leads
with the short answer, and the fitted decision model reloads and refits to the same numbers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT, indexed_copy

NEARMISS = ROOT / "tests" / "data" / "nearmiss"


@pytest.fixture(scope="module")
def nearmiss(tmp_path_factory, embedder):
    from assistant.pipeline import Assistant

    return Assistant.open(indexed_copy(tmp_path_factory, NEARMISS, "nearmiss", embedder), embedder)


@pytest.mark.parametrize(
    "question",
    [
        "Quảng Trị thu hút bao nhiêu vốn ODA năm 2022?",  # the article gives FDI, not ODA
        "Vốn FDI của Quảng Trị giai đoạn 2016–2020 là bao nhiêu?",  # only 2022 is stated
        "Thành phố nào của Hoa Kỳ kết nghĩa với Quảng Trị?",  # a US NGO is not a sister city
        "Năm 2019 Quảng Trị thu hút bao nhiêu dự án FDI?",  # only 2022 is stated
        "Lâm Đồng thu hút bao nhiêu dự án FDI năm 2022?",  # that is Quảng Trị's figure
    ],
)
def test_near_misses_are_refused(nearmiss, question):
    answer = nearmiss.ask(question)
    assert answer.refused, answer.text
    assert not answer.citations and answer.short_answer is None


@pytest.mark.parametrize(
    ("question", "short", "doc"),
    [
        ("Năm 2022 Quảng Trị thu hút bao nhiêu dự án FDI?", "35 dự án", "quangtri_2023"),
        ("Khi mới thành lập, Phòng Ngoại vụ tỉnh Quảng Trị có bao nhiêu cán bộ?", "4 cán bộ", "quangtri_2023"),
        ("Tháng 3/2023, Chủ tịch UBND tỉnh Quảng Trị đã tiếp ai?", "Yamada Takio", "quangtri_2023"),
        ("Đoàn Lâm Đồng đã gặp bao nhiêu doanh nghiệp lữ hành tại Paris?", "hai mươi", "lamdong_2024"),
    ],
)
def test_the_answer_quotes_the_sentence_and_a_short_answer_only_when_it_is_right(nearmiss, question, short, doc):
    """The short answer is shown only above the span model's fitted precision threshold: when it
    is shown it is the right span (with its unit), and the answer leads with it."""
    answer = nearmiss.ask(question)
    assert not answer.refused, question
    assert answer.citations[0].doc_id == doc and short in answer.citations[0].quote, answer.text
    if answer.short_answer is not None:
        assert short in answer.short_answer, answer.text
        assert answer.text.startswith(answer.short_answer)
        cited = answer.citations[answer.short_citation - 1]
        assert cited.doc_id == doc and answer.short_answer in cited.quote
        d = answer.to_dict()["short_answer"]
        assert d == {"text": answer.short_answer, "citation": answer.short_citation}


def test_a_figure_of_a_past_year_does_not_answer_now(nearmiss):
    # the 1989 staff count is not today's; the answerer may still refuse or quote something else
    answer = nearmiss.ask("Hiện nay Phòng Ngoại vụ tỉnh Quảng Trị có bao nhiêu cán bộ?")
    assert not any("1989" in c.quote for c in answer.citations)
    assert "4 cán bộ" not in (answer.short_answer or "")


def test_a_foreign_name_answers_who(nearmiss):
    answer = nearmiss.ask("Ai dẫn đầu đoàn công tác của Lâm Đồng sang Pháp?")
    assert not answer.refused and "Đặng Trí Dũng" in answer.citations[0].quote
    assert answer.short_answer in (None, "Đặng Trí Dũng") or "Đặng Trí Dũng" in answer.short_answer


def test_the_fitted_parameters_reload_from_their_file():
    from assistant.answer.decision import FEATURES, RULES, Decisions, default_model

    path = ROOT / "src" / "assistant" / "data" / "answerer.json"
    models = Decisions.load(path)
    assert models == default_model()
    for model in (models.vietnamese, models.english):
        assert model.features == FEATURES and len(model.weights) == len(FEATURES)
        assert 0 < model.extra_threshold < 1 and 0 < model.answer_threshold < 1
    saved = json.loads(path.read_text(encoding="utf-8"))
    # measured out of fold: each question by the model fitted without its article
    oof = saved["measured"]["vietnamese"]["out_of_fold"]
    assert oof["questions"] > 5000 and {"sibling_refused", "swap_refused", "article_refused"} <= set(oof)
    assert set(models.vietnamese.vetoes) <= set(RULES)
    assert models.short is not None and 0 < models.short.threshold < 1


def test_every_fold_model_was_fitted_without_its_titles():
    from assistant.answer.decision import default_model, fold_models

    folds = fold_models()
    assert len(folds) == 5
    titles = [t for fold, _ in folds for t in fold]
    assert len(titles) == len(set(titles)) >= 40  # a partition of XQuAD's titles
    assert all(models.vietnamese != default_model().vietnamese for _, models in folds)


def test_malformed_parameters_are_a_clear_error(tmp_path):
    from assistant.answer.decision import Decisions
    from assistant.errors import ConfigError

    good = json.loads((ROOT / "src" / "assistant" / "data" / "answerer.json").read_text(encoding="utf-8"))
    bad = tmp_path / "answerer.json"
    good["english"]["features"][1] = "nonsense"
    bad.write_text(json.dumps(good), encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown features"):
        Decisions.load(bad)
    bad.write_text('{"vietnamese": {}}', encoding="utf-8")
    with pytest.raises(ConfigError, match="vietnamese and an english model"):
        Decisions.load(bad)
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read"):
        Decisions.load(bad)


@pytest.mark.slow  # refits the decision model in a subprocess
def test_the_fit_script_reproduces_the_parameters():
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "fit_answerer.py"), "fit", "--check"],
                         check=False, capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "reproduced" in run.stderr


def test_logistic_fit_recovers_a_known_rule():
    import numpy as np

    from assistant.answer.decision import fit_logistic

    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 2))
    y = (x[:, 0] - 2 * x[:, 1] + 0.5 + rng.logistic(size=4000) > 0)
    w, b = fit_logistic(x, y, l2=0.01)
    assert np.allclose(w, [1, -2], atol=0.15) and abs(b - 0.5) < 0.15
