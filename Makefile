# Two entry points: `make run` (set up and start the service) and `make test` (set up and run the tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test

.PHONY: run demo test test-sqlite test-postgres setup lint lock

# Dependencies come from the lock files (exact versions and hashes); the project itself is installed
# editable on top, without resolving anything again.
$(BIN)/xinfang: pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(BIN)/xinfang

setup: $(BIN)/xinfang

# Re-resolve the dependency ranges of pyproject.toml into the two lock files (after changing them,
# or to take upgrades): requirements.lock for the image, requirements-dev.lock for tests and CI.
LOCK_FLAGS := --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links
lock:
	test -x $(BIN)/pip-compile || $(BIN)/pip install -q 'pip-tools>=7.4'
	$(BIN)/pip-compile $(LOCK_FLAGS) --extra postgres -o requirements.lock pyproject.toml
	$(BIN)/pip-compile $(LOCK_FLAGS) --extra postgres --extra dev -o requirements-dev.lock pyproject.toml

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
