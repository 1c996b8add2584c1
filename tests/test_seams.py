"""The seams other code plugs into: the answer-backend registry and the LangChain retriever."""

from __future__ import annotations

from click.testing import CliRunner
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from assistant.answer import backends
from assistant.answer.backends import Answerer, Backend
from assistant.app.cli import main
from assistant.documents import Answer

QUESTION = "Sở Ngoại vụ Hà Nội được thành lập khi nào?"


def test_as_retriever_feeds_a_langchain_chain_with_citation_metadata(seed_assistant):
    retriever = seed_assistant.as_retriever(k=3)
    assert isinstance(retriever, BaseRetriever)
    seen: dict = {}

    def passages(docs):
        seen["docs"] = docs
        return "\n".join(f"[{i}] {d.metadata['title']} ({d.metadata['date']})\n{d.page_content}"
                         for i, d in enumerate(docs, start=1))

    def capture(prompt):
        seen["prompt"] = prompt.to_string()
        return prompt

    prompt = ChatPromptTemplate.from_messages([("system", "Trả lời từ các đoạn trích:\n{context}"), ("human", "{question}")])
    model = FakeListChatModel(responses=["Ngày 17/12/1996 [1]."])  # the seam: no LLM here
    chain = ({"context": retriever | passages, "question": RunnablePassthrough()}
             | prompt | RunnableLambda(capture) | model | StrOutputParser())
    assert chain.invoke(QUESTION) == "Ngày 17/12/1996 [1]."
    docs = seen["docs"]
    assert len(docs) == 3 and docs[0].metadata["doc_id"] == "004_ce329a74134a4137"
    for d in docs:
        meta = d.metadata
        assert {"doc_id", "chunk_id", "title", "date", "date_iso", "outlet", "url", "start", "end", "score"} <= meta.keys()
        article = seed_assistant.index.documents[meta["doc_id"]]
        assert article.text[meta["start"] : meta["end"]] == d.page_content  # a citation can be checked by slicing
    assert "17/12/1996" in docs[0].page_content and docs[0].page_content in seen["prompt"]
    assert docs[0].metadata["outlet"] == "kinhtedothi.vn" and docs[0].metadata["date"] == "17/12/2021"


class Shouting:
    """A toy backend: the extractive answer, upper-cased."""

    name = "shouting"

    def __init__(self, extractive):
        self.extractive = extractive

    def wants(self, k: int) -> int:
        return self.extractive.wants(k)

    def answer(self, query, hits, k=None) -> Answer:
        a = self.extractive.answer(query, hits, k)
        return Answer(a.question, a.text.upper(), a.refused, a.citations, backend="shouting")

    def stream(self, query, hits, k=None):
        a = self.answer(query, hits, k)
        yield a.text
        yield a


def test_a_backend_registered_alone_appears_everywhere(monkeypatch, seed_settings, seed_assistant):
    monkeypatch.setattr(backends, "_REGISTRY", backends._REGISTRY.copy())  # forgotten after the test
    backends.register(Backend("shouting", "Trả lời in hoa", lambda settings, index, embedder, extractive: Shouting(extractive)))
    assert isinstance(Shouting(None), Answerer)
    runner = CliRunner()
    where = ["--corpus", str(seed_settings.corpus_dir), "--index", str(seed_settings.index_dir)]
    res = runner.invoke(main, ["ask", QUESTION, "--backend", "shouting", "--json", *where], catch_exceptions=False)
    assert res.exit_code == 0 and '"backend": "shouting"' in res.output and "NGÀY 17/12/1996" in res.output
    assert "shouting" in runner.invoke(main, ["ask", "--help"]).output
    assert "shouting" in runner.invoke(main, ["config", *where]).output
    from assistant.app.chat import available_backends, backend_label

    assert "shouting" in available_backends(seed_settings) and backend_label("shouting") == "Trả lời in hoa"
    res = runner.invoke(main, ["ask", QUESTION, "--backend", "nope", *where])
    assert res.exit_code == 2 and "shouting" in res.output  # click lists the live choices


