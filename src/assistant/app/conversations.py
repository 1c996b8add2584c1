"""Saved conversations: each user's questions, answers, citations and notices, server-side.

They live in the accounts database (``data_dir/assistant.db`` or ``database_url``; tables
``conversations`` and ``turns``, made by the migrations), one row per Turn as the JSON of :meth:`Turn.to_dict`. A stored citation carries its
own quote, title, date and offsets, so a conversation reopens with every [n] working after a
restart or a rebuilt index; :func:`~assistant.app.chatview.citation_state` then says whether
a quoted article changed or is gone.

Every method takes the user: a conversation id of another user reads as "no such
conversation", never as theirs. Removing a user removes their conversations (foreign key).
"""

from __future__ import annotations

import builtins
import json
import secrets
import time
from dataclasses import dataclass

from .accounts import Accounts
from .chatview import Turn, restore

TITLE_CHARS = 80


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    created: float
    updated: float
    turns: int = 0


def title_of(turn: Turn) -> str:
    """A conversation's title: its first question, on one line, cut at a word."""
    text = " ".join((turn.asked or turn.question).split())
    if len(text) <= TITLE_CHARS:
        return text or "Hội thoại"
    cut = text[:TITLE_CHARS]
    return (cut[: cut.rfind(" ")] if " " in cut else cut) + " …"


class Conversations:
    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts

    def list(self, user: str) -> builtins.list[Conversation]:
        """``user``'s conversations, the most recently used first."""
        with self.accounts.db() as con:
            rows = con.execute(
                "SELECT c.id, c.title, c.created, c.updated, COUNT(t.seq) FROM conversations c "
                "LEFT JOIN turns t ON t.conversation = c.id WHERE c.\"user\" = ? GROUP BY c.id, c.title, c.created, c.updated "
                "ORDER BY c.updated DESC, c.created DESC", (user,)).fetchall()
        return [Conversation(*r) for r in rows]

    def add_turn(self, user: str, conversation: str | None, turn: Turn) -> str:
        """Append ``turn``; a conversation that is None (or not ``user``'s) starts a new one. Its id."""
        now = time.time()
        data = json.dumps(turn.to_dict(), ensure_ascii=False)
        with self.accounts.db() as con:
            owned = conversation and con.execute("SELECT 1 FROM conversations WHERE id = ? AND \"user\" = ?",
                                                 (conversation, user)).fetchone()
            if not owned or conversation is None:
                conversation = secrets.token_hex(8)
                con.execute('INSERT INTO conversations (id, "user", title, created, updated) VALUES (?, ?, ?, ?, ?)',
                            (conversation, user, title_of(turn), now, now))
            seq = con.execute("SELECT COALESCE(MAX(seq), -1) + 1 FROM turns WHERE conversation = ?",
                              (conversation,)).fetchone()[0]
            con.execute("INSERT INTO turns (conversation, seq, data) VALUES (?, ?, ?)", (conversation, seq, data))
            con.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation))
        return conversation

    def turns(self, user: str, conversation: str | None) -> builtins.list[Turn]:
        """The conversation's turns in order; [] if it is not ``user``'s."""
        if not conversation:
            return []
        with self.accounts.db() as con:
            rows = con.execute("SELECT t.data FROM turns t JOIN conversations c ON c.id = t.conversation "
                               "WHERE c.id = ? AND c.\"user\" = ? ORDER BY t.seq", (conversation, user)).fetchall()
        data = []
        for (raw,) in rows:
            try:
                data.append(json.loads(raw))
            except ValueError:
                continue
        return restore(data)

    def owns(self, user: str, conversation: str | None) -> bool:
        if not conversation:
            return False
        with self.accounts.db() as con:
            return con.execute("SELECT 1 FROM conversations WHERE id = ? AND \"user\" = ?",
                               (conversation, user)).fetchone() is not None

    def rename(self, user: str, conversation: str, title: str) -> bool:
        title = " ".join(title.split())[:TITLE_CHARS * 2]
        if not title:
            return False
        with self.accounts.db() as con:
            return con.execute("UPDATE conversations SET title = ? WHERE id = ? AND \"user\" = ?",
                               (title, conversation, user)).rowcount > 0

    def delete(self, user: str, conversation: str) -> bool:
        with self.accounts.db() as con:
            return con.execute("DELETE FROM conversations WHERE id = ? AND \"user\" = ?",
                               (conversation, user)).rowcount > 0
