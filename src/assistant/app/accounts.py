"""A department's accounts: users, roles, password hashes and API keys in one database.

``data_dir/assistant.db`` (setting ``data_dir``, ``ASSISTANT_DATA_DIR``; a backup is a copy of
that file), or the PostgreSQL server of ``database_url`` that several app servers share
(``database.py``: one schema, migrated on first use). Passwords are hashed with scrypt (hashlib, no dependency; n=2**14, r=8, p=1, a
16-byte salt per password), compared in constant time. An API key is shown once, at creation;
the database keeps only its SHA-256 (a key is 32 random bytes, so a fast hash is enough).

Roles, each including the one before: ``reader`` asks and exports briefings, ``editor`` also
adds documents, ``admin`` also manages users.

Names and passwords are Unicode NFC (a name typed with combining accents is the same name);
a name mixing scripts so as to pass for another ("аdmin" with a Cyrillic а) is refused.
A wrong password costs as much time as a right one, for a known name or not.

Logins are throttled by backoff, not by one lock for all. Each attempt is counted before its
password is checked, in one transaction, so parallel guesses cannot slip past the count.
Three counts, each kept apart: the name from one client address (``PAIR``), the name from
anywhere (``NAME``), and the address whatever the names (``CLIENT``). Past its free
failures, a count makes the next attempt wait, doubling up to its cap: a guesser is slowed
to a handful of tries an hour, while a colleague behind the same proxy waits at most
``CLIENT.cap`` seconds. The counts live in the database, so a restart does not reset them.
A browser session is a random token kept as a digest, valid for ``session_hours``; changing a
password or removing the user ends their sessions.

An API key has an id, shown with it (``users key``) and in ``users keys``; ``users revoke``
ends one key or all of a user's.

Conversations live in the same database (``conversations.py``).
"""

from __future__ import annotations

import builtins
import functools
import hashlib
import hmac
import secrets
import time
import unicodedata
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from .database import Connection, Database

ROLES = ("reader", "editor", "admin")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_NAME_MAX = 64
@dataclass(frozen=True)
class Backoff:
    """Failures a count allows freely, then the wait before the next attempt: ``first`` seconds,
    doubling with each further failure, at most ``cap``."""

    free: int
    first: float
    cap: float

    def wait(self, failures: int) -> float:
        return 0.0 if failures < self.free else min(self.first * 2 ** (failures - self.free), self.cap)


LOCKOUT = 15 * 60.0  # seconds a failure is remembered, and the longest wait for a name
PAIR = Backoff(free=5, first=60.0, cap=LOCKOUT)  # one name from one address
NAME = Backoff(free=20, first=60.0, cap=LOCKOUT)  # one name from any address: guessing spread over many
CLIENT = Backoff(free=20, first=5.0, cap=60.0)  # one address, any names: short, as colleagues may share it
PENDING_WAIT = 10.0  # seconds an attempt waits for parallel ones of the same count to be checked
PENDING_STALE = 30.0  # a pending attempt older than this (its process died) counts as a failure


class AccountError(ValueError):
    """A request about accounts that cannot be done (unknown user, bad name, weak password).

    ``vi`` says the same in Vietnamese, for the chat's user management.
    """

    def __init__(self, message: str, vi: str = "") -> None:
        super().__init__(message)
        self.vi = vi or message


