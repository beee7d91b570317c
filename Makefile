# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_PROJECT ?= demo-project

.PHONY: demo test fuzz lint install bench bench-loop quality learn-bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps make a second `make` fast; they are redone when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-lint: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,lint]'
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/ipl-coder code sample_transcripts --codebook codebooks/ipl.yaml --project $(DEMO_PROJECT) \
		--participants sample_transcripts/participants.csv
	$(BIN)/ipl-coder freq --project $(DEMO_PROJECT) --by country

# One pytest worker per core (pytest-xdist); TEST_WORKERS=0 runs the suite in this one process.
TEST_WORKERS ?= auto
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

# The fuzz tests of every reader (tests/test_fuzz_readers.py) with many more examples and a fresh random
# search each time, and 200 random cycles of edits, renames, re-codes and sheets (tests/test_cycles.py);
# `make test` runs both briefly. FUZZ_EXAMPLES=5000 or CYCLES=1000 make fuzz searches longer.
FUZZ_EXAMPLES ?= 1000
CYCLES ?= 200
fuzz: $(VENV)/.installed-test
	IPL_CODER_FUZZ=1 IPL_CODER_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q tests/test_fuzz_readers.py
	IPL_CODER_CYCLES=$(CYCLES) $(BIN)/python -m pytest -q tests/test_cycles.py

# Style and mistakes, types, and the layers (pyproject.toml's [tool.importlinter]).
lint: $(VENV)/.installed-lint
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/mypy
	$(BIN)/lint-imports

# Speed and memory as ratios to spaCy's own tokenising cost, measured in the same run (docs/performance.md):
# medians of 5 runs on 67 x 10,000 words, then 10 x the corpus once. BENCH_ARGS="--scale 0" skips the 10 x part.
BENCH_ARGS ?=
bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_speed.py $(BENCH_ARGS)

# The edit-and-look loop (agreement, report, codebook diff, code after code on one file), the caches it uses:
# BENCH_ARGS="--before /tmp/before/src" also times another checkout (git worktree add /tmp/before COMMIT).
bench-loop: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_loop.py $(BENCH_ARGS)

# The codebook's rules scored against the blind human coding of benchmarks/gold/ (tuning and reporting halves).
quality: $(VENV)/.installed
	$(BIN)/python benchmarks/quality.py

# Learning from decisions (ipl-coder learn, code --learned): a simulated coder on the gold set's tuning half, step by
# step, then the reporting half; and the time to learn and to code with the model on the 67-transcript benchmark project.
learn-bench: $(VENV)/.installed
	$(BIN)/python benchmarks/learn_bench.py --half tuning
	$(BIN)/python benchmarks/learn_bench.py --half reporting
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/learn_speed.py

clean:
	rm -rf $(VENV) $(DEMO_PROJECT) build src/*.egg-info .pytest_cache
