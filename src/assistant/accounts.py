"""A department's accounts: users, roles, password hashes and API keys in one SQLite file.

``data_dir/assistant.db`` (setting ``data_dir``, ``ASSISTANT_DATA_DIR``); a backup is a copy
of that file. Passwords are hashed with scrypt (hashlib, no dependency; n=2**14, r=8, p=1, a
16-byte salt per password), compared in constant time. An API key is shown once, at creation;
the database keeps only its SHA-256 (a key is 32 random bytes, so a fast hash is enough).

Roles, each including the one before: ``reader`` asks and exports briefings, ``editor`` also
adds documents, ``admin`` also manages users.

Deliberately not here: sessions, logins and rate limits (the server), conversations.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROLES = ("reader", "editor", "admin")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_NAME_MAX = 64
_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('reader', 'editor', 'admin')),
    password TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    digest TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    created REAL NOT NULL
);
"""


class AccountError(ValueError):
    """A request about accounts that cannot be done (unknown user, bad name, weak password)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created: float
    keys: int = 0

    def may(self, role: str) -> bool:
        """Whether this user has ``role`` or a stronger one."""
        return ROLES.index(self.role) >= ROLES.index(role)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), dklen=len(digest) // 2,
                             n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def _key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class Accounts:
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "assistant.db"

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30)
        try:
            con.execute("PRAGMA foreign_keys = ON")
            con.executescript(_SCHEMA)
            with con:  # one transaction
                yield con
        finally:
            con.close()

    # -- users ---------------------------------------------------------------------------
    @staticmethod
    def _check_name(name: str) -> str:
        name = name.strip()
        if not name or len(name) > _NAME_MAX or any(c.isspace() or not c.isprintable() for c in name):
            raise AccountError(f"a user name is 1-{_NAME_MAX} printable characters without spaces, not {name!r:.80}")
        return name

    @staticmethod
    def _check_password(password: str) -> None:
        if len(password) < 8:
            raise AccountError("a password has at least 8 characters")

    def add(self, name: str, password: str, role: str = "reader") -> User:
        name = self._check_name(name)
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        self._check_password(password)
        now = time.time()
        with self._db() as con:
            try:
                con.execute("INSERT INTO users VALUES (?, ?, ?, ?)", (name, role, hash_password(password), now))
            except sqlite3.IntegrityError as exc:
                raise AccountError(f"user {name!r} already exists") from exc
        return User(name, role, now)

    def remove(self, name: str) -> None:
        with self._db() as con:
            if con.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 0:
                raise AccountError(f"no user {name!r}")

    def set_password(self, name: str, password: str) -> None:
        self._check_password(password)
        with self._db() as con:
            if con.execute("UPDATE users SET password = ? WHERE name = ?", (hash_password(password), name)).rowcount == 0:
                raise AccountError(f"no user {name!r}")

    def list(self) -> list[User]:
        if not self.path.exists():  # listing creates nothing
            return []
        with self._db() as con:
            rows = con.execute("SELECT u.name, u.role, u.created, COUNT(k.digest) FROM users u "
                               "LEFT JOIN api_keys k ON k.user = u.name GROUP BY u.name ORDER BY u.name").fetchall()
        return [User(*row) for row in rows]

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with self._db() as con:
            return int(con.execute("SELECT COUNT(*) FROM users").fetchone()[0])

    def login(self, name: str, password: str) -> User | None:
        with self._db() as con:
            row = con.execute("SELECT name, role, created, password FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            check_password(password, hash_password("timing"))  # subtle: as slow for an unknown name
            return None
        return User(row[0], row[1], row[2]) if check_password(password, row[3]) else None

    # -- API keys ------------------------------------------------------------------------
    def new_key(self, name: str) -> str:
        key = "ak-" + secrets.token_urlsafe(32)
        with self._db() as con:
            if con.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone() is None:
                raise AccountError(f"no user {name!r}")
            con.execute("INSERT INTO api_keys VALUES (?, ?, ?)", (_key_digest(key), name, time.time()))
        return key

    def user_for_key(self, key: str) -> User | None:
        with self._db() as con:
            row = con.execute("SELECT u.name, u.role, u.created FROM api_keys k JOIN users u ON u.name = k.user "
                              "WHERE k.digest = ?", (_key_digest(key),)).fetchone()
        return User(*row) if row else None
