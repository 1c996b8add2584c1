"""Feedback that feeds the evaluation: 👍/👎 kept with the answer as shown, then
`assistant feedback export` (its own process) writes fixtures that `assistant eval --check`
accepts and `assistant eval` runs."""

from __future__ import annotations

import pytest

from assistant.app.accounts import Accounts
from assistant.app.chatview import Turn
from assistant.app.feedback import Feedback, fixtures
from servers import run

HAI_PHONG = "Sở Ngoại vụ Hải Phòng được thành lập khi nào?"
KIEU_BAO = "Hải Phòng có bao nhiêu kiều bào?"
DA_NANG = "Ai đang là Giám đốc Sở Ngoại vụ Đà Nẵng?"  # not in the articles


@pytest.fixture
def judged(tmp_path, seed_settings, seed_assistant):
    """Four judgements by an analyst on real answers over the seed corpus."""
    accounts = Accounts(tmp_path / "data")
    store = Feedback(accounts)
    turns = {q: Turn.from_answer(f"t{i}", q, seed_assistant.ask(q)) for i, q in enumerate((HAI_PHONG, KIEU_BAO,
                                                                                            DA_NANG))}
    assert not turns[HAI_PHONG].refused and turns[DA_NANG].refused
    store.judge("lan", turns[HAI_PHONG], "up")
    wrong = store.judge("lan", turns[KIEU_BAO], "down", "c1")
    # the analyst's correction: the words a right answer holds, and the article holding them
    kieu_bao_doc = next(d for d in seed_assistant.index.documents.values() if "30.000 kiều bào" in d.text)
    assert store.detail("lan", wrong, note="cần con số mới nhất", correct="30.000 kiều bào", source=kieu_bao_doc.doc_id)
    assert not store.detail("minh", wrong, note="not theirs")  # only one's own judgement
    store.judge("lan", turns[DA_NANG], "up")  # the refusal was right
    bare = store.judge("lan", Turn.from_answer("t9", "Hà Nội có mấy phòng?", seed_assistant.ask("Hà Nội có mấy phòng?")),
                       "down")
    return tmp_path, store, seed_assistant, bare


def test_judgements_are_kept_with_the_answer_and_listed_newest_first(judged):
    _, store, _, bare = judged
    rows = store.list()
    assert [j.verdict for j in rows] == ["down", "up", "down", "up"] and rows[0].id == bare
    assert store.list("down")[1].correct == "30.000 kiều bào" and store.list("down")[1].user == "lan"
    assert rows[-1].turn.citations  # the answer as it was shown, citations included


def test_judgements_become_fixtures_of_the_evaluation_format(judged):
    _, store, assistant, bare = judged
    items, left = fixtures(store.list(), assistant.index.documents)
    by_q = {i["question"]: i for i in items}
    assert set(by_q) == {HAI_PHONG, KIEU_BAO, DA_NANG}
    assert by_q[DA_NANG]["type"] == "unanswerable" and by_q[DA_NANG]["sources"] == []
    assert by_q[KIEU_BAO]["accept"] == ["30.000 kiều bào"] and "30.000 kiều bào" in by_q[KIEU_BAO]["evidence"][0]
    assert "26/11/2004" in " ".join(by_q[HAI_PHONG]["accept"] + by_q[HAI_PHONG]["evidence"])
    assert [j.id for j, _ in left] == [bare]  # a 👎 without a correction makes no fixture


@pytest.mark.slow
def test_feedback_export_writes_fixtures_that_eval_checks_and_runs(judged, seed_settings):
    base, *_ = judged
    where = ["--corpus", str(seed_settings.corpus_dir), "--index", str(seed_settings.index_dir)]
    out = base / "gop-y.jsonl"
    done = run("feedback", "export", "-o", str(out), "--data-dir", str(base / "data"), *where)
    assert done.returncode == 0, done.stderr
    assert "3 câu hỏi thành fixture" in done.stderr and "bỏ qua góp ý" in done.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3
    checked = run("eval", "--check", str(out), *where)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    evaluated = run("eval", str(out), "--no-baselines", *where)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "answer_accuracy" in evaluated.stdout or "accuracy" in evaluated.stdout.lower()
    listed = run("feedback", "list", "--down", "--data-dir", str(base / "data"), *where)
    assert listed.returncode == 0 and listed.stdout.count("👎") == 2 and "30.000 kiều bào" in listed.stdout
