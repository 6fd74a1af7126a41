# One entry point for everything; `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUM    := $(shell cksum pyproject.toml | cut -d' ' -f1)
# two install levels: what a report needs (make report), and the test and lint tools on top
RUN    := $(VENV)/.installed-run-$(SUM)
STAMP  := $(VENV)/.installed-dev-$(SUM)

.DEFAULT_GOAL := help
.PHONY: help setup report test bench pages fuzz lint histories golden clean

help: ## Show the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(RUN): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e .
	rm -f $(VENV)/.installed-* && touch $@

$(STAMP): $(RUN)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test,dev]'
	touch $@

setup: $(STAMP) ## Create .venv and install reporter with its test tools

report: $(RUN) ## Set up (only what a report needs), then write out/<run>/report.pdf + summary.json for every file in histories/
	$(BIN)/reporter report -o out

test: $(STAMP) ## Set up, then run the whole test suite
	$(BIN)/python -m pytest

bench: $(STAMP) ## Measure speed and memory against ../shared/bench/floor.py (prints ratios)
	$(BIN)/python benchmarks/run.py

pages: $(STAMP) ## Compare every page image (100 dpi) with BEFORE (a git ref, default main)
	$(BIN)/python benchmarks/pages.py --before $(or $(BEFORE),main)

fuzz: $(STAMP) ## Fuzz every reader and the analysis, FUZZ_SECONDS (180) each
	$(BIN)/python scripts/fuzz.py --seconds $(or $(FUZZ_SECONDS),180)

lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check reporter tests scripts benchmarks
	$(BIN)/mypy

golden: $(STAMP) ## Rewrite tests/golden/ from the shipped histories (review with git diff)
	REPORTER_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_golden.py

histories: $(STAMP) ## Regenerate histories/ from scripts/make_histories.py
	$(BIN)/python scripts/make_histories.py

clean: ## Remove generated reports and caches (keeps .venv)
	rm -rf out/*/ .pytest_cache .mypy_cache .ruff_cache build dist
