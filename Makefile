# Every target sets up what it needs: a fresh clone runs `make demo` or `make test` and nothing else.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
EXTRAS_TEST := dev,celery,postgres

.PHONY: demo test lint unit bench services screenshot clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[$(EXTRAS_TEST)]'
	@touch $@ $(VENV)/.installed-app

demo: $(VENV)/.installed-app
	$(BIN)/kubegenie demo

services:
	@scripts/ensure-services

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Both cores: test files are spread over two workers (a file's tests stay together, sharing its fixtures).
PYTEST_ARGS ?= -n 2 --dist loadfile

unit: $(VENV)/.installed-test services
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint unit

# Refresh the README's picture of the web UI from the browser test.
screenshot: $(VENV)/.installed-test services
	KUBEGENIE_SCREENSHOT=$(CURDIR)/docs/screenshot.png $(BIN)/pytest tests/ui/test_web_ui.py -k switch_cluster

bench: $(VENV)/.installed-test services
	@for script in bench/bench_*.py; do name=$$(basename $$script .py); echo "== $$name"; \
		$(BIN)/python -m bench.$$name || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build src/*.egg-info
