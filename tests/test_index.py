import json
import shutil

import numpy as np
import pytest

from assistant.config import load_settings
from assistant.errors import IndexMismatchError, IndexMissingError
from assistant.pipeline import build_index
from assistant.store import disk as index_mod
from assistant.store import faiss as faiss_mod
from assistant.store.disk import load_index
from assistant.store.faiss import FaissStore, build_faiss, faiss_search
from conftest import MINI, ROOT


@pytest.fixture
def mini(tmp_path):
    shutil.copytree(MINI, tmp_path / "corpus")
    return load_settings(cwd=ROOT, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


def test_build_then_load_describes_itself(mini, embedder):
    report = build_index(mini, embedder)
    assert report.documents == 3 and report.chunks >= 3 and report.reused == 0
    idx = load_index(mini)
    assert idx.manifest["embedder"]["model_id"] == embedder.model_id
    assert idx.manifest["embedder"]["dim"] == 384 == idx.store.dim
    assert idx.manifest["chunker"]["size"] == mini.chunk_size
    assert idx.manifest["store"]["name"] == mini.store == idx.store.name
    assert idx.store.count() == len(idx.chunks) and not idx.store.check()
    # nothing pickled: JSON, .npy without pickle, FAISS's own format (the FAISS store's two files)
    files = sorted(p.name for p in idx.path.iterdir())
    store_files = ["faiss.index", "vectors.npy"] if mini.store == "faiss" else []
    bm25 = [f"{n}.{part}" for n in ("bm25", "bm25f") for part in ("vocab.json", "data.npy", "indices.npy", "indptr.npy")]
    syllables = ["syllables.vocab.json", "syllables.counts.npy", "syllables.pairs.npy", "syllables.pair_counts.npy"]
    assert files == sorted(["chunks.jsonl", "documents.jsonl", "manifest.json", "sentences.spans.npy",
                            "sentences.npy", *bm25, *syllables, *store_files])
    json.loads((idx.path / "manifest.json").read_text())


def test_incremental_update_reembeds_only_what_changed(mini, embedder):
    first = build_index(mini, embedder)
    again = build_index(mini, embedder)
    assert again.embedded == 0 and again.reused == first.embedded
    doc = mini.corpus_dir / "a_danang.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nNăm 2023, Đà Nẵng đón thêm 15 đoàn khách.\n", encoding="utf-8")
    (mini.corpus_dir / "c_quangninh.md").unlink()
    shutil.copy(MINI / "c_quangninh.md", mini.corpus_dir / "d_new.md")
    third = build_index(mini, embedder)
    assert third.changed == ("a_danang",) and third.removed == ("c_quangninh",) and third.added == ("d_new",)
    # b_cantho is untouched and d_new has the same text as the removed file: only new text is embedded
    assert 0 < third.embedded < first.embedded
    idx = load_index(mini)
    assert {c.doc_id for c in idx.chunks} == {"a_danang", "b_cantho", "d_new"}
    assert any("15 đoàn khách" in c.text for c in idx.chunks)


def test_index_built_with_other_settings_is_refused(mini, embedder):
    build_index(mini, embedder)
    other = mini.with_overrides(chunk_size=300)
    with pytest.raises(IndexMismatchError, match="chunker") as err:
        load_index(other)
    assert "rebuild" in err.value.hint
    with pytest.raises(IndexMismatchError, match="embedder"):
        load_index(mini.with_overrides(embedder="intfloat/multilingual-e5-base"))


def test_missing_index_says_how_to_build_it(mini):
    with pytest.raises(IndexMissingError) as err:
        load_index(mini)
    assert "assistant index" in err.value.hint


