"""What the index's self-check costs at scale: checksumming every file vs loading it.

    python bench/index_check.py                 # 1,000,000 chunks, 3 sentences per chunk
    python bench/index_check.py --chunks 200000 --sentences-per-chunk 4

Writes index files of the real layout and sizes (float32 vectors of dimension 384, JSONL rows
shaped like ours) into a temporary folder, then times, side by side in one run: the CRC-32 of
every file (what ``load_index`` adds), and reading the same files as ``load_index`` does
(np.load, JSON lines, faiss.read_index). Both from the page cache, the state a restart meets.
The files are format 2's (terms in chunks.jsonl, sentences.jsonl), the layout this was written
to measure; format 3 keeps BM25 and sentence spans as arrays and chunks as offsets, so its JSON
is a fraction of this and the checksums are a larger share of a smaller load.
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

from assistant.store.disk import _checksums, _read_jsonl, file_checksum
from assistant.store.faiss import build_faiss


def write(folder: Path, chunks: int, per_chunk: int, dim: int = 384) -> None:
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((chunks, dim), dtype=np.float32)
    np.save(folder / "vectors.npy", vecs, allow_pickle=False)
    import faiss

    faiss.write_index(build_faiss(vecs, "flat"), str(folder / "faiss.index"))
    del vecs
    sents = np.lib.format.open_memmap(folder / "sentences.npy", mode="w+", dtype=np.float32,
                                      shape=(chunks * per_chunk, dim))
    step = 200_000
    for i in range(0, len(sents), step):
        sents[i : i + step] = rng.standard_normal((min(step, len(sents) - i), dim), dtype=np.float32)
    sents.flush()
    del sents
    text = "Sở Ngoại vụ thành phố đã tổ chức nhiều hoạt động đối ngoại trong năm. " * 12
    terms = ["sở", "ngoại", "vụ", "thành", "phố", "ngoại_vụ", "hoạt_động", "đối_ngoại"] * 12
    with (folder / "chunks.jsonl").open("w", encoding="utf-8") as fh:
        for i in range(chunks):
            fh.write(json.dumps({"chunk_id": f"{i:020d}", "doc_id": f"d{i // 20}", "title": "Tiêu đề bài viết",
                                 "date_label": "27/04/2025", "start": 0, "end": len(text), "text": text,
                                 "terms": terms, "fterms": terms}, ensure_ascii=False) + "\n")
    with (folder / "sentences.jsonl").open("w", encoding="utf-8") as fh:
        for i in range(chunks * per_chunk):
            fh.write(json.dumps({"doc_id": f"d{i // 60}", "start": i % 5000, "end": i % 5000 + 80}) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chunks", type=int, default=1_000_000)
    ap.add_argument("--sentences-per-chunk", type=int, default=3)
    args = ap.parse_args()
    import faiss

    with tempfile.TemporaryDirectory(prefix="index-check-", dir=ROOT.parent) as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        write(folder, args.chunks, args.sentences_per_chunk)
        print(f"wrote {args.chunks:,} chunks, {args.chunks * args.sentences_per_chunk:,} sentences "
              f"in {time.perf_counter() - t0:.0f} s")
        sizes = {p.name: p.stat().st_size for p in folder.iterdir()}
        for p in folder.iterdir():  # warm the page cache, as after any earlier read
            file_checksum(p)
        rows = []
        t = time.perf_counter()
        _checksums(folder)
        check = time.perf_counter() - t
        for name in sorted(sizes):
            t = time.perf_counter()
            file_checksum(folder / name)
            crc = time.perf_counter() - t
            t = time.perf_counter()
            if name.endswith(".npy"):
                np.load(folder / name, allow_pickle=False)
            elif name.endswith(".jsonl"):
                _read_jsonl(folder / name)
            else:
                faiss.read_index(str(folder / name))
            rows.append((name, sizes[name], crc, time.perf_counter() - t))
        total = sum(r[3] for r in rows)
        print("\n| file | MB | CRC-32 s | load s |\n|---|---:|---:|---:|")
        for name, size, crc, load in rows:
            print(f"| {name} | {size / 1e6:,.0f} | {crc:.2f} | {load:.2f} |")
        print(f"| all | {sum(sizes.values()) / 1e6:,.0f} | {check:.2f} | {total:.2f} |")
        print(f"\nchecksums add {check:.2f} s to {total:.2f} s of loading ({100 * check / total:.0f}%), "
              f"{sum(sizes.values()) / 1e6 / check:,.0f} MB/s")


if __name__ == "__main__":
    main()
