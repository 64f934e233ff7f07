# The two commands of the README: `make demo` and `make test`. Each creates .venv when missing
# and installs the project into it (pip install -e ".[dev]") before running.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
OUT     ?= runs/demo
PYTEST_ARGS ?=

.PHONY: demo test replicate bench install clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml setup.py
	$(BIN)/python -m pip install -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

PARADIGMS ?= izhikevich-2003 what-when motion continual images

demo: $(STAMP)
	@for p in $(PARADIGMS); do \
		echo "=== spikesim run $$p --preset quick ==="; \
		$(BIN)/spikesim run $$p --preset quick --out $(OUT)/$$p || exit 1; \
	done
	@echo "results and figures: $(OUT)/<paradigm>/"

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

replicate: $(STAMP)
	$(BIN)/python -m pytest -q -m slow $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/core_vs_brian2.py

clean:
	rm -rf $(VENV) runs build *.egg-info