def test_crash_mid_build_leaves_previous_index_usable(mini, embedder, monkeypatch):
    build_index(mini, embedder)
    before = load_index(mini)
    (mini.corpus_dir / "a_danang.txt").write_text("Bài mới hoàn toàn về Huế.\n", encoding="utf-8")

    # Ctrl-C after embedding and storing the vectors, while the new build folder is being written
    monkeypatch.setattr(index_mod, "_checksums", lambda folder: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        build_index(mini, embedder)
    after = load_index(mini)
    assert after.path == before.path
    assert [c.chunk_id for c in after.chunks] == [c.chunk_id for c in before.chunks]
    assert not [p for p in (mini.index_dir / "builds").iterdir() if p.name.startswith(".tmp")]
    # the previous build still searches right: every chunk finds itself first (Milvus skips the new rows)
    vectors = embedder.passages([f"{c.title}\n{c.text}" for c in after.chunks])
    assert [after.store.search(v, 1)[0][0] for v in vectors] == list(range(len(after.chunks)))


@pytest.mark.parametrize("kind", ["auto", "flat", "hnsw", "ivf", "ivf-sq8"])
def test_faiss_index_types_find_the_nearest_vector(kind):
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(5000, 32)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    index = build_faiss(vecs, kind)
    for i in (123, 4321):
        assert faiss_search(index, vecs[i], 5)[0][0] == i


def test_auto_is_exact_when_small_and_compressed_when_large(monkeypatch):
    import faiss

    vecs = np.random.default_rng(1).normal(size=(3000, 32)).astype(np.float32)
    assert isinstance(build_faiss(vecs, "auto"), faiss.IndexFlatIP)
    monkeypatch.setattr(faiss_mod, "AUTO_FLAT_MAX", 1000)
    ivf = build_faiss(vecs, "auto")
    assert faiss.extract_index_ivf(ivf).nprobe == faiss_mod.IVF_NPROBE
    assert len(faiss.serialize_index(ivf)) < len(faiss.serialize_index(build_faiss(vecs, "flat"))) / 2


def test_langchain_vectorstore_over_faiss(embedder):
    store = FaissStore.from_texts(
        ["Hà Nội thành lập Sở Ngoại vụ năm 1996.", "Đà Nẵng có bãi biển đẹp.", "Hải Phòng là thành phố cảng."],
        embedder, metadatas=[{"doc_id": "hn"}, {"doc_id": "dn"}, {"doc_id": "hp"}],
    )
    docs = store.as_retriever(search_kwargs={"k": 1}).invoke("Sở Ngoại vụ Hà Nội thành lập khi nào?")
    assert docs[0].metadata["doc_id"] == "hn" and docs[0].page_content.startswith("Hà Nội")
    assert store.delete([docs[0].id]) and len(store.chunks) == 2
    assert store.similarity_search("Sở Ngoại vụ Hà Nội", k=1)[0].metadata["doc_id"] != "hn"


def _as_format_2(build):
    """Rewrite a build as the previous format wrote it: terms in chunks.jsonl, sentences.jsonl, no BM25 files."""
    from assistant.vietnamese import index_terms

    idx_sent = index_mod.SentenceTable
    docs = [json.loads(x) for x in (build / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    table = idx_sent([d["doc_id"] for d in docs], np.load(build / "sentences.spans.npy"))
    rows = [json.loads(x) for x in (build / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]
    with (build / "chunks.jsonl").open("w", encoding="utf-8") as fh:
        by_id = {d["doc_id"]: d for d in docs}
        for r in rows:
            doc = by_id[r["doc_id"]]
            r = {**r, "title": doc["title"], "date_label": doc["date_label"], "text": doc["text"][r["start"] : r["end"]]}
            text = f"{r['title']}\n{r['text']}"
            fh.write(json.dumps({**r, "terms": index_terms(text), "fterms": index_terms(text, folded=True)},
                                ensure_ascii=False) + "\n")
    with (build / "sentences.jsonl").open("w", encoding="utf-8") as fh:
        for s in table:
            fh.write(json.dumps({"doc_id": s.doc_id, "start": s.start, "end": s.end}, ensure_ascii=False) + "\n")
    for p in [*build.glob("bm25*"), *build.glob("syllables.*"), build / "sentences.spans.npy"]:
        p.unlink()
    manifest = json.loads((build / "manifest.json").read_text())
    manifest = {**manifest, "format": 2, "files": index_mod._checksums(build)}
    (build / "manifest.json").write_text(json.dumps(manifest))


def test_an_index_of_the_previous_format_is_refused_but_its_vectors_are_reused(mini, embedder):
    first = build_index(mini, embedder)
    _as_format_2(first.path)
    with pytest.raises(IndexMismatchError):
        load_index(mini)
    report = build_index(mini, embedder)
    assert report.embedded == 0 and report.reused == first.embedded + first.reused
    idx = load_index(mini)
    from assistant.vietnamese import index_terms

    assert idx.manifest["format"] == index_mod.FORMAT_VERSION
    assert idx.bm25.search(index_terms(idx.chunks[0].text), 1)[0][0] == 0  # a fresh BM25 was built


def test_a_build_from_before_syllable_counts_were_stored_still_opens(mini, embedder):
    built = build_index(mini, embedder)
    stored = load_index(mini).syllables
    for p in built.path.glob("syllables.*"):
        p.unlink()
    manifest = json.loads((built.path / "manifest.json").read_text())
    manifest["files"] = index_mod._checksums(built.path)
    (built.path / "manifest.json").write_text(json.dumps(manifest))
    counted = load_index(mini).syllables  # counted from the articles, as before they were stored
    assert counted.vocab == stored.vocab and counted.vocab
    assert list(counted.counts) == list(stored.counts) and list(counted.pair_counts) == list(stored.pair_counts)


def test_a_build_on_every_core_equals_a_build_in_one_process(seed_settings, embedder, tmp_path, monkeypatch):
    """The seed index (five articles: one process) built again with every step forked (reading
    and cleaning, shingling, chunking and segmentation); the vectors are reused, so every
    file must be equal byte for byte."""
    import dataclasses

    from assistant.ingest import build, parallel
    from assistant.pipeline import build_index
    from assistant.vietnamese import index_terms

    shutil.copytree(seed_settings.index_dir, tmp_path / "index")
    started: list[tuple[int, str]] = []

    class Counted(parallel.ProcessPoolExecutor):
        def __init__(self, processes, mp_context):
            started.append((processes, mp_context.get_start_method()))
            super().__init__(processes, mp_context=mp_context)

    monkeypatch.setattr(parallel, "PARALLEL_ITEMS", 1)
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    monkeypatch.setattr(parallel, "ProcessPoolExecutor", Counted)
    monkeypatch.setattr(parallel, "_start_method", lambda: "fork")  # whatever threads pytest runs
    again = build_index(dataclasses.replace(seed_settings, index_dir=tmp_path / "index"), embedder)
    assert len(started) >= 3 and set(started) == {(2, "fork")}  # reading, shingles, chunks and terms
    assert again.embedded == 0

    def files(index) -> dict[str, bytes]:
        folder = index / "builds" / (index / "CURRENT").read_text().strip()
        return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.name != "manifest.json"}

    one, every = files(seed_settings.index_dir), files(tmp_path / "index")
    assert sorted(one) == sorted(every) and "chunks.jsonl" in one
    assert [name for name in one if one[name] != every[name]] == []
    chunks = load_index(seed_settings).chunks  # and the terms are those of one chunk at a time
    texts = [f"{c.title}\n{c.text}" for c in chunks]
    assert build.chunk_terms(chunks) == ([index_terms(t) for t in texts], [index_terms(t, folded=True) for t in texts])


def test_a_process_with_threads_builds_on_processes_of_a_fork_server_with_the_same_result(seed_assistant):
    """The chat server builds after an upload while its other threads serve: it is not forked."""
    import threading

    from assistant.ingest import parallel
    from assistant.vietnamese import index_terms_both

    texts = [f"{c.title}\n{c.text}" for c in seed_assistant.index.chunks]
    stop = threading.Event()
    serving = threading.Thread(target=stop.wait, daemon=True)
    serving.start()
    try:
        assert parallel._start_method() == "forkserver"
        assert parallel.pmap(index_terms_both, texts, processes=2, min_items=1) == [index_terms_both(t) for t in texts]
    finally:
        stop.set()
