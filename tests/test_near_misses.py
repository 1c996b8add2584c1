"""Answers that know which province, partner, figure and year they are about.

The corpus (``tests/data/near_misses/``) is INVENTED for these tests: the provinces are real,
because the place detector knows only real ones (``data/places.tsv``), but every figure,
memorandum, partner and date in it is made up. It holds

* ``roundup_2024``: one paragraph per province (Bắc Ninh, Thái Nguyên, Bình Định, Hà Tĩnh),
  each with its own FDI figure, project count, partner country and memorandum year; only
  Thái Nguyên states a number of workers abroad, only Bình Định a number of kiều bào;
* ``nghean_2021`` and ``nghean_2024``: Nghệ An "hiện có" 35, then 42, ODA projects;
* ``vinhphuc_2023``: a sixth province's FDI figure, a distractor in another article;
* two fillers on other subjects (a festival in Điện Biên, mango exports from Sơn La).

Gia Lai and Kon Tum are named in no article. The assertions say what a right answer holds
(which figure, which sentence, which article first), never its wording.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from assistant.answer.extractive import REFUSAL
from conftest import ROOT, indexed_copy

NEAR_MISSES = ROOT / "tests" / "data" / "near_misses"
ROUNDUP = "roundup_2024"

# province -> its FDI figure in roundup_2024, with its unit, as written there
FDI = {
    "Bắc Ninh": "2,4 tỷ USD",
    "Thái Nguyên": "1,15 tỷ USD",
    "Bình Định": "870 triệu USD",
    "Hà Tĩnh": "hai tỷ USD",
}
VINH_PHUC_FDI = "650 triệu USD"  # in another article
ALL_FDI = {**FDI, "Vĩnh Phúc": VINH_PHUC_FDI}
NOWHERE = ("Gia Lai", "Kon Tum")  # provinces no article names

# what a short answer must never be on its own: a unit, a scale or a number word
BARE_WORDS = {"triệu", "tỷ", "nghìn", "ngàn", "trăm", "mươi", "một", "hai", "ba", "bốn", "năm", "chín",
              "usd", "đồng", "dự án", "người", "kiều bào", "gần", "trên", "khoảng", "hơn"}


@pytest.fixture(scope="module")
def nm(tmp_path_factory, embedder):
    """The assistant over a copy of the invented corpus (a few seconds to index)."""
    from assistant.pipeline import Assistant

    return Assistant.open(indexed_copy(tmp_path_factory, NEAR_MISSES, "near_misses", embedder), embedder)


def shown(answer) -> str:
    """What a failing assertion prints: the answer, its short answer and every quote."""
    quotes = "\n".join(f"  [{c.n}] {c.doc_id} {c.date}: {c.quote}" for c in answer.citations)
    return f"refused={answer.refused} short={answer.short_answer!r}\n{answer.text}\n{quotes}"


def other_figures(province: str) -> list[str]:
    return [fig for place, fig in ALL_FDI.items() if place != province]


def assert_short_answer_is_whole(answer, figure: str, pattern: str | None = None) -> None:
    """A short answer, when there is one, is the figure with its unit ("1,15 tỷ USD", not "tỷ"
    nor "1,15"), read from the citation it names. A qualifier ("trên", "gần") may be left out.
    ``pattern``, when given, is what the short answer must match instead of ``figure``."""
    short = answer.short_answer
    if short is None:
        return
    assert short.strip(" .,:;").lower() not in BARE_WORDS, shown(answer)
    assert re.search(pattern or re.escape(figure), short), shown(answer)
    assert answer.short_citation, shown(answer)
    assert figure in answer.citations[answer.short_citation - 1].quote, shown(answer)


# --- 1. four provinces in one article ------------------------------------------------------
@pytest.mark.parametrize("province", list(FDI), ids=["bac-ninh", "thai-nguyen", "binh-dinh", "ha-tinh"])
def test_each_province_gets_its_own_fdi_figure(nm, province):
    answer = nm.ask(f"Tỉnh {province} thu hút bao nhiêu vốn FDI?")
    assert not answer.refused, shown(answer)
    lead = answer.citations[0]
    assert lead.doc_id == ROUNDUP and province in lead.quote and FDI[province] in lead.quote, shown(answer)
    assert FDI[province] in answer.text, shown(answer)
    for figure in other_figures(province):
        assert figure not in answer.text, shown(answer)
    for c in answer.citations:  # nothing quoted about another province
        assert not any(place in c.quote for place in ALL_FDI if place != province), shown(answer)
    assert_short_answer_is_whole(answer, FDI[province])


@pytest.mark.parametrize("province", NOWHERE, ids=["gia-lai", "kon-tum"])
def test_a_province_no_article_names_is_refused(nm, province):
    answer = nm.ask(f"Tỉnh {province} thu hút bao nhiêu vốn FDI?")
    assert answer.refused and answer.text == REFUSAL, shown(answer)
    assert not answer.citations and answer.short_answer is None


@pytest.mark.parametrize(
    "question",
    [
        # only Thái Nguyên's paragraph counts workers abroad
        "Tỉnh Bắc Ninh có bao nhiêu người lao động đang làm việc ở nước ngoài?",
        "Tỉnh Hà Tĩnh có bao nhiêu người lao động đang làm việc ở nước ngoài?",
        # only Bình Định's paragraph counts kiều bào
        "Tỉnh Hà Tĩnh có bao nhiêu kiều bào?",
        "Tỉnh Thái Nguyên có bao nhiêu kiều bào?",
    ],
    ids=["bac-ninh-workers", "ha-tinh-workers", "ha-tinh-kieu-bao", "thai-nguyen-kieu-bao"],
)
def test_a_metric_only_another_province_states_is_refused(nm, question):
    answer = nm.ask(question)
    assert answer.refused, shown(answer)
    assert not answer.citations and answer.short_answer is None


@pytest.mark.parametrize(
    ("question", "figure", "province", "short"),
    [
        # "12.500 người" or "12.500 người lao động", never a word cut in two ("12.500 người lao")
        ("Tỉnh Thái Nguyên có bao nhiêu người lao động đang làm việc ở nước ngoài?", "12.500 người", "Thái Nguyên",
         r"12\.500 người(?: lao động)?(?! lao)"),
        ("Tỉnh Bình Định có bao nhiêu kiều bào?", "3.800 kiều bào", "Bình Định", None),
        ("Tỉnh Bắc Ninh có bao nhiêu dự án FDI cấp mới trong năm 2024?", "118 dự án", "Bắc Ninh", None),
        ("Tỉnh Bình Định thu hút bao nhiêu dự án FDI?", "21 dự án", "Bình Định", None),
    ],
    ids=["thai-nguyen-workers", "binh-dinh-kieu-bao", "bac-ninh-projects", "binh-dinh-projects"],
)
def test_the_province_that_states_a_metric_is_answered(nm, question, figure, province, short):
    answer = nm.ask(question)
    assert not answer.refused, shown(answer)
    lead = answer.citations[0]
    assert figure in lead.quote and province in lead.quote, shown(answer)
    assert figure in answer.text, shown(answer)
    assert_short_answer_is_whole(answer, figure, short)


# --- 2. "hiện nay" across two dates ------------------------------------------------------
def test_now_leads_with_the_newest_article(nm):
    answer = nm.ask("Hiện nay tỉnh Nghệ An có bao nhiêu dự án ODA?")
    assert not answer.refused, shown(answer)
    assert answer.citations[0].doc_id == "nghean_2024", shown(answer)
    assert "42 dự án" in answer.text, shown(answer)
    if "35 dự án" in answer.text:  # the older figure may follow, labelled with its date
        assert answer.text.index("42 dự án") < answer.text.index("35 dự án"), shown(answer)
        assert "02/10/2024" in answer.text and "08/03/2021" in answer.text, shown(answer)
    assert_short_answer_is_whole(answer, "42 dự án")


# --- 3. comparisons ----------------------------------------------------------------------
def test_a_comparison_quotes_each_side(nm):
    answer = nm.ask("Tỉnh Bắc Ninh và tỉnh Bình Định, nơi nào thu hút nhiều FDI hơn?")
    assert not answer.refused, shown(answer)
    for province in ("Bắc Ninh", "Bình Định"):
        assert any(province in c.quote and FDI[province] in c.quote for c in answer.citations), shown(answer)
        assert FDI[province] in answer.text, shown(answer)
    for figure in (FDI["Thái Nguyên"], FDI["Hà Tĩnh"], VINH_PHUC_FDI):
        assert figure not in answer.text, shown(answer)


@pytest.mark.parametrize("missing", NOWHERE, ids=["gia-lai", "kon-tum"])
def test_a_comparison_with_a_side_no_article_names_invents_nothing(nm, missing):
    # Saying that one side is missing, or quoting Bắc Ninh alone, are both right; quoting
    # another province's sentence, as if it were the missing side's, is not. A refusal is
    # allowed too (it loses Bắc Ninh's figure but states nothing false).
    answer = nm.ask(f"Tỉnh Bắc Ninh và tỉnh {missing}, nơi nào thu hút nhiều FDI hơn?")
    for c in answer.citations:
        assert "Bắc Ninh" in c.quote or missing in c.quote, shown(answer)
    for figure in other_figures("Bắc Ninh"):
        assert figure not in answer.text, shown(answer)
    if not answer.refused:
        assert FDI["Bắc Ninh"] in answer.text, shown(answer)


# --- 4. follow-ups -----------------------------------------------------------------------
def test_a_follow_up_answers_the_new_province(nm):
    from assistant.question.followup import Exchange

    first = nm.ask("Tỉnh Bắc Ninh thu hút bao nhiêu vốn FDI?")
    answer = nm.ask("Còn tỉnh Thái Nguyên?", history=[Exchange(first.question, first.text)])
    assert "Thái Nguyên" in answer.question and "Bắc Ninh" not in answer.question, answer.question
    assert not answer.refused, shown(answer)
    assert "Thái Nguyên" in answer.citations[0].quote, shown(answer)
    assert FDI["Thái Nguyên"] in answer.text, shown(answer)
    for figure in other_figures("Thái Nguyên"):
        assert figure not in answer.text, shown(answer)


# --- 5. year and partner near misses -----------------------------------------------------
def test_the_memorandum_year_is_answered(nm):
    answer = nm.ask("Tỉnh Bắc Ninh ký biên bản ghi nhớ hợp tác với tỉnh Gyeonggi của Hàn Quốc năm nào?")
    assert not answer.refused, shown(answer)
    assert "Gyeonggi" in answer.citations[0].quote and "2019" in answer.citations[0].quote, shown(answer)
    assert "2019" in (answer.short_answer or answer.text), shown(answer)
    assert "2021" not in answer.text, shown(answer)  # Thái Nguyên's memorandum year


@pytest.mark.parametrize(
    "question",
    [
        # the memorandum with Gyeonggi is from 2019; 2021 is Thái Nguyên's memorandum with Gunma
        "Tỉnh Bắc Ninh ký biên bản ghi nhớ hợp tác với tỉnh Gyeonggi của Hàn Quốc năm 2021 về lĩnh vực gì?",
        "Năm 2021, tỉnh Bắc Ninh ký biên bản ghi nhớ hợp tác với tỉnh nào của Hàn Quốc?",
        # Nhật Bản is in Bắc Ninh's paragraph (57 projects), but the memorandum is with Hàn Quốc
        "Tỉnh Bắc Ninh ký biên bản ghi nhớ hợp tác với Nhật Bản năm nào?",
        # a sentence naming the partner country and no province at all does not answer "tỉnh nào"
        "Tỉnh Bắc Ninh ký biên bản ghi nhớ hợp tác với tỉnh nào của Nhật Bản?",
    ],
    ids=["year-2021-what-field", "year-2021-which-province", "japan-which-year", "japan-which-province"],
)
def test_a_memorandum_with_another_year_or_partner_is_refused(nm, question):
    answer = nm.ask(question)
    assert answer.refused, shown(answer)
    assert not answer.citations and answer.short_answer is None


# --- the way users run it: index, then ask, each its own process ---------------------------
def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    """The environment of a user who indexed a copy of the corpus with ``assistant index``."""
    base = tmp_path_factory.mktemp("near_misses_cli")
    shutil.copytree(NEAR_MISSES, base / "corpus")
    # subtle: this checkout's src first, or the subprocess imports whatever checkout is installed
    path = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "PYTHONIOENCODING": "utf-8",
           "ASSISTANT_CORPUS_DIR": str(base / "corpus"), "ASSISTANT_INDEX_DIR": str(base / "index")}
    done = _cli("index", env=env)
    assert "6 bài viết" in done.stdout + done.stderr, done.stdout + done.stderr
    return env


@pytest.mark.slow  # indexes in a subprocess, then loads the model in another
def test_index_then_ask_json_in_separate_processes(cli_env):
    out = json.loads(_cli("ask", "Tỉnh Gia Lai thu hút bao nhiêu vốn FDI?", "--json", env=cli_env).stdout)
    assert out["refused"] is True and out["citations"] == [] and out["short_answer"] is None, out

    out = json.loads(_cli("ask", "Tỉnh Bình Định thu hút bao nhiêu vốn FDI?", "--json", env=cli_env).stdout)
    assert out["refused"] is False, out["answer"]
    lead = out["citations"][0]
    assert lead["doc_id"] == ROUNDUP and lead["date"] == "10/12/2024", out
    assert "Bình Định" in lead["quote"] and FDI["Bình Định"] in lead["quote"], out
    assert FDI["Bình Định"] in out["answer"], out["answer"]
    for figure in other_figures("Bình Định"):
        assert figure not in out["answer"], out["answer"]
    if out["short_answer"]:
        assert FDI["Bình Định"] in out["short_answer"]["text"], out["short_answer"]


@pytest.mark.slow  # a subprocess loads the model
def test_a_conversation_file_follows_up_with_the_new_province(cli_env, tmp_path):
    questions = tmp_path / "hoi-thoai.txt"
    questions.write_text("Tỉnh Bắc Ninh thu hút bao nhiêu vốn FDI?\nCòn tỉnh Thái Nguyên?\n", encoding="utf-8")
    done = _cli("ask", "--questions", str(questions), "--conversation", env=cli_env)
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert FDI["Bắc Ninh"] in first["answer"], first
    assert "Thái Nguyên" in second["question"], second
    assert second["refused"] is False, second
    assert "Thái Nguyên" in second["citations"][0]["quote"], second
    assert FDI["Thái Nguyên"] in second["answer"], second["answer"]
    for figure in other_figures("Thái Nguyên"):
        assert figure not in second["answer"], second["answer"]
    if second["short_answer"]:
        assert FDI["Thái Nguyên"] in second["short_answer"]["text"], second["short_answer"]


def test_the_title_repeated_as_the_first_line_is_never_quoted(nm):
    answer = nm.ask("Nghệ An hiệu quả từ các dự án sử dụng vốn ODA thế nào?")
    for c in answer.citations:
        assert c.quote.strip() != "Nghệ An: Hiệu quả từ các dự án sử dụng vốn ODA", shown(answer)
