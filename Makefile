# Annotated Reader: `make run` serves the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
AXE := node_modules/axe-core/axe.min.js

.PHONY: run serve-prod test test-suite test-postgres lint format install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python $(AXE)
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $@ $(STAMP)

# axe-core (npm, test only, not committed) for the browser tests' accessibility audits.
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(STAMP)

run: $(STAMP)
	READER_ENV_NAME=development $(BIN)/reader init
	READER_ENV_NAME=development $(BIN)/reader run --host 127.0.0.1 --port $(PORT)

# Production: gunicorn with 4 workers on 127.0.0.1:$(PORT), behind a reverse proxy (README).
serve-prod: $(STAMP)
	@test -n "$$READER_SECRET_KEY" || { echo "set READER_SECRET_KEY to a long random value" >&2; exit 1; }
	$(BIN)/reader init
	$(BIN)/gunicorn --workers 4 --bind 127.0.0.1:$(PORT) 'reader:create_app()'

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(TEST_STAMP) lint
	$(BIN)/pytest

# The test suite alone (no lint); honours READER_DATABASE_URL (a PostgreSQL server to test on).
test-suite: $(TEST_STAMP)
	$(BIN)/pytest

# The test suite on a throwaway PostgreSQL server (needs Debian's postgresql package).
test-postgres: $(TEST_STAMP)
	bash .ci/postgres.sh $(BIN)/pytest

format: $(TEST_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache
