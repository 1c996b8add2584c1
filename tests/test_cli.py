import json
import shutil

import pytest
from click.testing import CliRunner

from assistant.app.cli import main
from conftest import MINI, ROOT


@pytest.fixture
def runner():
    return CliRunner()


def run(runner, *args):
    return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_every_command_documents_itself(runner):
    for cmd in ([], ["index"], ["search"], ["ask"], ["config"]):
        res = run(runner, *cmd, "--help")
        assert res.exit_code == 0 and "Usage:" in res.output
    assert "--corpus" in run(runner, "ask", "--help").output
    assert "--questions" in run(runner, "search", "--help").output


def test_ask_json_shape(runner, seed_settings):
    res = run(runner, "ask", "Sở Ngoại vụ Hà Nội được thành lập khi nào?", "--json",
              "--corpus", seed_settings.corpus_dir, "--index", seed_settings.index_dir)
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert {"question", "answer", "refused", "citations", "timings_ms"} <= out.keys()
    assert out["refused"] is False and "17/12/1996" in out["answer"]
    cit = out["citations"][0]
    assert {"n", "doc_id", "title", "date", "quote", "passage"} <= cit.keys()
    assert cit["doc_id"] == "004_ce329a74134a4137" and cit["date"] == "17/12/2021"


def test_human_output_lists_numbered_sources(runner, seed_settings):
    res = run(runner, "ask", "Sở Ngoại vụ Hà Nội được thành lập khi nào?",
              "--corpus", seed_settings.corpus_dir, "--index", seed_settings.index_dir)
    assert "[1]" in res.output and "Nguồn:" in res.output and "«" in res.output


def test_search_json_shape(runner, seed_settings):
    res = run(runner, "search", "kieu bao Hai Phong", "--k", 3, "--json",
              "--corpus", seed_settings.corpus_dir, "--index", seed_settings.index_dir)
    out = json.loads(res.output)
    assert out["question"] == "kieu bao Hai Phong" and len(out["results"]) == 3
    assert {"doc_id", "chunk_id", "score", "text"} <= out["results"][0].keys()


def test_questions_file_prints_one_json_line_each(runner, seed_settings, tmp_path):
    qfile = tmp_path / "q.txt"
    qfile.write_text("Sở Ngoại vụ Hà Nội được thành lập khi nào?\n\nFDI Đà Nẵng năm 2019?\n" + "x" * 3000 + "\n",
                     encoding="utf-8")
    for cmd in ("ask", "search"):
        res = run(runner, cmd, "--questions", qfile, "--corpus", seed_settings.corpus_dir,
                  "--index", seed_settings.index_dir)
        lines = [json.loads(ln) for ln in res.output.splitlines()]
        assert [ln["line"] for ln in lines] == [1, 2, 3, 4]  # the blank line keeps its place
        assert "empty" in lines[1]["error"] and "3000 characters" in lines[3]["error"]
        assert "error" not in lines[0] and "error" not in lines[2]
    assert lines[0]["results"]


def test_index_reports_and_skips_bad_files(runner, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(MINI, corpus)
    shutil.copy(ROOT / "tests" / "data" / "bad_latin1.txt", corpus)
    res = runner.invoke(main, ["index", "--corpus", str(corpus), "--index", str(tmp_path / "index")])
    assert res.exit_code == 0, res.output
    assert "skipped" in res.output and "bad_latin1.txt" in res.output and "UTF-8" in res.output
    assert "3 bài viết" in res.output
    res = runner.invoke(main, ["index", "--corpus", str(corpus), "--index", str(tmp_path / "index")])
    assert "nhúng mới 0" in res.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["ask", "Câu hỏi?", "--index", "{tmp}/none"], 'no index in {tmp}/none (build it with "assistant index")'),
        (["index", "--corpus", "{tmp}/empty", "--index", "{tmp}/i"], "no readable articles"),
        (["index", "--corpus", "{tmp}/missing", "--index", "{tmp}/i"], "does not exist"),
        (["ask", "   ", "--index", "{seed}"], "the question is empty"),
        (["ask", "x" * 2000, "--index", "{seed}"], "characters long; the limit is 1000"),
        (["ask", "--index", "{seed}"], "no question given"),
    ],
)
def test_errors_are_one_clear_line(runner, tmp_path, seed_settings, args, message):
    (tmp_path / "empty").mkdir()
    fill = {"tmp": str(tmp_path), "seed": str(seed_settings.index_dir)}
    args = [a.format(**fill) for a in args]
    if "--corpus" not in args:
        args += ["--corpus", str(seed_settings.corpus_dir)]
    res = runner.invoke(main, args)
    assert res.exit_code == 1
    errors = [ln for ln in res.output.splitlines() if ln.startswith("Error: ")]
    assert len(errors) == 1 and res.output.rstrip().endswith(errors[0])
    assert message.format(**fill) in errors[0]
    assert "Traceback" not in res.output


def test_config_shows_settings_from_environment(runner, monkeypatch):
    monkeypatch.setenv("ASSISTANT_K", "7")
    res = run(runner, "config")
    assert "k = 7" in res.output and "ASSISTANT_K" in res.output
