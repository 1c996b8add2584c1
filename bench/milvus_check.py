"""What ``MilvusStore.check`` (every load) and ``save`` (every build) cost as the collection grows:
the sampled check against looking up every id (the old ``check``), on Milvus Lite, or on a
server (``--uri http://HOST:19530``). Random unit vectors; prints seconds per call.

    python bench/milvus_check.py --rows 200000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.documents import Chunk
from assistant.store.milvus import MilvusStore


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--uri", default="")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        uri = args.uri or str(Path(tmp) / "m.db")
        store = MilvusStore(None, args.dim, uri=uri, collection="bench_check", model_id="bench", writing=True, fresh=True)
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        for start in range(0, args.rows, 10_000):
            n = min(10_000, args.rows - start)
            chunks = [Chunk(f"c{start + i:09d}", f"d{(start + i) // 20}", "t", "không ghi ngày", 0, 1, "x")
                      for i in range(n)]
            v = rng.standard_normal((n, args.dim)).astype(np.float32)
            store.add(chunks, v / np.linalg.norm(v, axis=1, keepdims=True))
        print(f"{args.rows:,} rows inserted in {time.perf_counter() - t0:.0f} s ({'server' if args.uri else 'Milvus Lite'})")
        for name, fn in (("check (count + 1,000 sampled ids)", store.check),
                         ("every id looked up (the old check)", store.count),
                         ("save (count; ids listed only after a killed build)", lambda: store.save(Path(tmp))),
                         ("listing every id (the old save)", store._all_ids)):
            t0 = time.perf_counter()
            fn()
            print(f"  {name:52} {time.perf_counter() - t0:7.2f} s")
        store.client.drop_collection("bench_check")
        store.close()


if __name__ == "__main__":
    main()
