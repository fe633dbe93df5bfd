# The two commands of the README: `make demo` (the main job) and `make test` (the test suite).
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.codeeff-setup

.PHONY: setup demo test bench lint
setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $(STAMP)

demo: setup
	$(BIN)/codeeff demo

test: setup
	$(BIN)/python -m pytest -n 2 -q tests

bench: setup
	$(BIN)/codeeff bench all --output bench/results/latest

lint: setup
	$(BIN)/ruff check codeeff tests
	$(BIN)/ruff format --check codeeff tests
