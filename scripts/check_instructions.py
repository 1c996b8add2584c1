"""Count the sentences ``assistant.answer.instructions.addresses_reader`` flags in ordinary prose.

    python scripts/check_instructions.py corpus ../shared/bench/xquad_vi_full [more folders or .json files]

Folders are read as corpus folders (articles) or as benchmark folders (contexts.jsonl and
questions.jsonl); a .json file as SQuAD (contexts and questions). Every flagged sentence is
printed: on prose that speaks to no model the count should be 0.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from assistant.answer.instructions import addresses_reader
from assistant.ingest.loading import load_corpus
from assistant.vietnamese import sentence_spans


def texts_of(source: Path) -> list[str]:
    if source.suffix == ".json":
        data = json.loads(source.read_text(encoding="utf-8"))["data"]
        paras = [p for art in data for p in art["paragraphs"]]
        return [p["context"] for p in paras] + [q["question"] for p in paras for q in p["qas"]]
    if (source / "contexts.jsonl").is_file():
        rows = [json.loads(line) for f in ("contexts.jsonl", "questions.jsonl")
                for line in (source / f).read_text(encoding="utf-8").splitlines() if line.strip()]
        return [r.get("text") or r.get("context") or r.get("question") or "" for r in rows]
    return [d.text for d in load_corpus(source)]


def main(sources: list[str]) -> None:
    total = flagged = 0
    for source in map(Path, sources):
        n = f = 0
        for text in texts_of(source):
            for start, end in sentence_spans(text):
                n += 1
                if addresses_reader(text[start:end]):
                    f += 1
                    print(f"  {source}: {text[start:end][:160]}")
        print(f"{source}: {f} of {n} sentences flagged")
        total, flagged = total + n, flagged + f
    print(f"total: {flagged} of {total} sentences flagged")


if __name__ == "__main__":
    main(sys.argv[1:] or ["corpus"])
