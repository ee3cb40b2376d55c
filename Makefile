PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
export ALLOTMENT_BOOTSTRAP_TOKEN ?= demo-admin-token

.PHONY: run test test-postgres lint format bench clean

$(STAMP): pyproject.toml sdk/pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]' -e ./sdk
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/allotment demo
	$(BIN)/allotment serve --host 127.0.0.1 --port $(PORT)

test: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench sdk
	$(BIN)/ruff format --check src tests bench sdk
	$(BIN)/mypy src sdk/src

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench sdk
	$(BIN)/ruff format src tests bench sdk

bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
