# The few commands people type. Everything installs itself into .venv from a bare checkout.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# uv.lock pins every package, dev tools included. uv itself is pinned here and in pyproject.toml
# ([tool.uv] required-version): bump both together.
UV_VERSION := 0.13.9
UV := $(BIN)/uv
UV_STAMP := $(VENV)/.uv-$(UV_VERSION)
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never

.PHONY: install upgrade browser run test lint bench clean messages

# python3 makes .venv, and its pip installs the pinned uv into it: nothing else is needed.
$(UV_STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	touch $@

# Re-syncs only when the lock (or what it was made from) changed. `uv sync --locked` installs exactly
# uv.lock, the project editable, and fails if uv.lock no longer matches pyproject.toml.
$(STAMP): uv.lock pyproject.toml Makefile $(UV_STAMP)
	$(UV) sync --locked --extra dev --quiet
	touch $(STAMP)

# Translations: locale/*/django.po compiled to .mo by babel (no GNU gettext needed).
PO := $(wildcard locale/*/LC_MESSAGES/django.po locale/overrides/*/LC_MESSAGES/django.po)
MO := $(PO:.po=.mo)
%.mo: %.po $(STAMP)
	$(BIN)/python -m einblick.config.catalogues

install: $(STAMP) $(MO)

# The demo keeps its e-mails in a local outbox (var/outbox), readable at /accounts/outbox/.
run: export EMAIL_URL ?= outbox:
run: export EINBLICK_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/einblick demo
	$(BIN)/einblick serve --host $(HOST) --port $(PORT)

# The browser tests (tests/browser) drive Debian's Chromium; `playwright install` is never used.
# Installed here when missing and we are root; otherwise the browser tests fail and say why
# (EINBLICK_SKIP_BROWSER=1 skips them instead). EINBLICK_CHROMIUM names another Chromium binary.
CHROMIUM := $(or $(EINBLICK_CHROMIUM),/usr/bin/chromium)
browser:
	@if [ -x $(CHROMIUM) ] || [ "$(EINBLICK_SKIP_BROWSER)" = 1 ]; then exit 0; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "== installing Chromium for the browser tests (apt-get install chromium)"; \
		apt-get update && apt-get install -y --no-install-recommends chromium \
			|| echo "!! Chromium could not be installed: the browser tests will fail (EINBLICK_SKIP_BROWSER=1 skips them)" >&2; \
	else \
		echo "!! $(CHROMIUM) is missing: run 'sudo apt-get install --no-install-recommends chromium'; until then the browser tests fail (EINBLICK_SKIP_BROWSER=1 skips them)" >&2; \
	fi

# The suite runs on pytest-xdist workers, one per CPU, each with its own test database and data
# directory; tests go out one by one (--dist load measured quicker than whole files per worker).
# PYTEST_WORKERS=0 runs in one process, quicker for a single file:
#   make test PYTEST_WORKERS=0 PYTEST_ARGS=tests/portal/test_cache.py
PYTEST_WORKERS ?= auto
test: install browser
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist load $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src tests
	$(BIN)/lint-imports

bench: install
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/visibility_bench.py
	$(BIN)/python bench/portal_bench.py

# Refresh locale/de from the source (needs GNU gettext: apt-get install gettext).
messages: install
	cd src/einblick && ../../$(BIN)/python -m django makemessages -l de --settings einblick.config.settings --ignore 'migrations/*'

# Re-lock every package to its newest allowed version, then install that. Commit uv.lock with it.
upgrade: $(UV_STAMP)
	$(UV) lock --upgrade
	$(MAKE) install

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
