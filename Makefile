# The two README commands: `make demo` and `make test`. Both create .venv and install first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint dev bench

$(BIN)/perf-analytics: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/perf-analytics

demo: install
	$(BIN)/perf-analytics demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project/models

# pytest exits 5 when it collected no tests: that is a failure here too.
test: lint
	$(BIN)/pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$rc

dev: install
	$(BIN)/perf-analytics dev

bench: install
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/incremental.py
