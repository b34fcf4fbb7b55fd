# Two commands set up everything on a fresh machine with Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: build test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# editable installs put the project folder on sys.path ("compat" mode): setuptools' default
# import hook costs every feedtool process about 15 ms before it starts
EDITABLE := --config-settings editable_mode=compat

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml Makefile
	$(BIN)/python -m pip install --quiet $(EDITABLE) -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python setup.cfg pyproject.toml Makefile
	$(BIN)/python -m pip install --quiet $(EDITABLE) -e '.[test]'
	touch $@ $(VENV)/.installed

build: $(VENV)/.installed
	$(BIN)/feedtool build --episodes episodes --output output

test: $(VENV)/.installed-test
	$(BIN)/ruff check feedtool tests tools
	$(BIN)/python -m pytest -q

# the benchmark (needs Debian's ffmpeg and lame to make its corpus; takes a few minutes)
bench: $(VENV)/.installed
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) output
