# Two commands for a fresh clone: `make run` (install + serve) and `make test` (install + tests).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint index bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/cchc index --if-needed
	$(BIN)/cchc serve

# everything, as CI runs it: lint, type-check ([tool.mypy] in pyproject.toml), every test
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

# the inner loop: no real embedding index, browser, wheel build or Chroma server
FAST := not slow and not browser and not packaging and not chroma_server
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -m "$(FAST)"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

index: $(STAMP)
	$(BIN)/cchc index

bench: $(STAMP)
	$(BIN)/python benchmarks/parse_bench.py
	$(BIN)/python benchmarks/qa_bench.py
	$(BIN)/python benchmarks/load_bench.py

clean:
	rm -rf $(VENV) data
