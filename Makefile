# The two commands of the README: `make demo` (the main job) and `make test` (the test suite).
VENV ?= .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
# The stamp's name carries the lock's hash: a changed lock re-runs setup, an unchanged one skips it.
STAMP := $(VENV)/.codeeff-setup-$(shell sha256sum $(LOCK) | cut -c1-16)
PYTHON ?= python3
export VENV PYTHON

# Data: CODEEFF_DATA_DIR when set; else ../shared/data when it exists beside the checkout; else the user cache,
# filled on demand from the pinned sources (codeeff/data.py).
ifeq ($(strip $(CODEEFF_DATA_DIR)),)
ifneq ($(wildcard ../shared/data/.),)
export CODEEFF_DATA_DIR := $(abspath ../shared/data)
endif
endif

# Where `make lock` finds torch's CPU build: a local wheelhouse that holds it, else PyTorch's CPU index.
WHEELHOUSE ?= /opt/wheels
TORCH_SOURCE ?= $(if $(wildcard $(WHEELHOUSE)/torch-*),--find-links $(WHEELHOUSE),--extra-index-url https://download.pytorch.org/whl/cpu --index-strategy unsafe-best-match)
LOCK_COMPILE = uv pip compile pyproject.toml --extra all --extra dev -c requirements.lock.in \
	--python-version 3.11 --python-platform x86_64-manylinux_2_28 $(TORCH_SOURCE) --custom-compile-command "make lock"

# Adapter tests run against the lowest and the highest transformers that pyproject.toml allows.
TRANSFORMERS_RANGE_TESTS ?= tests/model_adapters

.PHONY: setup demo test test-fast bench lint lock lock-check test-transformers-range
setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh scripts/install_into.sh
	bash scripts/setup.sh
	rm -f $(VENV)/.codeeff-setup*
	touch $(STAMP)

demo: setup
	$(BIN)/codeeff demo

# pytest's exit 5 (no tests collected) fails like any other non-zero exit, with its own message.
# `make test` runs the whole suite and lists the 20 slowest tests; `make test-fast` leaves out the tests marked slow.
PYTEST_RUN = rc=0; $(BIN)/python -m pytest -n 2 -q --durations=20 $(1) tests || rc=$$?; \
	if [ $$rc = 5 ]; then echo "make $@: pytest collected no tests" >&2; fi; exit $$rc

test: setup
	@$(call PYTEST_RUN,)

test-fast: setup
	@$(call PYTEST_RUN,-m "not slow")

bench: setup
	$(BIN)/codeeff bench all --output bench/results/latest

# lint-imports checks the [tool.importlinter] contracts of pyproject.toml: dependencies between packages point down.
lint: setup
	$(BIN)/ruff check codeeff tests scripts
	$(BIN)/ruff format --check codeeff tests scripts
	$(BIN)/lint-imports --no-cache

# Re-resolve requirements.lock from pyproject.toml + requirements.lock.in, keeping current pins that still fit;
# `make lock UPGRADE=1` moves every package to its newest allowed release (README, "Refreshing the lock").
lock:
	$(LOCK_COMPILE) $(if $(UPGRADE),--upgrade) -o $(LOCK)

# Fails when requirements.lock no longer matches pyproject.toml + requirements.lock.in (a dependency edited
# without `make lock`).
lock-check:
	@tmp=$$(mktemp) && cp $(LOCK) $$tmp && $(LOCK_COMPILE) -q -o $$tmp && diff -u $(LOCK) $$tmp; \
	rc=$$?; rm -f $$tmp; [ $$rc = 0 ] && echo "lock-check: $(LOCK) is current"; exit $$rc

test-transformers-range:
	bash scripts/test_transformers_range.sh $(TRANSFORMERS_RANGE_TESTS)
