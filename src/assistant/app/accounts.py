"""A department's accounts: users, roles, password hashes and API keys in one SQLite file.

``data_dir/assistant.db`` (setting ``data_dir``, ``ASSISTANT_DATA_DIR``); a backup is a copy
of that file. Passwords are hashed with scrypt (hashlib, no dependency; n=2**14, r=8, p=1, a
16-byte salt per password), compared in constant time. An API key is shown once, at creation;
the database keeps only its SHA-256 (a key is 32 random bytes, so a fast hash is enough).

Roles, each including the one before: ``reader`` asks and exports briefings, ``editor`` also
adds documents, ``admin`` also manages users.

Logins are rate-limited per user name: after ``MAX_FAILURES`` wrong passwords within
``LOCKOUT`` seconds, every attempt (a right password too) is refused until ``LOCKOUT`` seconds
after the last failure; likewise per client address after ``MAX_CLIENT_FAILURES``. The counts
live in the database, so a restart does not reset them.
A browser session is a random token kept as a digest, valid for ``session_hours``; changing a
password or removing the user ends their sessions.

Conversations live in the same file: ``conversations.py`` adds its tables with :meth:`Accounts.add_schema`.
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
CREATE TABLE IF NOT EXISTS sessions (
    digest TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    created REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    name TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_name ON login_failures(name);
"""
MAX_FAILURES = 5  # per user name
MAX_CLIENT_FAILURES = 20  # per client address, whatever names it tries
LOCKOUT = 15 * 60.0  # seconds


class AccountError(ValueError):
    """A request about accounts that cannot be done (unknown user, bad name, weak password).

    ``vi`` says the same in Vietnamese, for the chat's user management.
    """

    def __init__(self, message: str, vi: str = "") -> None:
        super().__init__(message)
        self.vi = vi or message


