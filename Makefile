# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup migrate demo worker beat lint fmt bench clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

migrate: setup
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo --if-empty
	$(BIN)/python manage.py ensure_local_admin

## Set up everything and serve the app (SQLite + in-process tasks unless DATABASE_URL/CELERY_BROKER_URL are set).
run: demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## Set up and run the test suite, in parallel over the machine's cores (pytest-xdist).
## The slow robustness tests (marker `slow`) run with PYTEST_ARGS='-m ""' (CI does).
test: setup
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

## A Celery worker (needs CELERY_BROKER_URL or REDIS_URL, and usually DATABASE_URL).
worker: setup
	$(BIN)/celery -A config worker --loglevel=INFO

## Celery beat: the periodic full shortfall recompute, stale-reporting check and daily digest.
beat: setup
	$(BIN)/celery -A config beat --loglevel=INFO

## Performance benchmark (needs PostgreSQL and Redis: DATABASE_URL and REDIS_URL); prints a table, writes JSON.
bench: setup
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

fmt: setup
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
