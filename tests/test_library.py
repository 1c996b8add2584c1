"""The library from the command line, as users run it (each step its own process): `assistant
docs list`, then `assistant remove` by id, name or path; a removed article is answered no more,
its file and metadata are kept in corpus/.removed/, and the audit says who removed it."""

from __future__ import annotations

import json
import shutil

import pytest

from assistant.app.accounts import Accounts
from conftest import MINI
from servers import run

pytestmark = pytest.mark.slow  # builds in new processes

CAN_THO = "Sở Ngoại vụ Cần Thơ được thành lập năm nào?"


@pytest.fixture
def library(tmp_path):
    shutil.copytree(MINI, tmp_path / "corpus")
    (tmp_path / "corpus" / "metadata.json").write_text(json.dumps({"articles": {
        "b_cantho.txt": {"title": "Cần Thơ và hợp tác quốc tế", "date": "2024-05-02", "outlet": "baocantho.vn"},
        "a_danang.txt": {"title": "Đà Nẵng mở rộng hợp tác", "date": "2023-03-12"}}}, ensure_ascii=False))
    where = ["--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index")]
    env = {"ASSISTANT_DATA_DIR": str(tmp_path / "data"), "ASSISTANT_DATABASE_URL": ""}
    done = run("index", *where, env=env)
    assert done.returncode == 0, done.stderr
    return tmp_path, where, env


def _listed(where, env) -> list[dict]:
    done = run("docs", "list", "--json", *where, env=env)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_docs_list_then_remove_by_id_and_the_article_is_answered_no_more(library):
    base, where, env = library
    rows = _listed(where, env)
    assert [r["id"] for r in rows] == ["b_cantho", "a_danang", "c_quangninh"]  # newest first, undated last
    assert rows[0]["outlet"] == "baocantho.vn" and rows[0]["date"] == "2024-05-02" and rows[0]["file"] == "b_cantho.txt"
    before = run("ask", CAN_THO, "--json", *where, env=env)
    assert before.returncode == 0 and "b_cantho" in {c["doc_id"] for c in json.loads(before.stdout)["citations"]}
    Accounts(base / "data").add("quan", "admin-pass-1", "admin")  # a department's server: removals are audited

    gone = run("remove", "b_cantho", *where, env=env)
    assert gone.returncode == 0, gone.stderr
    assert "removed: b_cantho" in gone.stdout and "1 removed, 0 skipped" in gone.stdout
    kept = list((base / "corpus" / ".removed").glob("*/b_cantho.txt"))
    assert len(kept) == 1 and not (base / "corpus" / "b_cantho.txt").exists()
    assert "b_cantho.txt" in json.loads((kept[0].parent / "removed-metadata.json").read_text())["articles"]
    assert "b_cantho.txt" not in json.loads((base / "corpus" / "metadata.json").read_text())["articles"]
    assert [r["id"] for r in _listed(where, env)] == ["a_danang", "c_quangninh"]
    after = run("ask", CAN_THO, "--json", *where, env=env)
    assert after.returncode == 0 and "b_cantho" not in {c["doc_id"] for c in json.loads(after.stdout)["citations"]}
    audit = run("users", "audit", env=env)
    assert "removed document" in audit.stdout and "b_cantho.txt" in audit.stdout
    index = run("index", *where, env=env)  # the next build is clean: no warning about a metadata entry left behind
    assert index.returncode == 0 and "Warning" not in index.stderr, index.stderr


def test_remove_by_path_or_name_names_what_it_cannot_find_and_never_takes_the_last_article(library):
    base, where, env = library
    done = run("remove", str(base / "corpus" / "a_danang.txt"), "c_quangninh.md", "no_such_article", *where, env=env)
    assert done.returncode == 0, done.stderr  # something was removed
    assert "skipped: no_such_article (no article of the corpus has this id, name or path)" in done.stderr
    assert "removed: " in done.stdout and "2 removed, 1 skipped" in done.stdout
    assert [r["id"] for r in _listed(where, env)] == ["b_cantho"]
    (base / "corpus" / "blank.txt").write_text("  \n", encoding="utf-8")  # a file, but no article the index holds
    last = run("remove", "b_cantho", *where, env=env)
    assert last.returncode == 1 and "it needs at least one" in last.stderr
    assert (base / "corpus" / "b_cantho.txt").exists() and [r["id"] for r in _listed(where, env)] == ["b_cantho"]


def test_an_article_that_cannot_move_is_named_and_the_others_are_still_removed(tmp_path, monkeypatch):
    import os

    from assistant.ingest import adding

    shutil.copytree(MINI, tmp_path / "corpus")
    real = os.replace

    def replace(src, dst):
        if str(src).endswith("c_quangninh.md"):
            raise PermissionError(13, "Permission denied")
        return real(src, dst)

    monkeypatch.setattr(adding.os, "replace", replace)
    out = adding.withdraw_files(["a_danang", "c_quangninh"], tmp_path / "corpus",
                                live={"a_danang", "b_cantho", "c_quangninh"})
    assert [(w.name, w.status) for w in out] == [("a_danang.txt", "removed"), ("c_quangninh.md", "skipped")]
    assert "Permission denied" in out[1].reason and (tmp_path / "corpus" / "c_quangninh.md").exists()
    assert not (tmp_path / "corpus" / "a_danang.txt").exists()
    # the live build's ids that left the folder by hand do not count as articles left
    (tmp_path / "corpus" / "c_quangninh.md").unlink()
    out = adding.withdraw_files(["b_cantho"], tmp_path / "corpus", live={"a_danang", "b_cantho", "c_quangninh"})
    assert out[0].status == "skipped" and "needs at least one" in out[0].reason
