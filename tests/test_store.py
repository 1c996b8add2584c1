"""The Store seam with both stores for real: FAISS files and Milvus (an embedded Milvus Lite
file, or a real Milvus server when ``ASSISTANT_MILVUS_URI`` names one: ``make test`` runs this
module both ways).

Each test builds the seed corpus (or the mini corpus) with ``store = "faiss"`` and/or
``store = "milvus"`` explicitly, whatever ``ASSISTANT_STORE`` says.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from assistant.errors import StoreError
from assistant.evaluation.fixtures import load_fixtures
from assistant.pipeline import Assistant, build_index
from assistant.store.base import Store
from assistant.store.disk import load_index
from assistant.vietnamese import index_terms
from conftest import CORPUS, MINI, ROOT, SHARED

pytestmark = pytest.mark.slow  # Milvus Lite; `make test` runs it

DEV = SHARED / "eval" / "seed_qa_dev.jsonl"
SERVER = os.environ.get("ASSISTANT_MILVUS_URI", "").startswith(("http://", "https://"))  # else Milvus Lite


def _settings(tmp_path_factory, source, name, store):
    from assistant.config import load_settings

    base = tmp_path_factory.mktemp(f"{name}-{store}")
    shutil.copytree(source, base / "corpus")
    return load_settings(cwd=ROOT, corpus_dir=base / "corpus", index_dir=base / "index", store=store)


@pytest.fixture(scope="module")
def both(tmp_path_factory, embedder):
    """The seed corpus indexed twice, into FAISS and into Milvus Lite, opened as Assistants."""
    out = {}
    for store in ("faiss", "milvus"):
        settings = _settings(tmp_path_factory, CORPUS, "seed", store)
        build_index(settings, embedder)
        out[store] = Assistant.open(settings, embedder)
    return out


def _cited(answer):
    return (answer.refused, answer.text, [(c.doc_id, c.quote) for c in answer.citations])


def test_ask_over_milvus_gives_the_same_cited_answers_as_faiss(both):
    items = load_fixtures(DEV)
    assert len(items) >= 30
    faiss_a, milvus_a = both["faiss"], both["milvus"]
    assert milvus_a.index.store.name == "milvus" and faiss_a.index.store.name == "faiss"
    for item in items:
        top_f = [h.chunk.chunk_id for h in faiss_a.search(item.question)[0]]
        top_m = [h.chunk.chunk_id for h in milvus_a.search(item.question)[0]]
        assert top_m == top_f, item.id  # the same top passages, in the same order
        assert _cited(milvus_a.ask(item.question)) == _cited(faiss_a.ask(item.question)), item.id


def test_assistant_ask_over_milvus_prints_the_same_cited_answers_as_over_faiss(both, tmp_path):
    """The CLI itself, once per store, over every development question (``--questions``)."""
    from click.testing import CliRunner

    from assistant.app.cli import main

    questions = tmp_path / "dev.txt"
    questions.write_text("\n".join(i.question for i in load_fixtures(DEV)) + "\n", encoding="utf-8")
    printed = {}
    for store, a in both.items():
        where = ["--corpus", str(a.settings.corpus_dir), "--index", str(a.settings.index_dir)]
        res = CliRunner().invoke(main, ["ask", "--questions", str(questions), *where], catch_exceptions=False)
        assert res.exit_code == 0
        printed[store] = [json.loads(line) for line in res.output.splitlines()]
    assert len(printed["milvus"]) == len(load_fixtures(DEV))
    for f, m in zip(printed["faiss"], printed["milvus"]):
        f.pop("timings_ms", None), m.pop("timings_ms", None)
        assert m == f
    assert sum(bool(r.get("citations")) for r in printed["milvus"]) >= 25


def test_dense_scores_agree_between_stores(both, embedder):
    vec = embedder.query("Đà Nẵng hợp tác với bao nhiêu địa phương nước ngoài?")
    f = both["faiss"].index.store.search(vec, 10)
    m = both["milvus"].index.store.search(vec, 10)
    assert [i for i, _ in f] == [i for i, _ in m]
    assert np.allclose([s for _, s in f], [s for _, s in m], atol=1e-4)


def test_milvus_bm25_inside_milvus_finds_the_article_our_bm25_finds(both):
    a = both["milvus"]
    store = a.index.store
    if not store.full_text:  # a server without BM25 (Milvus 2.3, 2.4): said in one line; ours still ranks
        assert SERVER
        with pytest.raises(StoreError, match="no BM25"):
            store.lexical_search(index_terms("Sở Ngoại vụ Hà Nội"), 5)
        assert a.retriever.bm25.search(index_terms("Sở Ngoại vụ Hà Nội"), 5)
        return
    for question in ("Sở Ngoại vụ Hà Nội được thành lập khi nào?", "kiều bào Hải Phòng"):
        terms = index_terms(question)
        theirs = store.lexical_search(terms, 5)
        ours = a.retriever.bm25.search(terms, 5)
        assert theirs and ours
        assert a.index.chunks[theirs[0][0]].doc_id == a.index.chunks[ours[0][0]].doc_id


@pytest.mark.parametrize("store", ["faiss", "milvus"])
def test_incremental_update_and_delete(tmp_path_factory, embedder, store):
    settings = _settings(tmp_path_factory, MINI, "mini", store)
    first = build_index(settings, embedder)
    doc = settings.corpus_dir / "a_danang.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nNăm 2023, Đà Nẵng đón thêm 15 đoàn khách Lào.\n",
                   encoding="utf-8")
    (settings.corpus_dir / "c_quangninh.md").unlink()
    second = build_index(settings, embedder)
    assert second.changed == ("a_danang",) and second.removed == ("c_quangninh",)
    assert 0 < second.embedded < first.embedded  # only the new text met the model
    idx = load_index(settings)
    assert {c.doc_id for c in idx.chunks} == {"a_danang", "b_cantho"}
    assert idx.store.count() == len(idx.chunks) and not idx.store.check()
    new = next(i for i, c in enumerate(idx.chunks) if "15 đoàn khách Lào" in c.text)
    assert idx.store.search(embedder.passages([f"{idx.chunks[new].title}\n{idx.chunks[new].text}"])[0], 1)[0][0] == new
    if store == "milvus":  # the removed article's rows are gone from the collection itself
        rows = idx.store.client.query(idx.store.collection, filter='doc_id == "c_quangninh"',
                                      output_fields=["id"], limit=100)
        assert list(rows) == []
        assert idx.store._all_ids() == {c.chunk_id for c in idx.chunks}


@pytest.mark.parametrize("store", ["faiss", "milvus"])
def test_the_store_is_a_langchain_vectorstore(both, embedder, store):
    vs = both[store].index.store
    assert isinstance(vs, Store)
    docs = vs.as_retriever(search_kwargs={"k": 2}).invoke("Sở Ngoại vụ Hà Nội được thành lập khi nào?")
    assert docs[0].metadata["doc_id"] == "004_ce329a74134a4137"
    article = both[store].index.documents[docs[0].metadata["doc_id"]]
    assert article.text[docs[0].metadata["start"] : docs[0].metadata["end"]] == docs[0].page_content
    scored = vs.similarity_search_with_relevance_scores("Sở Ngoại vụ Hà Nội", k=1)
    assert 0.5 < scored[0][1] <= 1.0


def _assistant(*args: str, settings) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "assistant", *args, "--corpus", str(settings.corpus_dir),
                             "--index", str(settings.index_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "ASSISTANT_STORE": "milvus"}, cwd=ROOT)


def _done(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    return out


def test_index_then_ask_update_and_delete_each_in_a_new_process(tmp_path_factory):
    """As users run it: every command its own process, so the collection is opened (and must be
    loaded) afresh each time; over a server, two app processes answer at once."""
    settings = _settings(tmp_path_factory, MINI, "processes", "milvus")
    _done(_assistant("index", settings=settings))
    question = "Đà Nẵng đón bao nhiêu đoàn khách Lào năm 2023?"
    asks = [_assistant("ask", "Năm 2022 Đà Nẵng đón bao nhiêu đoàn khách quốc tế?", "--json", settings=settings)
            for _ in range(2 if SERVER else 1)]
    before = [json.loads(_done(p)) for p in asks]  # over a server, at the same time
    for b in before:
        b.pop("timings_ms")
    assert all(b == before[0] for b in before) and "120 đoàn" in before[0]["citations"][0]["quote"]
    assert "15 đoàn" not in _done(_assistant("ask", question, "--json", settings=settings))
    doc = settings.corpus_dir / "a_danang.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nNăm 2023, Đà Nẵng đón thêm 15 đoàn khách Lào.\n",
                   encoding="utf-8")
    (settings.corpus_dir / "c_quangninh.md").unlink()
    updated = _done(_assistant("index", settings=settings))
    assert updated.startswith("Đã cập nhật chỉ mục") and "sửa: a_danang; bỏ: c_quangninh" in updated
    after = _done(_assistant("ask", question, "--json", settings=settings))
    assert "15 đoàn khách Lào" in after and '"doc_id": "a_danang"' in after
    search = _done(_assistant("search", "Quảng Ninh hợp tác", "--json", settings=settings))
    assert "c_quangninh" not in search and "b_cantho" in search
    idx = load_index(settings)
    try:
        assert not idx.store.check() and idx.store._total() == len(idx.chunks)  # the deleted rows are gone
    finally:
        idx.store.close()


@pytest.mark.skipif(SERVER, reason="a Milvus server serves many processes; the Lite file one")
def test_a_milvus_lite_file_open_elsewhere_is_one_error_line(both):
    settings = both["milvus"].settings  # this process holds the Milvus Lite file open
    run = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "Hà Nội?", "--corpus", str(settings.corpus_dir),
         "--index", str(settings.index_dir)],
        check=False, capture_output=True, text=True, timeout=300,
        env={**os.environ, "ASSISTANT_STORE": "milvus"},
    )
    assert run.returncode == 1, run.stderr[-2000:]
    err = run.stderr.strip().splitlines()
    assert err[0].startswith("Error: cannot open Milvus") and "Traceback" not in run.stderr
    assert any("one process at a time" in line for line in err)


def test_a_build_is_read_from_the_store_its_manifest_names(both):
    assert load_index(both["faiss"].settings.with_overrides(store="milvus")).store.name == "faiss"


def test_switching_store_reuses_every_vector(tmp_path_factory, embedder):
    settings = _settings(tmp_path_factory, MINI, "switch", "faiss")
    first = build_index(settings, embedder)
    moved = build_index(settings.with_overrides(store="milvus"), embedder)
    assert moved.embedded == 0 and moved.reused == first.embedded
    assert any("reused" in n for n in moved.notes)
    idx = load_index(settings)
    assert idx.store.name == "milvus" and idx.store.count() == len(idx.chunks)
