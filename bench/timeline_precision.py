"""Precision and recall of the timeline's event detector, per kind, on invented sentences.

    PYTHONPATH=src python bench/timeline_precision.py            # the three sets in bench/data
    PYTHONPATH=src python bench/timeline_precision.py --mistakes # and every sentence it got wrong

Three sets of invented news-style Vietnamese, none from the seed corpus, written at three
moments (each file's header says which), so the figures are not all in-sample:

* ``timeline_events.tsv``: written before the cue list; the cues were then written with it
  in view (in-sample);
* ``timeline_events_heldout.tsv``: written after, scored once (0.83 precision, 1.00 recall over
  all kinds), then three hedges were added (purpose, anniversary, tallies "đến nay"): no
  longer held out;
* ``timeline_events_fresh.tsv``: written after that, scored once (0.94 / 0.76); then matching
  (not the cues) was fixed for the segmenter's over-joined words: no longer held out either.

Each holds events of each kind, and look-alikes that are not events (a signing
planned, refused or proposed; "đoàn kết"; figures that are not investment, aid or trade;
dates of birth). A sentence is labelled with one kind or "none"; the detector's answer is
right when it names the same kind. Precision of a kind: of the sentences filed under it, the
share labelled so; recall: of those labelled so, the share filed under it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from assistant.briefing.events import KINDS, detect


def load(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, sentence = line.split("\t")[:2]
            rows.append((label, sentence))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, nargs="+", default=[ROOT / "bench" / "data" / f"timeline_events{s}.tsv"
                                                            for s in ("", "_heldout", "_fresh")])
    ap.add_argument("--mistakes", action="store_true", help="print every sentence filed wrongly")
    args = ap.parse_args()
    for path in args.data:
        print(f"== {path.name}")
        report(load(path), args.mistakes)
        print()


def report(rows: list[tuple[str, str]], mistakes: bool) -> None:
    got = []
    for label, sentence in rows:
        found = detect(sentence, published="2024-12-31")
        got.append(found.kind if found else "none")
    print(f"{len(rows)} sentences, {sum(label != 'none' for label, _ in rows)} events, "
          f"{sum(label == 'none' for label, _ in rows)} look-alikes that are not")
    print(f"{'kind':<10} {'labelled':>8} {'filed':>6} {'right':>6} {'precision':>9} {'recall':>7}")
    for kind in (*KINDS, "any event"):
        if kind == "any event":
            labelled = sum(label != "none" for label, _ in rows)
            filed = sum(g != "none" for g in got)
            right = sum(label != "none" and g != "none" for (label, _), g in zip(rows, got))
        else:
            labelled = sum(label == kind for label, _ in rows)
            filed = sum(g == kind for g in got)
            right = sum(label == kind == g for (label, _), g in zip(rows, got))
        p = f"{right / filed:.2f}" if filed else "-"
        r = f"{right / labelled:.2f}" if labelled else "-"
        print(f"{kind:<10} {labelled:>8} {filed:>6} {right:>6} {p:>9} {r:>7}")
    if mistakes:
        print("\nfiled wrongly (label -> detected):")
        for (label, sentence), g in zip(rows, got):
            if label != g:
                print(f"  {label:>9} -> {g:<9} {sentence}")


if __name__ == "__main__":
    main()