def _import_graph():
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("import_depth", ROOT / "scripts" / "import_depth.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod, mod.graph()


def test_no_stage_imports_another_and_only_the_pipeline_composes():
    mod, g = _import_graph()
    assert mod.sideways(g) == []  # ingest, store, retrieve, answer: each imports leaves and itself only
    assert not mod.depths(g)[2]  # no cycles
    # the composer is the only module outside the stages that builds retrievers or answerers
    import re

    from conftest import ROOT

    builds = re.compile(r"(?<![\w.])(?:Retriever|ExtractiveAnswerer)\(")
    builders = [p.relative_to(ROOT / "src").as_posix() for p in (ROOT / "src" / "assistant").rglob("*.py")
                if builds.search(p.read_text(encoding="utf-8"))
                and "/retrieve/" not in p.as_posix() and "/answer/" not in p.as_posix()]
    assert builders == ["assistant/pipeline.py"]


def test_the_stages_do_not_import_the_pipeline_or_the_apps():
    _, g = _import_graph()
    for module, deps in g.items():
        if module.split(".")[1:2] and module.split(".")[1] in ("ingest", "store", "retrieve", "answer"):
            assert not {d for d in deps if d.startswith(("assistant.pipeline", "assistant.app", "assistant.evaluation",
                                                          "assistant.briefing"))}, module


PLUGIN = '''
import re
import zlib

import numpy as np

from assistant.ingest.embedding import EMBEDDERS


class Hashed:
    """A department's own embedder: hashed words, 64 dimensions."""

    dim = 64
    model_id = "plugin:hashed-64"

    def _one(self, text):
        v = np.zeros(self.dim, dtype=np.float32)
        for w in re.findall(r"\\w+", text.lower()):
            v[zlib.crc32(w.encode()) % self.dim] += 1.0
        return v / (np.linalg.norm(v) or 1.0)

    def passages(self, texts, progress=None, batch=16):
        if progress:
            progress(len(texts))
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def query(self, text):
        return self._one(text)

    def embed_documents(self, texts):
        return self.passages(texts).tolist()

    def embed_query(self, text):
        return self.query(text).tolist()


EMBEDDERS.register("hashed", lambda name, *_: Hashed())
'''


def test_a_plugin_named_in_the_environment_registers_an_embedder_in_every_process(tmp_path):
    """ASSISTANT_PLUGINS: ``assistant index`` and ``assistant ask`` (separate processes) both
    load the department's module, build and answer with its embedder; a missing one is one line."""
    import json
    import os
    import shutil
    import subprocess
    import sys

    from conftest import ROOT

    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "dept_embedder.py").write_text(PLUGIN, encoding="utf-8")
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    env = {**os.environ, "ASSISTANT_PLUGINS": "dept_embedder", "ASSISTANT_EMBEDDER": "hashed",
           "PYTHONPATH": os.pathsep.join([str(tmp_path / "plugins"), str(ROOT / "src")])}
    where = ["--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index")]

    def run(*args, **extra):
        return subprocess.run([sys.executable, "-m", "assistant", *args, *where], capture_output=True, text=True,
                              env={**env, **extra}, cwd=tmp_path, timeout=600, check=False)

    built = run("index")
    assert built.returncode == 0, built.stderr[-2000:]
    build = tmp_path / "index" / "builds" / (tmp_path / "index" / "CURRENT").read_text().strip()
    assert json.loads((build / "manifest.json").read_text())["embedder"] == {"spec": "hashed", "model_id": "plugin:hashed-64", "dim": 64}
    asked = run("ask", QUESTION, "--json")
    assert asked.returncode == 0, asked.stderr[-2000:]
    assert "answer" in json.loads(asked.stdout)  # answered (hashed vectors may well make it a refusal)
    searched = run("search", QUESTION, "--json")
    assert searched.returncode == 0, searched.stderr[-2000:]
    assert "Hà Nội" in json.dumps(json.loads(searched.stdout), ensure_ascii=False)
    broken = run("ask", QUESTION, ASSISTANT_PLUGINS="dept_embedder, no_such_module")
    assert broken.returncode != 0 and "plugin 'no_such_module' could not be loaded" in broken.stderr
    assert "Traceback" not in broken.stderr
