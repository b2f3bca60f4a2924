# The two commands of the README. Both build .venv on first use (and again whenever
# pyproject.toml changes), so a fresh clone needs nothing but python3 >= 3.10.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench notebooks clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# micrograd's demo (pictures, metrics and the model in runs/demo/), then one graph.
demo: $(STAMP)
	$(VENV)/bin/chainrule train --out runs/demo
	$(VENV)/bin/chainrule graph "tanh(x*w + b)" x=0.5 w=-1.2 b=0.3 -o runs/demo/graph.svg --explain w

# mypy: strict on autograd/ and nn/ (pyproject.toml); the tests are checked for what they
# call, without being asked to annotate every test function.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --follow-imports=silent --allow-untyped-defs --allow-incomplete-defs --allow-untyped-calls \
		--allow-untyped-decorators --no-warn-return-any tests

# pytest exits 5 when it collects no tests; make treats that as the failure it is.
test: lint
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check micrograd==0.1.0
	$(PY) benchmarks/engine.py
	$(PY) benchmarks/tape.py
	$(PY) benchmarks/scaling.py

# JupyterLab on notebooks/, with the notebooks extra installed into .venv on first use.
notebooks: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[notebooks]'
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