class LoginThrottled(AccountError):
    """Too many wrong passwords for this name or address: refused for ``retry_after`` more seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after:.0f} s",
                         f"Đăng nhập sai quá nhiều lần; thử lại sau {retry_after:.0f} giây.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class ApiKey:
    id: str
    user: str
    created: float
    last_used: float | None


@dataclass(frozen=True)
class AuditEntry:
    at: float
    actor: str  # a user's name, or "shell"
    action: str
    subject: str
    detail: str


SHELL = "shell"  # the actor of changes made on the command line


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created: float
    keys: int = 0

    def may(self, role: str) -> bool:
        """Whether this user has ``role`` or a stronger one."""
        return ROLES.index(self.role) >= ROLES.index(role)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(nfc(password).encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


@functools.cache
def _decoy() -> str:
    """A hash to check an unknown name's password against: the same cost as a real check."""
    return hash_password(secrets.token_hex(16))


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` (NFC, or as typed for a hash made before names were normalised) is ``stored``'s."""
    if _check(nfc(password), stored):
        return True
    return nfc(password) != password and _check(password, stored)


def _check(password: str, stored: str) -> bool:
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
    def __init__(self, data_dir: Path, database_url: str = "") -> None:
        self.database = Database.of(data_dir, database_url)
        self.path = self.database.path or self.database.url.split("@")[-1]  # where, for messages

    def db(self) -> AbstractContextManager[Connection]:
        """One transaction on the database (made, or upgraded, on first use)."""
        return self.database.connect()

    # -- users ---------------------------------------------------------------------------
    @staticmethod
    def _check_name(name: str) -> str:
        from confusable_homoglyphs import confusables

        name = nfc(name.strip())
        if not name or len(name) > _NAME_MAX or any(c.isspace() or not c.isprintable() for c in name):
            raise AccountError(f"a user name is 1-{_NAME_MAX} printable characters without spaces, not {name!r:.80}",
                               f"Tên đăng nhập gồm 1-{_NAME_MAX} ký tự, không có dấu cách.")
        if confusables.is_dangerous(name):
            raise AccountError(f"the user name {name!r} mixes scripts with look-alike letters (a Cyrillic а for a "
                               "Latin a?); use one script",
                               f"Tên «{name}» trộn các bộ chữ có ký tự trông giống nhau; hãy dùng một bộ chữ.")
        return name

    @staticmethod
    def _check_password(password: str) -> None:
        if len(password) < 8:
            raise AccountError("a password has at least 8 characters", "Mật khẩu cần ít nhất 8 ký tự.")

    def add(self, name: str, password: str, role: str = "reader", by: str = SHELL) -> User:
        name = self._check_name(name)
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}", "Vai trò không hợp lệ.")
        self._check_password(password)
        now = time.time()
        with self.db() as con:
            if con.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone() is not None:
                raise AccountError(f"user {name!r} already exists", f"Đã có người dùng «{name}».")
            con.execute("INSERT INTO users (name, role, password, created) VALUES (?, ?, ?, ?)",
                        (name, role, hash_password(password), now))
            _audit(con, by, "add user", name, role)
        return User(name, role, now)

    def remove(self, name: str, by: str = SHELL) -> None:
        name = nfc(name.strip())
        with self.db() as con:
            if con.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 0:
                raise AccountError(f"no user {name!r}", f"Không có người dùng «{name}».")
            _audit(con, by, "remove user", name)

    def set_role(self, name: str, role: str, by: str = SHELL) -> None:
        name = nfc(name.strip())
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}", "Vai trò không hợp lệ.")
        with self.db() as con:
            if con.execute("UPDATE users SET role = ? WHERE name = ?", (role, name)).rowcount == 0:
                raise AccountError(f"no user {name!r}", f"Không có người dùng «{name}».")
            _audit(con, by, "set role", name, role)

    def set_password(self, name: str, password: str, by: str = SHELL) -> None:
        name = nfc(name.strip())
        self._check_password(password)
        with self.db() as con:
            if con.execute("UPDATE users SET password = ? WHERE name = ?", (hash_password(password), name)).rowcount == 0:
                raise AccountError(f"no user {name!r}", f"Không có người dùng «{name}».")
            con.execute('DELETE FROM sessions WHERE "user" = ?', (name,))  # a new password signs everyone out
            _audit(con, by, "set password", name)

    def list(self) -> list[User]:
        if not self.database.exists():  # listing creates nothing
            return []
        with self.db() as con:
            rows = con.execute("SELECT u.name, u.role, u.created, COUNT(k.digest) FROM users u "
                               "LEFT JOIN api_keys k ON k.\"user\" = u.name GROUP BY u.name, u.role, u.created ORDER BY u.name").fetchall()
        return [User(*row) for row in rows]

    def count(self) -> int:
        if not self.database.exists():
            return 0
        with self.db() as con:
            return int(con.execute("SELECT COUNT(*) FROM users").fetchone()[0])

    def user(self, name: str) -> User | None:
        name = nfc(name.strip())
        with self.db() as con:
            row = con.execute("SELECT name, role, created FROM users WHERE name = ?", (name,)).fetchone()
        return User(*row) if row else None

    def login(self, name: str, password: str, now: float | None = None, client: str | None = None) -> User | None:
        """The user if ``password`` is theirs, else None; raises LoginThrottled while a count makes it wait.

        ``client`` is the address the attempt came from (the proxy's, unless it is trusted).
        """
        name = nfc(name.strip())
        folded = name.casefold()[: _NAME_MAX * 4]
        # subtle: counted by digest: a typed name may hold any character (PostgreSQL's text takes no NUL)
        counts = [("pair", _key_digest(f"{folded}\x00{client or ''}"), PAIR), ("name", _key_digest(folded), NAME)]
        if client:
            counts.append(("client", _key_digest(client), CLIENT))
        rows, row = self._reserve(name, counts, now)
        ok = check_password(password, row[3] if row else _decoy()) and row is not None
        with self.db() as con:
            # subtle: two right passwords at once each delete their own rows, then the pair's rows,
            # the other's included: without the table lock, PostgreSQL found them deadlocked
            if con.dialect == "postgresql":
                con.execute("LOCK TABLE login_attempts IN SHARE ROW EXCLUSIVE MODE")
            if ok:
                con.executemany("DELETE FROM login_attempts WHERE id = ?", [(r,) for r in rows])
                con.execute("DELETE FROM login_attempts WHERE kind = 'pair' AND key = ?", (counts[0][1],))
            else:
                con.executemany("UPDATE login_attempts SET pending = 0 WHERE id = ?", [(r,) for r in rows])
        return User(row[0], row[1], row[2]) if ok and row else None

    def _reserve(self, name: str, counts: builtins.list[tuple[str, str, Backoff]],
                 now: float | None) -> tuple[builtins.list[int], tuple | None]:
        """Record this attempt as pending in each count, once the counts allow it; its rows and the user row.

        subtle: the DELETE takes the write lock, so counting and recording an attempt are one
        step for every thread and process: 40 parallel guesses get 5 checks, not 40. An attempt
        that would be over a count if the ones still being checked all failed waits for them
        (right passwords in parallel all get in); one that is over it is refused.
        """
        patience = time.monotonic() + PENDING_WAIT
        while True:
            at = time.time() if now is None else now
            with self.db() as con:
                if con.dialect == "postgresql":  # sqlite: the DELETE below takes the file's write lock
                    con.execute("LOCK TABLE login_attempts IN SHARE ROW EXCLUSIVE MODE")
                con.execute("DELETE FROM login_attempts WHERE at < ?", (at - LOCKOUT,))
                wait, busy = 0.0, False
                for kind, key, backoff in counts:
                    failed, pending, last = con.execute(
                        "SELECT SUM(CASE WHEN pending = 0 OR at < ? THEN 1 ELSE 0 END), "
                        "SUM(CASE WHEN pending = 1 AND at >= ? THEN 1 ELSE 0 END), MAX(at) FROM login_attempts "
                        "WHERE kind = ? AND key = ?", (at - PENDING_STALE, at - PENDING_STALE, kind, key)).fetchone()
                    failed, pending = failed or 0, pending or 0
                    if failed:
                        wait = max(wait, last + backoff.wait(failed) - at)
                    busy = busy or (pending > 0 and backoff.wait(failed + pending) > 0)
                if wait > 0:
                    raise LoginThrottled(wait)
                if not busy:
                    rows = [con.execute("INSERT INTO login_attempts (kind, key, at, pending) VALUES (?, ?, ?, 1) "
                                        "RETURNING id", (kind, key, at)).rows[0][0] for kind, key, _ in counts]
                    row = con.execute("SELECT name, role, created, password FROM users WHERE name = ?",
                                      (name,)).fetchone() if "\x00" not in name else None
                    return [r for r in rows if r is not None], row
            if time.monotonic() > patience:
                raise LoginThrottled(PENDING_WAIT)
            time.sleep(0.05)

    # -- browser sessions ----------------------------------------------------------------
    def new_session(self, name: str, hours: float) -> str:
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self.db() as con:
            con.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            con.execute('INSERT INTO sessions (digest, "user", created, expires) VALUES (?, ?, ?, ?)',
                        (_key_digest(token), name, now, now + hours * 3600))
        return token

    def user_for_session(self, token: str | None, now: float | None = None) -> User | None:
        if not token or not self.database.exists():
            return None
        now = time.time() if now is None else now
        with self.db() as con:
            row = con.execute("SELECT u.name, u.role, u.created FROM sessions s JOIN users u ON u.name = s.\"user\" "
                              "WHERE s.digest = ? AND s.expires > ?", (_key_digest(token), now)).fetchone()
        return User(*row) if row else None

    def end_session(self, token: str | None) -> None:
        if token and self.database.exists():
            with self.db() as con:
                con.execute("DELETE FROM sessions WHERE digest = ?", (_key_digest(token),))

    # -- API keys ------------------------------------------------------------------------
    def new_key(self, name: str, by: str = SHELL) -> tuple[str, str]:
        """``(id, key)``: a new API key of ``name``; only its digest is kept."""
        name = nfc(name.strip())
        key_id, key = secrets.token_hex(4), "ak-" + secrets.token_urlsafe(32)
        with self.db() as con:
            if con.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone() is None:
                raise AccountError(f"no user {name!r}", f"Không có người dùng «{name}».")
            con.execute('INSERT INTO api_keys (digest, "user", created, id) VALUES (?, ?, ?, ?)',
                        (_key_digest(key), name, time.time(), key_id))
            _audit(con, by, "add API key", name, key_id)
        return key_id, key

    def keys(self, name: str) -> builtins.list[ApiKey]:  # subtle: `list` here is the method above
        name = nfc(name.strip())
        with self.db() as con:
            if con.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone() is None:
                raise AccountError(f"no user {name!r}", f"Không có người dùng «{name}».")
            rows = con.execute('SELECT id, "user", created, last_used FROM api_keys WHERE "user" = ? ORDER BY created',
                               (name,)).fetchall()
        return [ApiKey(*row) for row in rows]

    def revoke(self, name: str, key_id: str | None = None, by: str = SHELL) -> int:
        """End ``name``'s key ``key_id``, or every key of theirs when it is None; how many ended."""
        name = nfc(name.strip())
        with self.db() as con:
            if key_id is None:
                gone = con.execute('DELETE FROM api_keys WHERE "user" = ?', (name,)).rowcount
            else:
                gone = con.execute('DELETE FROM api_keys WHERE "user" = ? AND id = ?', (name, key_id.strip())).rowcount
            if gone:
                _audit(con, by, "revoke API keys", name, key_id or f"all ({gone})")
        if not gone and key_id is not None:
            raise AccountError(f"user {name!r} has no API key {key_id!r} (see: assistant users keys {name})",
                               f"«{name}» không có khoá API «{key_id}».")
        return gone

    def user_for_key(self, key: str, now: float | None = None) -> User | None:
        if not key or not self.database.exists():
            return None
        now = time.time() if now is None else now
        digest = _key_digest(key)
        with self.db() as con:
            row = con.execute("SELECT u.name, u.role, u.created, k.last_used FROM api_keys k JOIN users u "
                              "ON u.name = k.\"user\" WHERE k.digest = ?", (digest,)).fetchone()
            if row and (row[3] is None or now - row[3] > 60):  # "last used" to the minute: one write a minute
                con.execute("UPDATE api_keys SET last_used = ? WHERE digest = ?", (now, digest))
        return User(*row[:3]) if row else None

    # -- the audit -----------------------------------------------------------------------
    def audit(self, actor: str, action: str, subject: str, detail: str = "") -> None:
        """Record a change made elsewhere (documents added or removed) in the audit."""
        with self.db() as con:
            _audit(con, actor, action, subject, detail)

    def audit_documents(self, actor: str, placed: Iterable) -> None:
        """Record the documents an add put in the corpus (``adding.Placed``: added or updated)."""
        done = [p for p in placed if p.status in ("added", "updated")]
        if done:
            with self.db() as con:
                for p in done:
                    _audit(con, actor, f"{p.status} document", p.name, f"sha256 {p.digest[:16]}" if p.digest else "")

    def document_history(self) -> dict[str, AuditEntry]:
        """Each corpus file's newest add or update in the audit, by file name."""
        if not self.database.exists():
            return {}
        with self.db() as con:
            rows = con.execute("SELECT at, actor, action, subject, detail FROM audit WHERE action IN "
                               "('added document', 'updated document') ORDER BY at, id").fetchall()
        return {row[3]: AuditEntry(*row) for row in rows}

    def audit_log(self, limit: int = 50) -> builtins.list[AuditEntry]:
        """The newest ``limit`` entries, the newest first."""
        if not self.database.exists():
            return []
        with self.db() as con:
            rows = con.execute("SELECT at, actor, action, subject, detail FROM audit ORDER BY at DESC, id DESC "
                               "LIMIT ?", (int(limit),)).fetchall()
        return [AuditEntry(*row) for row in rows]


def _audit(con: Connection, actor: str, action: str, subject: str, detail: str = "") -> None:
    """One audit entry, in the transaction of the change it records."""
    con.execute("INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
                (time.time(), actor, action, subject[:1000], detail[:4000]))
