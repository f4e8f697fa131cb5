# Contact Source: `make run` (the app on an embedded PostgreSQL unless DATABASE_URL is set, demo
# data) and `make test` (the suite on PostgreSQL and Redis). Both build the environment from
# uv.lock first: `make run` the runtime dependencies only (and the embedded server's wheel, the
# `local` group), `make test` and `make check` the dev group on top.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BOOT := .bootstrap
UV := $(BOOT)/bin/uv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

WEB_PORT ?= 8000
# The broker URL names its (unused) host: without one kombu warns at every connection. The
# development server's warning that it is one is hidden: `make run` is that on purpose (the
# production stack runs gunicorn). tests/test_make_run_logs.py starts it with this environment.
RUN_ENV := DEBUG=true SECRET_KEY=dev-only-not-secret \
	CELERY_BROKER_URL=filesystem://localhost/ CELERY_FILESYSTEM_DIR=$(CURDIR)/var/broker \
	CALLBACK_ALLOW_PRIVATE=true PUBLIC_BASE_URL=http://127.0.0.1:$(WEB_PORT) WEB_PORT=$(WEB_PORT) \
	DJANGO_RUNSERVER_HIDE_WARNING=true

# The database: DATABASE_URL when set, else the server on 127.0.0.1:5432, else an embedded one
# (.ci/with-database). Redis: CELERY_BROKER_URL, else 127.0.0.1:6379.
WITH_DB := .ci/with-database
TEST_BROKER_URL ?= $(or $(CELERY_BROKER_URL),redis://127.0.0.1:6379/0)
TEST_ENV := SECRET_KEY=test-only-not-secret CELERY_BROKER_URL=$(TEST_BROKER_URL) \
	CALLBACK_ALLOW_PRIVATE=false $(WITH_DB) test
PYTEST_ARGS ?= -n 2
CHROMIUM_PATH ?= /usr/bin/chromium
# Debian packages the suite starts (the browser tests, private Redis servers, the docs page's
# curl examples): installed when root with apt-get, otherwise make stops with the command.
TEST_PACKAGES := chromium=$(CHROMIUM_PATH) redis-server curl
APT_INSTALL := .ci/apt-install

.PHONY: env env-runtime run run-app test test-slow test-all test-packages screenshots check \
	compose-package lint fix bench bench-batch clean

$(UV):
	$(PYTHON) -m venv $(BOOT)
	$(BOOT)/bin/python -m pip install --quiet 'uv>=0.5,<1'

# Two stamps: the runtime set (`make run`) and the dev group on top (tests, checks). A synced dev
# environment holds the runtime set too, so `make run` after `make test` installs nothing; a
# runtime sync is exact (it removes the dev group), so it drops the dev stamp.
$(VENV)/.synced-runtime: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --no-dev --group local --python $(PYTHON)
	rm -f $(VENV)/.synced-dev
	touch $@

$(VENV)/.synced-dev: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --group local --python $(PYTHON)
	touch $(VENV)/.synced-runtime $@

env-runtime: $(VENV)/.synced-runtime

env: $(VENV)/.synced-dev

# The embedded PostgreSQL (unless DATABASE_URL is set) starts first and stops after Ctrl-C.
run: env-runtime
	mkdir -p var
	$(RUN_ENV) $(WITH_DB) run $(MAKE) --no-print-directory run-app

run-app:
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/honcho -f Procfile.dev start

# The default lane: everything but the long load and fault tests (marked `slow`).
test: test-packages env
	$(TEST_ENV) $(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

# The slow lane (CI runs both): 20,000 posts under load, killed workers, database restarts.
test-slow: test-packages env
	$(TEST_ENV) $(BIN)/pytest -m slow $(PYTEST_ARGS)

test-all: test-packages env
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

test-packages:
	@$(APT_INSTALL) --for "make test" $(TEST_PACKAGES)

# The README's admin screenshots (docs/screenshots/), taken by the browser test with real data.
screenshots: test-packages env
	SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(TEST_ENV) $(BIN)/pytest -p no:xdist tests/browser

check: compose-package env
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	@# The apps' layers (DESIGN §2), the contract in pyproject.toml.
	$(BIN)/lint-imports
	@# django-stubs loads the settings, which need SECRET_KEY unless DEBUG is on.
	DEBUG=true $(BIN)/mypy .
	@# It also checks the migration history of a database: unless DATABASE_URL says which, the
	@# server's maintenance database, which always exists (a warning otherwise, not a failure).
	DEBUG=true DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
		$(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=true $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null
	@# No Docker engine here: `config` validates docker-compose.yml (v2 plugin, else v1 binary).
	if docker compose version >/dev/null 2>&1; then docker compose config -q; else docker-compose config -q; fi

# `docker compose config` needs the v2 plugin or the v1 binary (Debian's docker-compose).
compose-package:
	@docker compose version >/dev/null 2>&1 || $(APT_INSTALL) --for "make check" docker-compose

# Benchmarks (docs/benchmarks.md): wrk and redis-server from Debian, a dedicated database
# (BENCH_DATABASE_URL, default contactsource_bench on the local PostgreSQL), results in var/bench/.
bench: env
	@$(APT_INSTALL) --for "make bench" wrk redis-server
	$(BIN)/python -m bench.run $(BENCH_STEPS)

# The batch benchmark alone: 1,000-contact batches against gunicorn on PostgreSQL, contacts/s.
bench-batch:
	$(MAKE) bench BENCH_STEPS=batch

fix: env
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var $(VENV) $(BOOT)
