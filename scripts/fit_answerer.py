"""Fit the extractive answerer's decision model (src/assistant/data/answerer.json) on data.

Two stages, so the fit can be reproduced without re-running the pipeline:

1. ``collect``: run the answerer's own steps (retrieval, candidates, signals) over
   * XQuAD-vi (``../shared/bench/xquad_vi_full``) with the answer-bench construction: the
     articles (titles) are dealt into ``--rounds`` groups; in each round one group is held
     out of the corpus (its questions become unanswerable) and every question is judged;
   * the development fixtures over the seed corpus,
   and write every candidate's signals and labels to ``eval/answerer_features.npz``.
   A candidate is positive when it holds a gold answer (XQuAD: the gold span in a sentence
   of the gold passage; fixtures: an evidence quote or accept string).
2. ``fit``: split XQuAD's articles (seeded) into a fitting part and a checking part, fit the
   logistic model on the fitting part (plus the fixtures), choose the answer threshold that
   best separates answerable from unanswerable questions there (Youden's J), and report the
   same figures on the checking articles, which the fit never saw.

Usage::

    python scripts/fit_answerer.py collect      # ~10 min on 2 cores; caches indexes
    python scripts/fit_answerer.py fit          # seconds; writes answerer.json
    python scripts/fit_answerer.py fit --check  # refit and compare with answerer.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FEATURES_FILE = ROOT / "eval" / "answerer_features.npz"
PARAMS = ROOT / "src" / "assistant" / "data" / "answerer.json"
FIXTURE_WEIGHT = 10.0  # a fixture question counts as much as this many XQuAD questions
L2 = 1.0
# what quoting one more sentence of the best sentence's passage costs a reader, as a share of a
# missed answer: a product choice, not a fitted number (the passage is on screen beside the answer
# anyway, so a sentence more of it is cheap); the extra-sentence threshold is fitted against it.
# At 0.1 the fit picks 0.2 and xquad_vi containment is 0.843; at 0.05 it picks 0.1 and 0.865.
EXTRA_COST = 0.05
KEEP = 16  # candidates kept per question: the best by e5 similarity and by coverage


def _keep(cands) -> list:
    by_dense = sorted(cands, key=lambda c: -c.features["dense"])[:KEEP]
    by_cov = sorted(cands, key=lambda c: -c.features["coverage"])[:KEEP]
    return list({id(c): c for c in by_dense + by_cov}.values())


def _english_questions(squad_json: Path, bench: Path) -> dict[str, str]:
    """XQuAD's English originals (xquad.en.json of google-deepmind/xquad, CC BY-SA 4.0), keyed by
    the bench's question ids through their SQuAD ``source_id``: an English question asked of the
    Vietnamese articles, so the decisions are fitted for the cross-lingual case too."""
    data = json.loads(squad_json.read_text(encoding="utf-8"))
    by_source = {qa["id"]: qa["question"] for art in data["data"] for p in art["paragraphs"] for qa in p["qas"]}
    rows = [json.loads(line) for line in (bench / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return {r["id"]: by_source[r["source_id"]] for r in rows if r.get("source_id") in by_source}


def _judge(assistant, k: int):
    """The answerer's judgement of a question, through the pipeline's own understand and retrieve."""
    def judge(text: str):
        query = assistant.embedded(assistant.understand(text))
        return assistant.answerer.judge(query, assistant.retrieve(query, assistant.answerer.wants(k)))

    return judge


def collect(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from assistant.answer.decision import FEATURES
    from assistant.config import load_settings
    from assistant.evaluation.answers import corpus_settings
    from assistant.evaluation.benchdata import contains_gold, load_answer_bench
    from assistant.evaluation.fixtures import load_fixtures
    from assistant.evaluation.scoring import contains_accept, quote_supports
    from assistant.evaluation.systems import CachingEmbeddings
    from assistant.ingest.embedding import make_embedder
    from assistant.pipeline import Assistant, build_index

    settings = load_settings(cwd=ROOT)
    embedder = make_embedder(settings.embedder)
    rows: dict[str, list] = defaultdict(list)

    def add(source: str, qid: str, group: str, answerable: bool, judged, positive, round_: int = 0) -> None:
        qid = f"{qid}:r{round_}"  # the same question is asked once per round
        english = judged.analysis.english
        for c in _keep(judged.candidates):
            rows["x"].append([c.features[f] for f in FEATURES])
            rows["y"].append(bool(answerable and positive(c)))
            rows["rule"].append(c.ruled_out)
            rows["passage"].append(c.hit.chunk.chunk_id)
            rows["english"].append(english)
            rows["question"].append(f"{source}:{qid}:{group}")
            rows["answerable"].append(answerable)
            rows["source"].append(source)
            rows["group"].append(group)
        if not judged.candidates:  # still a question: it counts when thresholds are chosen
            rows["x"].append([0.0] * len(FEATURES))
            rows["y"].append(False)
            rows["rule"].append("no candidate")
            rows["passage"].append("")
            rows["english"].append(english)
            rows["question"].append(f"{source}:{qid}:{group}")
            rows["answerable"].append(answerable)
            rows["source"].append(source)
            rows["group"].append(group)

    contexts, questions = load_answer_bench(args.bench)
    english = _english_questions(args.english, args.bench) if args.english else {}
    titles = sorted({q.title for q in questions} | {str(c.get("title")) for c in contexts})
    rng = random.Random(args.seed)
    rng.shuffle(titles)
    groups = [titles[r :: args.rounds] for r in range(args.rounds)]
    for r, held in enumerate(groups):
        share = len(held) / len(titles)
        # the held-out groups partition the titles: each question is unanswerable in one round
        kept = [c for c in contexts if str(c.get("title")) not in held]
        rsettings = corpus_settings(settings, f"{args.bench.resolve().name}-round{r}", kept, args.cache)
        build_index(rsettings, CachingEmbeddings(embedder, args.cache))
        judge = _judge(Assistant.open(rsettings, embedder), settings.k)
        for q in tqdm(questions, desc=f"round {r + 1}/{args.rounds} ({share:.0%} held out)", file=sys.stderr):
            judged = judge(q.question)

            def positive(c, q=q) -> bool:
                return c.doc.doc_id == q.context_id and contains_gold(c.text, q.answers)

            add("xquad", q.id, q.title, q.title not in held, judged, positive, r)
            if q.id in english and int(q.id[-5:]) % 2 == 0:  # the same question in English, for half
                add("xquad_en", q.id, q.title, q.title not in held, judge(english[q.id]),
                    positive, r)

    items = load_fixtures(args.fixtures)
    build_index(settings, embedder)
    judge = _judge(Assistant.open(settings, embedder), settings.k)
    for item in tqdm(items, desc="fixtures", file=sys.stderr):
        judged = judge(item.question)
        answerable = item.answer != "UNANSWERABLE" and item.type not in ("unanswerable", "boilerplate_trap")

        def positive(c, item=item) -> bool:
            return any(quote_supports(c.text, ev) for ev in item.evidence) or any(
                contains_accept(c.text, a) for a in item.accept)

        add("fixtures", item.id, "fixtures", answerable, judged, positive)

    FEATURES_FILE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        FEATURES_FILE, x=np.asarray(rows["x"], dtype=np.float32), y=np.asarray(rows["y"]),
        rule=np.asarray(rows["rule"]), passage=np.asarray(rows["passage"]), english=np.asarray(rows["english"]),
        question=np.asarray(rows["question"]),
        answerable=np.asarray(rows["answerable"]), source=np.asarray(rows["source"]),
        group=np.asarray(rows["group"]), features=np.asarray(FEATURES),
    )
    print(f"{FEATURES_FILE}: {len(rows['y'])} candidates of {len(set(rows['question']))} questions", file=sys.stderr)


# --- fit ------------------------------------------------------------------------------------------
def best_rows(prob: np.ndarray, data: dict, mask: np.ndarray) -> dict[str, int | None]:
    """Per question, the row of its best passing candidate by the sentence model (None: none passes)."""
    best: dict[str, int | None] = {}
    for i in np.flatnonzero(mask):
        q = data["question"][i]
        best.setdefault(q, None)
        if not data["ruled_out"][i] and (best[q] is None or prob[i] > prob[best[q]]):
            best[q] = int(i)
    return best


def answer_table(data: dict, best: dict[str, int | None], logit: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Question-level rows: the best sentence's signals and the sentence model's logit."""
    qs = sorted(best)
    x = np.zeros((len(qs), data["x"].shape[1] + 1))
    for r, q in enumerate(qs):
        i = best[q]
        if i is not None:
            x[r, :-1], x[r, -1] = data["x"][i], logit[i]
    return qs, x


