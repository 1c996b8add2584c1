"""Where a department's shared state lives: SQLite by default, PostgreSQL when ``database_url`` says.

Accounts, sessions, login counts, API keys and saved conversations are in one database: the
file ``data_dir/assistant.db`` by default, or the server ``database_url`` names
(``ASSISTANT_DATABASE_URL``, e.g. ``postgresql://assistant@db-host/assistant``), which several
app servers can share. One schema for both, made and upgraded by the Alembic migrations in
``app/migrations`` when a process first opens the database (under a lock on PostgreSQL, so
servers starting together upgrade it once).

Callers write plain SQL with ``?`` placeholders; :class:`Connection` runs it through SQLAlchemy
(named parameters, the driver's own quoting). The SQL is the part both dialects share:
``"user"`` quoted (a reserved word in PostgreSQL), ``RETURNING`` instead of ``lastrowid``.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ConfigError

MIGRATIONS = Path(__file__).with_name("migrations")
_PLACEHOLDER = re.compile(r"\?")
_LOCK_ID = 0x61737369  # "assi": the advisory lock of migrations on PostgreSQL


class Result:
    """What ``execute`` returns: rows and the count of changed rows (sqlite3's shape)."""

    def __init__(self, rows: list[tuple], rowcount: int) -> None:
        self.rows, self.rowcount = rows, rowcount

    def fetchone(self) -> Any:  # a tuple, or None
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[tuple]:
        return self.rows


class Connection:
    """One transaction; ``execute(sql, params)`` with ``?`` placeholders, as sqlite3 takes them."""

    def __init__(self, con: Any, dialect: str) -> None:
        self._con, self.dialect = con, dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        from sqlalchemy import text

        count = iter(range(len(params) + 1))
        named = _PLACEHOLDER.sub(lambda _: f":p{next(count)}", sql)
        res = self._con.execute(text(named), {f"p{i}": v for i, v in enumerate(params)})
        rows = [tuple(r) for r in res.fetchall()] if res.returns_rows else []
        return Result(rows, res.rowcount if res.rowcount is not None else -1)

    def executemany(self, sql: str, seq: Sequence[Sequence[Any]]) -> None:
        for params in seq:
            self.execute(sql, params)


def sqlalchemy_url(url: str) -> str:
    """A ``database_url`` as SQLAlchemy names it: PostgreSQL through psycopg 3 (the driver the
    ``postgres`` extra installs), not psycopg2."""
    return url.replace("postgresql://", "postgresql+psycopg://", 1).replace("postgres://", "postgresql+psycopg://", 1)


class Database:
    """The engine of one database URL, migrated to the newest schema on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = "postgresql" if url.startswith(("postgresql", "postgres")) else "sqlite"
        self.path = Path(url.split(":///", 1)[1]) if self.dialect == "sqlite" else None
        self._ready = False
        self._lock = threading.Lock()

    @classmethod
    def of(cls, data_dir: Path, url: str = "") -> Database:
        """``url`` if given, else the SQLite file in ``data_dir``."""
        return _database(url or f"sqlite:///{Path(data_dir) / 'assistant.db'}")

    def exists(self) -> bool:
        """Is there a database yet? (Reading a missing SQLite file creates nothing.)"""
        return self.path is None or (self.path.exists() and self.path.stat().st_size > 0)

    @functools.cached_property
    def engine(self) -> Any:
        from sqlalchemy import create_engine, event

        if self.dialect == "sqlite":
            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # subtle: one connection per use (NullPool), as before: no file handle outlives a request
            from sqlalchemy.pool import NullPool

            engine = create_engine(self.url, connect_args={"timeout": 30}, poolclass=NullPool)

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_con, _record):
                dbapi_con.execute("PRAGMA foreign_keys = ON")
                # subtle: let SQLAlchemy's BEGIN (deferred) and the first write decide locking, as sqlite3 did
                dbapi_con.isolation_level = None

            @event.listens_for(engine, "begin")
            def _begin(con):
                con.exec_driver_sql("BEGIN")

            return engine
        try:
            return create_engine(sqlalchemy_url(self.url), pool_pre_ping=True, pool_size=5, max_overflow=10)
        except Exception as exc:  # a malformed URL, a missing driver
            raise ConfigError(f"cannot use database_url {self.url!r}: {exc}",
                              hint='e.g. postgresql://USER:PASSWORD@HOST/DB (pip install "assistant[postgres]")') from exc

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        self.migrate()
        with self.engine.begin() as con:
            yield Connection(con, self.dialect)

    def migrate(self) -> None:
        """Bring the schema to the newest migration (once per process)."""
        if self._ready and self.exists():
            return
        with self._lock:
            from alembic import command
            from alembic.config import Config
            from sqlalchemy.exc import OperationalError

            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            try:
                with self.engine.begin() as con:
                    if self.dialect == "postgresql":
                        con.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_ID})")
                    cfg.attributes["connection"] = con
                    command.upgrade(cfg, "head")
            except OperationalError as exc:
                where = self.path if self.path is not None else self.url.split("@")[-1]
                raise ConfigError(f"cannot open the database {where}: {exc.orig}",
                                  hint="is the database server running, and the URL right?") from exc
            self._ready = True


@functools.cache
def _database(url: str) -> Database:
    return Database(url)
