"""Write an answer bench with near misses, to be answered (or fitted on) as it is.

From a SQuAD-shaped folder SRC (contexts.jsonl: context_id, title, text; questions.jsonl: id,
question, answers, context_id) this holds out a seeded share of whole articles and a seeded
share of the other articles' single passages, and swaps one named constraint (a place, a
person, a year, a number with its unit, an acronym, a law...) in answerable questions, exactly
as ``assistant eval --answer-bench SRC`` does (``assistant.evaluation.nearmiss``). OUT gets:

* ``contexts.jsonl``: the contexts to index;
* ``questions.jsonl``: every item, with ``kind`` (answerable, article, sibling, swap),
  ``answerable``, ``title`` and ``swapped`` ([constraint kind, from, to] for a swap);
* ``manifest.json``: the source, seed, shares, the held-out titles and passages, and the
  counts per kind and per swapped constraint kind.

``assistant eval --answer-bench OUT`` answers OUT as it is, without holding anything out again.

Usage::

    python scripts/make_near_misses.py ../shared/bench/xquad_vi_full /tmp/xquad_nearmiss
    python scripts/make_near_misses.py SRC OUT --share 0.2 --sibling-share 0.2 --seed 42
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="OUT is then answered with: assistant eval --answer-bench OUT")
    ap.add_argument("src", type=Path, help="a SQuAD-shaped folder: contexts.jsonl + questions.jsonl")
    ap.add_argument("out", type=Path, help="the folder to write (created; its three files are replaced)")
    ap.add_argument("--share", type=float, default=0.2,
                    help="share of the titles (whole articles) held out (default: %(default)s)")
    ap.add_argument("--sibling-share", type=float, default=0.2,
                    help="share of the other articles' passages with questions held out alone (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=42, help="seed of every choice (default: %(default)s)")
    args = ap.parse_args(argv)

    from assistant.evaluation.nearmiss import load_bench, write_prepared

    bench = load_bench(args.src, share=args.share, sibling_share=args.sibling_share, seed=args.seed)
    manifest = write_prepared(bench, args.out, str(args.src))
    kinds = ", ".join(f"{k} {n}" for k, n in manifest["kinds"].items())
    swapped = ", ".join(f"{k} {n}" for k, n in sorted(manifest["swapped"].items(), key=lambda kv: -kv[1]))
    print(f"{args.out}: {manifest['contexts_indexed']} contexts; {kinds}; swapped: {swapped or 'none'}")


if __name__ == "__main__":
    main()
