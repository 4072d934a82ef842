# Everything a fresh machine needs: `make run` (the daemon on SQLite, with a demo story),
# `make test` (the whole suite). Both create .venv on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run demo test lint typecheck format bench bench-peers soak clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# The main job on the embedded default (SQLite): a local newsroom serves the seed story and
# edits it; the real daemon (`tracker run`) follows it; then history and the last diff print.
run: setup
	$(BIN)/python scripts/demo.py

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

# The type checker alone (its settings, strict on the pure stages: pyproject.toml [tool.mypy]).
typecheck: setup
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format src tests benchmarks scripts
	$(BIN)/ruff check --fix src tests benchmarks scripts

bench: setup
	$(BIN)/python benchmarks/run.py

# Peers mode (issue 17): `tracker check --all` against urlwatch (raw page, and with a CSS +
# html2text filter) on one newsroom of 1,000 pages, whole processes, in one run. urlwatch
# goes into its own venv under benchmarks/.peers (git-ignored) on first use.
bench-peers: setup
	$(BIN)/python benchmarks/run.py --peers

# The long soak (issue 20): `tracker run` for 25 minutes against 300 stories on a flaky local
# newsroom (8.8% faulty responses), 30 edits a minute, 5 real unpublishes; exit 1 if a
# property fails. benchmarks/README.md says what it checks; tests/test_soak.py is the short one.
soak: setup
	$(BIN)/python benchmarks/soak.py --stories 300 --minutes 25 --faults 0.088

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache demo-data
