# Ratecard: two commands. `make run` and `make test`. Everything else is a helper they call.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup migrate lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

migrate: setup
	$(PY) manage.py migrate --noinput

# Sets up, migrates, loads the bundled snapshot, then starts web, worker and beat (honcho runs
# the Procfile; Ctrl-C stops all three). No REDIS_URL: SQLite and kombu's filesystem broker.
run: migrate
	$(PY) manage.py load_snapshot
	@echo ""
	@echo "  Ratecard is starting at http://127.0.0.1:$${RATECARD_PORT:-8000}/  (Ctrl-C stops web, worker and beat)"
	@echo ""
	$(VENV)/bin/honcho start -f Procfile

# Runs on PostgreSQL and Redis when they answer on 127.0.0.1 (CI makes sure they do),
# on SQLite otherwise; tests that need a missing service are skipped and say so.
test: setup
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check .
	$(PY) -m mypy

bench: setup
	$(PY) -m benchmarks ingest

clean:
	rm -rf var/ .pytest_cache
