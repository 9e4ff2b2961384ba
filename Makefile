# Two commands for a fresh clone: `make run` (install + serve) and `make test` (install + tests).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint index bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/cchc index --if-needed
	$(BIN)/cchc serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest

index: $(STAMP)
	$(BIN)/cchc index

bench: $(STAMP)
	$(BIN)/python benchmarks/parse_bench.py
	$(BIN)/python benchmarks/qa_bench.py
	$(BIN)/python benchmarks/load_bench.py

clean:
	rm -rf $(VENV) data
