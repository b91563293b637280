# Two entry points: `make run` (set up and start the service) and `make test` (set up and run the tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test

.PHONY: run demo test test-sqlite test-postgres setup lint

$(BIN)/xinfang: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,postgres]'
	touch $(BIN)/xinfang

setup: $(BIN)/xinfang

run: setup
	$(BIN)/xinfang demo

serve: setup
	$(BIN)/xinfang serve

# The suite runs twice: on SQLite, then on PostgreSQL ($(PG_URL)).
# REQUIRE_POSTGRES=1 (set by CI) makes an unreachable PostgreSQL a failure instead of a skip.
test: setup
	$(BIN)/ruff check bot handlers storage nlp tests bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -p no:cacheprovider
	@if $(BIN)/python -m tests.pg_check "$(PG_URL)"; then \
		XINFANG_TEST_DATABASE_URL="$(PG_URL)" $(BIN)/python -m pytest -q -p no:cacheprovider; \
	elif [ "$$REQUIRE_POSTGRES" = "1" ]; then \
		echo "PostgreSQL at $(PG_URL) is not reachable: failing"; exit 1; \
	else \
		echo "PostgreSQL at $(PG_URL) is not reachable: PostgreSQL run skipped"; \
	fi
