# Two commands for a newcomer: `make demo` runs the dashboard, `make test` runs every check.
# Both create .venv and install what they need.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEFAULT_DATA := data/default/events.parquet
PORT ?= $(or $(STREAMLIT_SERVER_PORT),8501)
# The first interpreter on PATH that is Python >= 3.11 (pandas 3 needs it).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: demo test lint typecheck unit e2e-deps data benchmarks clean help

help:
	@echo "make demo   - create .venv, install, generate the default data and serve the dashboard on :$(PORT)"
	@echo "make test   - create .venv, install, then ruff, mypy and the whole pytest suite (not slow)"

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: Python >= 3.11 is needed. On Debian/Ubuntu: sudo apt-get install python3.11 python3.11-venv" >&2; \
		exit 2; fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { \
		echo "error: could not create $(VENV); on Debian/Ubuntu: sudo apt-get install python3-venv" >&2; exit 2; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

$(DEFAULT_DATA): | $(STAMP)
	$(PY) -m engine generate --seed 7 --out $(DEFAULT_DATA)

data: $(DEFAULT_DATA)

demo: $(STAMP) $(DEFAULT_DATA)
	$(PY) -m streamlit run dashboard/app.py --server.port $(PORT) --server.headless true

# Browser tests drive Debian's chromium through Playwright; never `playwright install` (no download here).
e2e-deps:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing Debian chromium for the browser tests"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| { echo "error: apt-get install chromium failed" >&2; exit 2; }; \
		else \
			echo "error: the browser tests need Chromium: sudo apt-get install -y chromium" >&2; exit 2; \
		fi; }

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy engine dashboard benchmarks

unit: $(STAMP) e2e-deps
	$(PY) -m pytest -m "not slow"

test: lint typecheck unit

benchmarks: $(STAMP)
	$(PY) -m pytest -m slow
	@for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
