"""How long a timeline takes over a department's archive: 1,000 and 10,000 articles.

    PYTHONPATH=src python bench/timeline_scale.py                 # 1,000 and 10,000 articles
    PYTHONPATH=src python bench/timeline_scale.py --sizes 1000

The archive is bench/archive_size.py's synthetic one (the seed articles plus articles recombined
from their sentences, places and numbers changed), loaded and split into sentences as a build
does; no embedding is needed, since a timeline reads the indexed texts and sentence spans only.
Printed per size and subject: the sentences read, the events found, and the seconds taken
(the median of three runs). The chat's *Dòng thời gian* and the HTTP API run the same function.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive_size import synth_archive

from assistant.briefing.timeline import timeline
from assistant.documents import SentenceRef
from assistant.ingest.loading import load_corpus
from assistant.vietnamese import sentence_spans

SUBJECTS = [("Hải Phòng", None), ("Hà Nội", None), ("Đà Nẵng", "Nhật Bản")]


@dataclass
class Sentences:
    """The two calls a timeline makes of an index's sentence spans."""

    refs: list[SentenceRef]
    spans: dict[str, range]

    def of_doc(self, doc_id: str) -> range:
        return self.spans.get(doc_id, range(0))

    def __getitem__(self, i: int) -> SentenceRef:
        return self.refs[i]


@dataclass
class Archive:
    documents: dict
    sentences: Sentences


def archive(n: int) -> Archive:
    with tempfile.TemporaryDirectory(prefix="timeline-scale-") as folder:
        synth_archive(Path(folder), n)
        docs = load_corpus(Path(folder) / "corpus")
    refs: list[SentenceRef] = []
    spans = {}
    for d in docs:
        first = len(refs)
        refs += [SentenceRef(d.doc_id, a, b) for a, b in sentence_spans(d.text)]
        spans[d.doc_id] = range(first, len(refs))
    return Archive({d.doc_id: d for d in docs}, Sentences(refs, spans))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = ap.parse_args()
    print("| articles | sentences | subject | articles naming it | events | seconds (median of 3) |")
    print("|---|---|---|---|---|---|")
    for n in args.sizes:
        a = archive(n)
        for subject, partner in SUBJECTS:
            took = []
            for _ in range(3):
                t0 = time.perf_counter()
                t = timeline(a, subject, partner)  # type: ignore[arg-type]  # the two calls it makes
                took.append(time.perf_counter() - t0)
            name = subject + (f" — {partner}" if partner else "")
            print(f"| {len(a.documents):,} | {len(a.sentences.refs):,} | {name} | {len(t.articles):,} | "
                  f"{len(t.events):,} | {statistics.median(took):.2f} |", flush=True)


if __name__ == "__main__":
    main()
