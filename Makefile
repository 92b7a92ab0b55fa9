# The whole set-up in one command each, on a fresh machine with Python 3.10+ and make:
#   make demo   creates .venv, installs polyseq (the CPU build of torch first), then runs the
#               quick cross-domain comparison: runs/compare_quick/{report.md,results.csv,plots/}
#   make test   creates .venv the same way, then runs the test suite
# Both reuse .venv once it is installed; running `make demo` again skips the finished runs.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test

$(VENV)/.installed: pyproject.toml examples/polyseq-protein/pyproject.toml examples/polyseq-count/pyproject.toml examples/polyseq-conv/pyproject.toml examples/polyseq-rna/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# first: the CPU build (a plain `torch` would pull a multi-GB CUDA build)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[dev]" -e examples/polyseq-protein -e examples/polyseq-count -e examples/polyseq-conv -e examples/polyseq-rna
	$(BIN)/python -m pip check
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/polyseq compare examples/compare_quick.yaml

test: setup
	$(BIN)/python -m pytest
