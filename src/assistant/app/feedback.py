"""Feedback that feeds the evaluation: 👍/👎 on answers, kept with the answer as shown, and
made into QA fixtures ``assistant eval`` runs (``assistant feedback export``).

An analyst who sees a wrong answer says so where they saw it, with what was wrong: the words a
right answer holds and the article that holds them, or that the articles do not cover it. Each
judgement becomes a fixture in the format of ``evaluation/fixtures.py``:

- 👍 on an answer: an answerable item; the short answer (else the first quoted sentence) is
  what a right answer contains, the cited articles and sentences its sources and evidence;
- 👍 on a refusal, or 👎 saying the articles do not cover it: an unanswerable item;
- 👎 with the right words and article: an answerable item whose evidence is the sentence of
  that article holding those words (found in the index, so the fixture passes ``eval --check``);
- 👎 with neither: kept and listed for the admin, but no fixture can be made of it.

The rows live in the accounts database (table ``feedback``, migration 0003).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..documents import Document
from ..vietnamese import fold, sentence_spans
from .accounts import Accounts
from .chatview import Turn, restore

_SHORT = re.compile(r"([^\n]{1,120}?) \[\d+\]\n\n")
REFUSAL_PHRASES = ["Không tìm thấy thông tin", "không có thông tin"]
NOTE_CHARS = 2000


@dataclass(frozen=True)
class Judgement:
    id: int
    at: float
    user: str
    conversation: str
    turn: Turn
    verdict: str  # "up" or "down"
    note: str = ""
    correct: str = ""
    source: str = ""  # a doc_id
    not_covered: bool = False


class Feedback:
    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts

    def judge(self, user: str, turn: Turn, verdict: str, conversation: str | None = None) -> int:
        """Record 👍 ("up") or 👎 ("down") on ``turn``; its id, to add the details to."""
        if verdict not in ("up", "down"):
            raise ValueError(f"verdict must be up or down, not {verdict!r}")
        data = json.dumps(turn.to_dict(), ensure_ascii=False)
        with self.accounts.db() as con:
            row = con.execute(
                'INSERT INTO feedback (at, "user", conversation, turn, verdict, data) VALUES (?, ?, ?, ?, ?, ?) '
                "RETURNING id", (time.time(), user, conversation or "", turn.id, verdict, data)).fetchone()
        return int(row[0])

    def detail(self, user: str, judgement: int, note: str = "", correct: str = "", source: str = "",
               not_covered: bool = False) -> bool:
        """Add what was wrong to ``user``'s own judgement; False if there is no such judgement of theirs."""
        with self.accounts.db() as con:
            res = con.execute(
                'UPDATE feedback SET note = ?, correct = ?, source = ?, not_covered = ? WHERE id = ? AND "user" = ?',
                (note[:NOTE_CHARS], correct[:NOTE_CHARS], source[:500], bool(not_covered), judgement, user))
        return res.rowcount > 0

    def list(self, verdict: str | None = None, limit: int = 10_000, since: float = 0.0) -> list[Judgement]:
        """The newest judgements first (only ``verdict``'s, when given)."""
        if not self.accounts.database.exists():
            return []
        sql = ('SELECT id, at, "user", conversation, verdict, note, correct, source, not_covered, data '
               "FROM feedback WHERE at >= ?")
        params: list[Any] = [since]
        if verdict:
            sql += " AND verdict = ?"
            params.append(verdict)
        sql += " ORDER BY at DESC, id DESC LIMIT ?"
        params.append(limit)
        with self.accounts.db() as con:
            rows = con.execute(sql, params).fetchall()
        out = []
        for r in rows:
            try:
                turns = restore([json.loads(r[9])])
            except ValueError:
                turns = []
            if turns:
                out.append(Judgement(int(r[0]), float(r[1]), r[2], r[3], turns[0], r[4], r[5], r[6], r[7],
                                     bool(r[8])))
        return out


# --- fixtures ----------------------------------------------------------------------------------
def _file(doc: Document | None, doc_id: str) -> str:
    return Path(doc.path).name if doc is not None and doc.path else doc_id


def _holding(doc: Document, words: str) -> str:
    """The sentence of ``doc`` holding ``words`` (diacritics and case aside), or ""."""
    want = " ".join(re.findall(r"\w+", fold(words).lower()))
    if not want:
        return ""
    for start, end in sentence_spans(doc.text):
        sentence = doc.text[start:end]
        if want in " ".join(re.findall(r"\w+", fold(sentence).lower())):
            return sentence.strip()
    return ""


def to_fixture(j: Judgement, documents: Mapping[str, Document]) -> tuple[dict[str, Any] | None, str]:
    """The QA fixture ``j`` makes, or None and why not (in Vietnamese)."""
    t = j.turn
    question = t.question or t.asked
    by = f"(góp ý của {j.user or 'người dùng'}, {time.strftime('%d/%m/%Y', time.localtime(j.at))})"
    base = {"id": f"fb-{j.id}", "question": question, "difficulty": "medium",
            "note": " ".join(x for x in (j.note, by) if x)}
    unanswerable = {**base, "answer": "UNANSWERABLE", "accept": REFUSAL_PHRASES, "sources": [], "evidence": [],
                    "type": "unanswerable"}
    if t.notice:
        return None, "không phải câu trả lời (một thông báo)"
    if j.verdict == "up":
        if t.refused:
            return unanswerable, ""
        if not t.citations:
            return None, "câu trả lời không có trích dẫn"
        short = _SHORT.match(t.body)  # "17/12/1996 [1]" before the quotes
        accept = short.group(1).strip() if short else t.citations[0].quote
        docs = list(dict.fromkeys(c.doc_id for c in t.citations))
        return {**base, "answer": accept, "accept": [accept],
                "sources": [_file(documents.get(d), d) for d in docs],
                "evidence": list(dict.fromkeys(c.quote for c in t.citations)), "type": "factoid"}, ""
    if j.not_covered:
        return unanswerable, ""
    if not (j.correct.strip() and j.source):
        return None, "chưa ghi câu trả lời đúng và bài viết chứa nó"
    doc = documents.get(j.source)
    if doc is None:
        return None, f"bài viết {j.source} không còn trong kho"
    evidence = _holding(doc, j.correct)
    if not evidence:
        return None, f"không thấy «{j.correct.strip()}» trong bài {j.source}"
    return {**base, "answer": j.correct.strip(), "accept": [j.correct.strip()], "sources": [_file(doc, j.source)],
            "evidence": [evidence], "type": "factoid"}, ""


def fixtures(judgements: Iterable[Judgement], documents: Mapping[str, Document]
             ) -> tuple[list[dict[str, Any]], list[tuple[Judgement, str]]]:
    """The fixtures of ``judgements`` (the newest judgement of a question wins), and those left out with why."""
    made: dict[str, dict[str, Any]] = {}
    left: list[tuple[Judgement, str]] = []
    for j in judgements:  # newest first
        item, why = to_fixture(j, documents)
        if item is None:
            left.append((j, why))
        elif fold(item["question"]).lower() not in made:
            made[fold(item["question"]).lower()] = item
    return list(made.values())[::-1], left
