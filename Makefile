# Contact Source: `make run` (the app on SQLite, demo data) and `make test` (the suite on
# PostgreSQL and Redis). Both build the environment from uv.lock first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BOOT := .bootstrap
UV := $(BOOT)/bin/uv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

WEB_PORT ?= 8000
RUN_ENV := DEBUG=true SECRET_KEY=dev-only-not-secret \
	DATABASE_URL=sqlite:///$(CURDIR)/var/db.sqlite3 \
	CELERY_BROKER_URL=filesystem:// CELERY_FILESYSTEM_DIR=$(CURDIR)/var/broker \
	CALLBACK_ALLOW_PRIVATE=true PUBLIC_BASE_URL=http://127.0.0.1:$(WEB_PORT) WEB_PORT=$(WEB_PORT)

TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/contactsource)
TEST_BROKER_URL ?= $(or $(CELERY_BROKER_URL),redis://127.0.0.1:6379/0)
TEST_ENV := SECRET_KEY=test-only-not-secret DATABASE_URL=$(TEST_DATABASE_URL) \
	CELERY_BROKER_URL=$(TEST_BROKER_URL) CALLBACK_ALLOW_PRIVATE=false
PYTEST_ARGS ?= -n 2

.PHONY: env run test screenshots check lint fix bench bench-batch clean

$(UV):
	$(PYTHON) -m venv $(BOOT)
	$(BOOT)/bin/python -m pip install --quiet 'uv>=0.5,<1'

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

env: $(VENV)/.synced

run: env
	mkdir -p var
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	$(RUN_ENV) PATH=$(abspath $(BIN)):$$PATH $(BIN)/honcho -f Procfile.dev start

test: env
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

# The README's admin screenshots (docs/screenshots/), taken by the browser test with real data.
screenshots: env
	$(TEST_ENV) SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest -p no:xdist tests/browser

check: env
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	@# django-stubs loads the settings, which need SECRET_KEY unless DEBUG is on.
	DEBUG=true $(BIN)/mypy .
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=true $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null
	@# No Docker engine here: `config` validates docker-compose.yml (v2 plugin, else v1 binary).
	if docker compose version >/dev/null 2>&1; then docker compose config -q; else docker-compose config -q; fi

# Benchmarks (docs/benchmarks.md): wrk and redis-server from Debian, a dedicated database
# (BENCH_DATABASE_URL, default contactsource_bench on the local PostgreSQL), results in var/bench/.
bench: env
	@for tool in wrk redis-server; do command -v $$tool >/dev/null && continue; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "bench: installing $$tool (Debian)"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$tool >/dev/null || exit 1; \
	  else echo "bench: $$tool is missing: apt-get install -y $$tool" >&2; exit 1; fi; done
	$(BIN)/python -m bench.run $(BENCH_STEPS)

# The batch benchmark alone: 1,000-contact batches against gunicorn on PostgreSQL, contacts/s.
bench-batch:
	$(MAKE) bench BENCH_STEPS=batch

fix: env
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var $(VENV) $(BOOT)
