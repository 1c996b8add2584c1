"""assistant eval: fixture checks, matching rules, scoring, baselines, benchmarks, the CI gate."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.app.cli import main
from assistant.documents import Answer, Chunk, Citation, Document, ScoredChunk
from assistant.evaluation import check_fixtures, contains_accept, evaluate, load_fixtures, load_thresholds
from assistant.evaluation.fixtures import FixtureError
from assistant.evaluation.scoring import aggregate, invented_citations, percentile, score_item

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEV = SHARED / "eval" / "seed_qa_dev.jsonl"
THRESHOLDS = ROOT / "eval" / "thresholds.toml"

ARTICLE = (
    "Sở Ngoại vụ Hà Nội được thành lập ngày 17/12/1996.\n"
    "Thành phố có quan hệ với Toulouse và   Paris.\n"
)
OTHER = "Hải Phòng có 58 quốc gia có kiều bào.\n"


def _row(**kw) -> dict:
    row = {"id": "x1", "question": "Sở Ngoại vụ Hà Nội thành lập khi nào?", "answer": "17/12/1996",
           "accept": ["17/12/1996"], "sources": ["a.txt"], "evidence": ["thành lập ngày 17/12/1996"],
           "type": "date", "difficulty": "easy"}
    row.update(kw)
    return row


@pytest.fixture
def tiny_corpus(tmp_path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (corpus / "b.txt").write_text(OTHER, encoding="utf-8")
    return corpus


def _write_jsonl(path: Path, lines: list) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                    encoding="utf-8")
    return path


# --- fixtures -----------------------------------------------------------------------------
def test_check_reports_every_broken_line_precisely(tmp_path, tiny_corpus):
    nfd_quote = unicodedata.normalize("NFD", "quan hệ với Toulouse và Paris")  # other whitespace, NFD
    fixtures = _write_jsonl(tmp_path / "qa.jsonl", [
        _row(id="ok1", evidence=[nfd_quote]),                                # 1: fine
        '{"id": "bad", "question": ',                                         # 2: broken JSON
        _row(id="x3", type="trivia"),                                         # 3: unknown type
        _row(id="x4", sources=["zzz.txt"]),                                   # 4: unknown source
        _row(id="x5", sources=["a"]),                                         # 5: name without extension
        _row(id="x6", evidence=["thành lập ngày 18/12/1996"]),                # 6: quote not in the corpus
        _row(id="x7", evidence=["58 quốc gia"]),                              # 7: quote in another file
        _row(id="ok1"),                                                       # 8: duplicate id
        _row(id="x9", accept="17/12/1996"),                                   # 9: not a list
        "",                                                                   # blank lines are skipped
        _row(id="x11", type="unanswerable"),                                  # 11: refusal item with sources
    ])
    items, problems = check_fixtures(fixtures, tiny_corpus)
    assert [str(p) for p in problems] == [
        "line 2: not valid JSON: Expecting value (column 27)",
        ("line 3: unknown type 'trivia'; known: factoid, numeric, date, list, paraphrase, multi_doc, "
        "temporal_conflict, unanswerable, boilerplate_trap"),
        f"line 4: unknown source 'zzz.txt': no such file in {tiny_corpus}",
        f"line 5: unknown source 'a': no such file in {tiny_corpus} (did you mean 'a.txt'?)",
        "line 6: evidence 1 «thành lập ngày 18/12/1996» does not occur in the corpus",
        "line 7: evidence 1 «58 quốc gia» occurs in b.txt, not in its sources",
        "line 8: duplicate id 'ok1' (first on line 1)",
        "line 9: field 'accept' must be a list of non-empty strings",
        "line 11: a unanswerable item must have no sources",
    ]
    assert [i.id for i in items][:1] == ["ok1"]


def test_check_cli_exit_codes(tmp_path, tiny_corpus):
    runner = CliRunner()
    good = _write_jsonl(tmp_path / "good.jsonl", [_row()])
    res = runner.invoke(main, ["eval", "--check", str(good), "--corpus", str(tiny_corpus)])
    assert res.exit_code == 0, res.output
    assert "1 items, 0 problems" in res.output
    bad = _write_jsonl(tmp_path / "bad.jsonl", [_row(), _row(id="x2", sources=["nope.txt"])])
    res = runner.invoke(main, ["eval", "--check", str(bad), "--corpus", str(tiny_corpus)])
    assert res.exit_code == 1
    assert f"{bad}:line 2: unknown source 'nope.txt'" in res.output


def test_loading_a_malformed_file_fails_in_one_line(tmp_path, tiny_corpus):
    bad = _write_jsonl(tmp_path / "bad.jsonl", [_row(), "[1, 2]"])
    with pytest.raises(FixtureError, match="line 2: not a JSON object"):
        load_fixtures(bad)
    res = CliRunner().invoke(main, ["eval", str(bad), "--corpus", str(tiny_corpus), "--index", str(tmp_path / "i")])
    assert res.exit_code == 1
    assert "Error: " in res.output and "line 2: not a JSON object" in res.output


def test_csv_fixtures_read_like_jsonl(tmp_path, tiny_corpus):
    csv_text = (
        "id,question,answer,accept,sources,evidence,type,difficulty\n"
        'c1,Hà Nội quan hệ với thành phố nào của Pháp?,"Toulouse, Paris",Toulouse | Paris,a.txt,'
        '"[""quan hệ với Toulouse và Paris""]",list,medium\n'
        "c2,Thời tiết?,UNANSWERABLE,không tìm thấy,,,boilerplate_trap,easy\n"
        "c3,bad row,x\n"
    )
    path = tmp_path / "qa.csv"
    path.write_text(csv_text, encoding="utf-8")
    items, problems = check_fixtures(path, tiny_corpus)
    assert [str(p) for p in problems] == ["line 4: 3 cells, but the header names 8 columns"]
    assert items[0].accept == ("Toulouse", "Paris")
    assert items[0].evidence == ("quan hệ với Toulouse và Paris",)
    assert items[1].sources == () and items[1].should_refuse


def test_dev_fixtures_are_valid():
    items, problems = check_fixtures(DEV, ROOT / "corpus")
    assert problems == []
    assert len(items) >= 30


# --- matching and scoring -----------------------------------------------------------------
@pytest.mark.parametrize(
    "answer, accept, ignore, expected",
    [
        ("Ngày 19/3/1983, Phòng Ngoại vụ", "19/3/1983", False, True),
        ("trong năm 2019", "19", False, False),  # not inside a longer number
        ("chiếm 10,25%", "10,2", False, False),
        ("chiếm 10,2% tổng vốn", "10,2", False, True),
        ("ngày 12/2/2025", "2/2025", False, False),
        ("HÀ NỘI đứng thứ hai", "Hà Nội", False, True),  # case-insensitive
        (unicodedata.normalize("NFD", "ngoại giao văn hoá"), "ngoại giao văn hóa", False, True),  # NFD, tones
        ("ngoai giao van hoa", "ngoại giao văn hóa", False, False),
        ("ngoai giao van hoa", "ngoại giao văn hóa", True, True),  # --ignore-diacritics
        ("Không tìm thấy thông tin này trong các bài viết.", "không tìm thấy", False, True),
        ("thêm bạn,\n bớt thù", "thêm bạn, bớt thù", False, True),  # whitespace runs
    ],
)
def test_contains_accept(answer, accept, ignore, expected):
    assert contains_accept(answer, accept, ignore) is expected


def _doc() -> Document:
    return Document(doc_id="a", title="A", text=ARTICLE)


def _hit(doc: Document, start: int, end: int, doc_id: str | None = None) -> ScoredChunk:
    return ScoredChunk(Chunk(f"c{start}", doc_id or doc.doc_id, doc.title, "", start, end, doc.text[start:end]), 1.0)


def test_score_item_counts_hits_evidence_citations_and_invented_numbers():
    from assistant.evaluation.fixtures import QAItem

    doc = _doc()
    item = QAItem("x", "q", "a", ("Toulouse", "Paris", "Lyon"), ("a.txt",), ("quan hệ với Toulouse và Paris",),
                  "list", "easy")
    line2 = ARTICLE.index("Thành phố")
    # the evidence straddles two retrieved chunks of the same article: still found
    ranked = [_hit(doc, 0, 10, doc_id="zzz"), _hit(doc, line2, line2 + 30), _hit(doc, line2 + 20, len(ARTICLE))]
    good = Citation(1, "a", "A", "", quote=ARTICLE[line2:].strip(), passage=ARTICLE[line2:])
    wrong = Citation(2, "a", "A", "", quote=ARTICLE[:line2].strip(), passage=ARTICLE[:line2])
    answer = Answer("q", "Quan hệ với Toulouse và Paris [1] ... [2] [3]", False, (good, wrong))
    s = score_item(item, answer, ranked, k=3, documents={"a": doc}, latency_ms={"end_to_end": 5.0})
    assert s.correct and s.completeness == pytest.approx(2 / 3)
    assert s.hits == {1: False, 5: True, 10: True} and s.rr == 0.5
    assert s.evidence_recall == 1.0
    assert (s.citations, s.supported, s.evidence_cited, s.invented) == (2, 1, True, 1)
    assert invented_citations(answer) == [3]
    # only the first k passages count as given to the answerer
    assert score_item(item, answer, ranked, k=2, documents={"a": doc}, latency_ms={}).evidence_recall == 0.0


def test_aggregate_refusal_precision_and_recall():
    from assistant.evaluation.scoring import ItemScore

    def s(refused, should):
        return ItemScore("i", "t", not should, correct=refused == should, completeness=None, refused=refused,
                         should_refuse=should)

    m = aggregate([s(True, True), s(False, True), s(True, False), s(False, False), s(True, True)])
    assert m["refusal_precision"] == pytest.approx(2 / 3)
    assert m["refusal_recall"] == pytest.approx(2 / 3)
    assert m["citation_precision"] is None  # no citations at all: not measurable, not zero
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([], 95) is None


# --- real pipeline: baselines, benchmark, gate ---------------------------------------------
@pytest.mark.slow
def test_langchain_baseline_answers_from_fixed_size_chunks(seed_settings, embedder):
    from assistant.evaluation.systems import langchain_baseline
    from assistant.store.disk import load_index

    index = load_index(seed_settings)
    lc = langchain_baseline(seed_settings, index, embedder)
    assert lc.index.chunks and all(len(c.text) <= 1000 for c in lc.index.chunks)
    for c in lc.index.chunks[:20]:
        assert lc.index.documents[c.doc_id].text[c.start : c.end] == c.text
    hits, _ = lc.search("Sở Ngoại vụ Hà Nội được thành lập khi nào?", 3)
    assert len(hits) == 3 and hits[0].chunk.doc_id == "004_ce329a74134a4137"
    answer = lc.ask("Sở Ngoại vụ Hà Nội được thành lập khi nào?")
    assert "17/12/1996" in answer.text
    assert {c.chunk_id for c in answer.citations} <= {c.chunk_id for c in lc.index.chunks}


@pytest.mark.slow
def test_retrieval_bench_indexes_contexts_as_their_own_corpus(tmp_path, seed_settings, embedder):
    from assistant.evaluation.bench import run_bench

    bench = tmp_path / "bench"
    bench.mkdir()
    contexts = [
        ("c1", "Mekong", "Sông Mê Kông chảy qua sáu quốc gia và đổ ra Biển Đông ở Việt Nam."),
        ("c2", "Phở", "Phở là món ăn truyền thống của Việt Nam, nấu từ bánh phở và nước dùng xương bò."),
        ("c3", "Hạ Long", "Vịnh Hạ Long ở Quảng Ninh được UNESCO công nhận là di sản thiên nhiên thế giới năm 1994."),
    ]
    _write_jsonl(bench / "contexts.jsonl", [{"context_id": c, "title": t, "text": x} for c, t, x in contexts])
    questions = [("q1", "Sông Mê Kông chảy qua bao nhiêu quốc gia?", "c1"),
                 ("q2", "Phở nấu bằng nước dùng gì?", "c2"),
                 ("q3", "Vịnh Hạ Long được UNESCO công nhận năm nào?", "c3")]
    _write_jsonl(bench / "questions.jsonl", [{"id": i, "question": q, "context_id": c} for i, q, c in questions])
    out = run_bench(seed_settings, bench, tmp_path / "cache", embedder=embedder)
    assert set(out["systems"]) == {"ours", "dense", "bm25", "langchain"}
    assert out["contexts"] == 3 and out["questions"] == 3
    for name, s in out["systems"].items():
        assert s["recall@1"] == 1.0, name
        assert s["mrr@10"] == 1.0, name
    again = run_bench(seed_settings, bench, tmp_path / "cache", embedder=embedder, baselines=())
    assert again["systems"]["ours"]["recall@1"] == 1.0


@pytest.mark.slow
def test_gate_passes_on_dev_fixtures_and_report_is_written(tmp_path, seed_settings):
    """The CI regression gate: `assistant eval DEV --gate` on the seed corpus."""
    report = tmp_path / "report"
    res = CliRunner().invoke(main, [
        "eval", str(DEV), "--gate", "--no-baselines", "--thresholds", str(THRESHOLDS), "--report", str(report),
        "--corpus", str(seed_settings.corpus_dir), "--index", str(seed_settings.index_dir),
    ])
    assert res.exit_code == 0, res.output
    assert "PASS answer_accuracy" in res.output
    data = json.loads((report / "report.json").read_text(encoding="utf-8"))
    assert data["gate"]["passed"] is True
    assert data["fixtures"]["items"] == len(load_fixtures(DEV))
    assert (report / "accuracy_by_type.png").stat().st_size > 10_000
    md = (report / "report.md").read_text(encoding="utf-8")
    assert "### Answer accuracy by question type" in md and "accuracy_by_type.png" in md
    first = json.loads((report / "items" / "ours.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert {"question", "retrieved", "answer", "citations", "prompt", "score", "gold"} <= set(first)
    assert sum(r["given_to_answerer"] for r in first["retrieved"]) == seed_settings.k


@pytest.mark.slow
def test_weakened_retriever_fails_the_gate(seed_settings, embedder):
    """One passage from dense retrieval only: answers get worse and the gate must catch it."""
    floors = load_thresholds(THRESHOLDS)
    weak = evaluate(seed_settings, DEV, k=1, mode="dense", baselines=(), thresholds=floors, embedder=embedder)
    assert not weak.gate_passed
    failed = {c.metric for c in weak.gate if not c.passed}
    assert {"answer_accuracy", "evidence_recall"} <= failed


def test_caching_embeddings_embed_each_passage_once_across_runs(tmp_path):
    import numpy as np

    from assistant.evaluation.systems import CachingEmbeddings
    from assistant.ingest.embedding import VectorEmbeddings

    class Counting(VectorEmbeddings):  # a fake at the embedder seam: counts what it encodes
        dim, model_id = 2, "counting"

        def __init__(self):
            self.seen: list[str] = []

        def _encode(self, texts, is_query):
            self.seen.extend(texts)
            return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    inner = Counting()
    first = CachingEmbeddings(inner, tmp_path).passages(["một", "hai ba"])
    again = CachingEmbeddings(inner, tmp_path).passages(["hai ba", "bốn"])  # a new process: from disk
    assert inner.seen == ["một", "hai ba", "bốn"]
    assert again[0].tolist() == first[1].tolist() == [6.0, 1.0]


@pytest.mark.slow
def test_gate_holds_the_xquad_answer_bench_floors(tmp_path, seed_settings):
    """The answer bench in CI: xquad_vi with 20% of its articles held out (seed 42), every
    question answered end to end, against the floors in eval/thresholds.toml."""
    bench = SHARED / "bench" / "xquad_vi"
    if not (bench / "questions.jsonl").is_file():
        pytest.skip("../shared/bench/xquad_vi is not here")
    res = CliRunner().invoke(main, [
        "eval", str(DEV), "--answer-bench", str(bench), "--gate", "--no-baselines", "--thresholds", str(THRESHOLDS),
        "--corpus", str(seed_settings.corpus_dir), "--index", str(seed_settings.index_dir),
        "--cache", str(tmp_path / "cache"), "--sibling-share", "0",  # the floors' construction: whole articles only
    ])
    assert res.exit_code == 0, res.output
    for metric in ("containment", "gold_cited", "unanswerable_refused", "answerable_answered", "short_f1"):
        assert f"PASS xquad_vi.{metric}" in res.output