class LoginThrottled(AccountError):
    """Too many wrong passwords for this name: refused for ``retry_after`` more seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after:.0f} s",
                         f"Đăng nhập sai quá nhiều lần; thử lại sau {retry_after:.0f} giây.")
        self.retry_after = retry_after


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
        self._schema = _SCHEMA
        self._ready: Path | None = None  # the file whose tables exist (checked once per object)

    def add_schema(self, schema: str) -> None:
        """Create ``schema``'s tables too (``CREATE … IF NOT EXISTS``), after the accounts' own."""
        if schema not in self._schema:
            self._schema += schema
            self._ready = None

    @contextmanager
    def db(self) -> Iterator[sqlite3.Connection]:
        """One transaction on the database (created with its tables on first use)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30)
        try:
            con.execute("PRAGMA foreign_keys = ON")
            if self._ready != self.path or not self.path.stat().st_size:
                con.executescript(self._schema)
                self._ready = self.path
            with con:  # one transaction
                yield con
        finally:
            con.close()

    # -- users ---------------------------------------------------------------------------
    @staticmethod
    def _check_name(name: str) -> str:
        name = name.strip()
        if not name or len(name) > _NAME_MAX or any(c.isspace() or not c.isprintable() for c in name):
            raise AccountError(f"a user name is 1-{_NAME_MAX} printable characters without spaces, not {name!r:.80}",
                               f"Tên đăng nhập gồm 1-{_NAME_MAX} ký tự, không có dấu cách.")
        return name

    @staticmethod
    def _check_password(password: str) -> None:
        if len(password) < 8:
            raise AccountError("a password has at least 8 characters", "Mật khẩu cần ít nhất 8 ký tự.")

    def add(self, name: str, password: str, role: str = "reader") -> User:
        name = self._check_name(name)
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}", "Vai trò không hợp lệ.")
        self._check_password(password)
        now = time.time()
        with self.db() as con:
            try:
                con.execute("INSERT INTO users VALUES (?, ?, ?, ?)", (name, role, hash_password(password), now))
            except sqlite3.IntegrityError as exc:
                raise AccountError(f"user {name!r} already exists", f"Đã có người dùng «{name}».") from exc
        return User(name, role, now)

    def remove(self, name: str) -> None:
        with self.db() as con:
            if con.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 0:
                raise AccountError(f"no user {name!r}", f"Không có người dùng «{name}».")

    def set_role(self, name: str, role: str) -> None:
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}", "Vai trò không hợp lệ.")
        with self.db() as con:
            if con.execute("UPDATE users SET role = ? WHERE name = ?", (role, name)).rowcount == 0:
                raise AccountError(f"no user {name!r}", f"Không có người dùng «{name}».")

    def set_password(self, name: str, password: str) -> None:
        self._check_password(password)
        with self.db() as con:
            if con.execute("UPDATE users SET password = ? WHERE name = ?", (hash_password(password), name)).rowcount == 0:
                raise AccountError(f"no user {name!r}", f"Không có người dùng «{name}».")
            con.execute("DELETE FROM sessions WHERE user = ?", (name,))  # a new password signs everyone out

    def list(self) -> list[User]:
        if not self.path.exists():  # listing creates nothing
            return []
        with self.db() as con:
            rows = con.execute("SELECT u.name, u.role, u.created, COUNT(k.digest) FROM users u "
                               "LEFT JOIN api_keys k ON k.user = u.name GROUP BY u.name ORDER BY u.name").fetchall()
        return [User(*row) for row in rows]

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with self.db() as con:
            return int(con.execute("SELECT COUNT(*) FROM users").fetchone()[0])

    def user(self, name: str) -> User | None:
        with self.db() as con:
            row = con.execute("SELECT name, role, created FROM users WHERE name = ?", (name,)).fetchone()
        return User(*row) if row else None

    def login(self, name: str, password: str, now: float | None = None, client: str | None = None) -> User | None:
        """The user if ``password`` is theirs, else None; raises LoginThrottled while locked out.

        ``client`` (an address) is throttled too, so trying many names from one place stops.
        """
        now = time.time() if now is None else now
        keys = [(name.strip().casefold()[:_NAME_MAX * 4], MAX_FAILURES)]
        if client:
            keys.append((f"client:{client}", MAX_CLIENT_FAILURES))
        with self.db() as con:
            con.execute("DELETE FROM login_failures WHERE at < ?", (now - LOCKOUT,))
            for key, most in keys:
                recent = con.execute("SELECT COUNT(*), MAX(at) FROM login_failures WHERE name = ?", (key,)).fetchone()
                if recent[0] >= most:
                    raise LoginThrottled(recent[1] + LOCKOUT - now)
            row = con.execute("SELECT name, role, created, password FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            check_password(password, hash_password("timing"))  # subtle: as slow for an unknown name
            ok = False
        else:
            ok = check_password(password, row[3])
        with self.db() as con:
            if ok:
                con.execute("DELETE FROM login_failures WHERE name = ?", (keys[0][0],))
            else:
                con.executemany("INSERT INTO login_failures VALUES (?, ?)", [(key, now) for key, _ in keys])
        return User(row[0], row[1], row[2]) if ok else None

    # -- browser sessions ----------------------------------------------------------------
    def new_session(self, name: str, hours: float) -> str:
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self.db() as con:
            con.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)", (_key_digest(token), name, now, now + hours * 3600))
        return token

    def user_for_session(self, token: str | None, now: float | None = None) -> User | None:
        if not token or not self.path.exists():
            return None
        now = time.time() if now is None else now
        with self.db() as con:
            row = con.execute("SELECT u.name, u.role, u.created FROM sessions s JOIN users u ON u.name = s.user "
                              "WHERE s.digest = ? AND s.expires > ?", (_key_digest(token), now)).fetchone()
        return User(*row) if row else None

    def end_session(self, token: str | None) -> None:
        if token and self.path.exists():
            with self.db() as con:
                con.execute("DELETE FROM sessions WHERE digest = ?", (_key_digest(token),))

    # -- API keys ------------------------------------------------------------------------
    def new_key(self, name: str) -> str:
        key = "ak-" + secrets.token_urlsafe(32)
        with self.db() as con:
            if con.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone() is None:
                raise AccountError(f"no user {name!r}", f"Không có người dùng «{name}».")
            con.execute("INSERT INTO api_keys VALUES (?, ?, ?)", (_key_digest(key), name, time.time()))
        return key

    def user_for_key(self, key: str) -> User | None:
        if not key or not self.path.exists():
            return None
        with self.db() as con:
            row = con.execute("SELECT u.name, u.role, u.created FROM api_keys k JOIN users u ON u.name = k.user "
                              "WHERE k.digest = ?", (_key_digest(key),)).fetchone()
        return User(*row) if row else None