def question_table(p_answer: dict[str, float], data: dict, best: dict[str, int | None]
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per question: P(answerable) (-1 when no candidate passes), answerable, and whether the best
    sentence holds the answer."""
    first = {}
    for i, q in enumerate(data["question"]):
        first.setdefault(q, i)
    qs = sorted(best)
    p = np.array([p_answer[q] if best[q] is not None else -1.0 for q in qs])
    answerable = np.array([bool(data["answerable"][first[q]]) for q in qs])
    correct = np.array([best[q] is not None and bool(data["y"][best[q]]) for q in qs])
    return p, answerable, correct


def extra_threshold(logit: np.ndarray, data: dict, mask: np.ndarray, max_extra: int = 2) -> float:
    """The sentence probability above which further sentences of the best sentence's passage are
    quoted beside it (as the answerer does): the value that maximises containment (some quoted
    sentence holds the answer) minus EXTRA_COST per extra sentence quoted, on the fitting questions."""
    prob = 1.0 / (1.0 + np.exp(-np.clip(logit, -30, 30)))
    per_q: dict[str, list[tuple[float, bool, str]]] = defaultdict(list)
    for i in np.flatnonzero(mask & ~data["ruled_out"]):
        per_q[data["question"][i]].append((float(prob[i]), bool(data["y"][i]), str(data["passage"][i])))
    ranked = []
    for c in per_q.values():
        c = sorted(c, key=lambda z: -z[0])
        ranked.append([c[0]] + [z for z in c[1:] if z[2] == c[0][2]])
    best, best_t = -1.0, 0.5
    for t in np.round(np.arange(0.05, 0.96, 0.05), 2):
        gain = 0.0
        for c in ranked:
            chosen = [c[0]] + [z for z in c[1 : 1 + max_extra] if z[0] >= t]
            gain += any(z[1] for z in chosen) - EXTRA_COST * (len(chosen) - 1)
        if gain > best:
            best, best_t = gain, float(t)
    return best_t


def rule_costs(data: dict) -> dict[str, float]:
    """For each rule, the share of answerable XQuAD questions (all rounds) whose every sentence
    holding the gold answer it rules out: what the rule costs where it should not fire."""
    gold: dict[str, list[str]] = defaultdict(list)
    for i in np.flatnonzero(np.char.startswith(data["source"].astype(str), "xquad") & data["answerable"] & data["y"]):
        gold[data["question"][i]].append(str(data["rule"][i]))
    n = len(gold) or 1
    rules = sorted({r for rs in gold.values() for r in rs if r})
    return {r: round(sum(all(x == r for x in rs) for rs in gold.values()) / n, 4) for r in rules} | {
        "any": round(sum(all(x for x in rs) for rs in gold.values()) / n, 4), "questions": len(gold)}


def rates(p: np.ndarray, answerable: np.ndarray, correct: np.ndarray, tau: float) -> dict[str, float]:
    answered = p >= tau
    return {
        "answerable_refused": float(np.mean(~answered[answerable])) if answerable.any() else float("nan"),
        "unanswerable_refused": float(np.mean(~answered[~answerable])) if (~answerable).any() else float("nan"),
        "best_sentence_holds_answer": float(np.mean(correct[answerable])) if answerable.any() else float("nan"),
        "auc": auc(p, answerable),
        "questions": len(p),
    }


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    pos, neg = scores[labels], scores[~labels]
    if not len(pos) or not len(neg):
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def fit(args: argparse.Namespace) -> dict:
    from assistant.answer.decision import FEATURES, Decisions

    raw = np.load(args.features, allow_pickle=False)
    data = {k: raw[k] for k in raw.files}
    data["ruled_out"] = data["rule"] != ""
    if tuple(str(f) for f in data["features"]) != FEATURES:
        sys.exit(f"{args.features} was collected for other features; run 'collect' again")
    titles = sorted({g for g, s in zip(data["group"], data["source"]) if s.startswith("xquad")})
    rng = random.Random(args.seed)
    rng.shuffle(titles)
    fit_titles = set(titles[: round(args.fit_share * len(titles))])
    # asked in English: XQuAD's English originals (also the 1% the router takes for Vietnamese,
    # "Temüjin" has diacritics), and fixtures the router reads as English
    english = (data["source"] == "xquad_en") | data["english"]
    models, reports = {}, {}
    for name, rows in (("vietnamese", ~english), ("english", english)):
        models[name], reports[name] = fit_language(data, rows, fit_titles)
    meta = {
        "fitted_by": "scripts/fit_answerer.py fit",
        "data": {"bench": "xquad_vi_full (answer-bench construction, whole titles held out), and the English "
                          "originals of half its questions (xquad.en.json, google-deepmind/xquad 7d30520)",
                 "fixtures": "seed_qa_dev.jsonl", "fixture_weight": FIXTURE_WEIGHT, "l2": L2,
                 "extra_cost": EXTRA_COST,
                 "seed": args.seed, "fit_titles": len(fit_titles), "check_titles": len(titles) - len(fit_titles)},
        "rules_cost": rule_costs(data),
        "measured": reports,
    }
    return Decisions(models["vietnamese"], models["english"], meta).to_dict()


def fit_language(data: dict, rows: np.ndarray, fit_titles: set[str]):
    """The sentence model, the question-level model and both thresholds, on ``rows``."""
    from assistant.answer.decision import ANSWER_FEATURES, FEATURES, DecisionModel, fit_logistic

    is_x = np.char.startswith(data["source"].astype(str), "xquad")
    fit_mask = rows & ((is_x & np.isin(data["group"], list(fit_titles))) | ~is_x)
    check_mask = rows & is_x & ~np.isin(data["group"], list(fit_titles))
    usable = fit_mask & ~data["ruled_out"]
    weights = np.where(is_x, 1.0, FIXTURE_WEIGHT)[usable]
    x_all = data["x"].astype(np.float64)
    w, b = fit_logistic(x_all[usable], data["y"][usable], l2=L2, weights=weights)
    logit = x_all @ w + b
    # the question-level model: reads the best sentence of each question (by the model above)
    best = best_rows(logit, data, rows)
    qs, xq = answer_table(data, best, logit)
    first: dict[str, int] = {}
    for i, q in enumerate(data["question"]):
        first.setdefault(q, i)
    q_x = np.array([bool(is_x[first[q]]) for q in qs])
    q_group = np.array([data["group"][first[q]] for q in qs])
    q_answerable = np.array([bool(data["answerable"][first[q]]) for q in qs])
    q_fit = (q_x & np.isin(q_group, list(fit_titles))) | ~q_x
    train = q_fit & np.array([best[q] is not None for q in qs])
    wa, ba = fit_logistic(xq[train], q_answerable[train], l2=L2, weights=np.where(q_x, 1.0, FIXTURE_WEIGHT)[train])
    p_answer = dict(zip(qs, 1.0 / (1.0 + np.exp(-np.clip(xq @ wa + ba, -30, 30)))))

    def table(mask: np.ndarray):
        return question_table(p_answer, data, {q: best[q] for q in {data["question"][i] for i in np.flatnonzero(mask)}})

    # the answer threshold best separating answerable from unanswerable (Youden's J), fitting titles
    p_fit, a_fit, c_fit = table(fit_mask & is_x)
    candidates = np.unique(p_fit)
    j = [np.mean(p_fit[a_fit] >= t) + np.mean(p_fit[~a_fit] < t) for t in candidates]
    tau = float(candidates[int(np.argmax(j))])
    extra = extra_threshold(logit, data, fit_mask & is_x & data["answerable"])
    report = {"fit": rates(p_fit, a_fit, c_fit, tau), "check": rates(*table(check_mask), tau)}
    if (rows & ~is_x).any():
        report["fixtures"] = rates(*table(rows & ~is_x), tau)
    model = DecisionModel(tuple(float(x) for x in w), b, tuple(float(x) for x in wa), ba, tau, extra, FEATURES,
                          ANSWER_FEATURES)
    return model, report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="stage", required=True)
    c = sub.add_parser("collect", help="run the pipeline and write the feature table")
    c.add_argument("--bench", type=Path, default=SHARED / "bench" / "xquad_vi_full")
    c.add_argument("--fixtures", type=Path, default=SHARED / "eval" / "seed_qa_dev.jsonl")
    c.add_argument("--rounds", type=int, default=5)
    c.add_argument("--english", type=Path,
                   help="xquad.en.json of github:google-deepmind/xquad (commit 7d30520): also ask the English "
                        "originals of half the questions")
    c.add_argument("--seed", type=int, default=42)
    c.add_argument("--cache", type=Path, default=Path("/tmp/assistant-eval-cache"))
    f = sub.add_parser("fit", help="fit the model on the feature table")
    f.add_argument("--features", type=Path, default=FEATURES_FILE)
    f.add_argument("--fit-share", type=float, default=0.6, help="share of XQuAD articles to fit on")
    f.add_argument("--seed", type=int, default=42)
    f.add_argument("--out", type=Path, default=PARAMS)
    f.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = ap.parse_args()
    if args.stage == "collect":
        collect(args)
        return
    params = fit(args)
    print(json.dumps({"rules_cost": params["rules_cost"], **params["measured"]}, indent=2), file=sys.stderr)
    if args.check:
        old = json.loads(args.out.read_text(encoding="utf-8"))
        same = all(
            len(old[lang][key]) == len(params[lang][key])
            and all(abs(a - b) < 1e-4 for a, b in zip(old[lang][key], params[lang][key]))
            for lang in ("vietnamese", "english") for key in ("weights", "answer_weights")
        ) and all(abs(old[lang][k] - params[lang][k]) < 1e-4 for lang in ("vietnamese", "english")
                  for k in ("bias", "answer_bias", "answer_threshold", "extra_threshold"))
        print("reproduced" if same else "DIFFERENT", file=sys.stderr)
        sys.exit(0 if same else 1)
    args.out.write_text(json.dumps(params, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
