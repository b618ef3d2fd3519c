# One command sets everything up and runs the demo; one sets everything up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test benchmark

$(BIN)/fusiondoctor: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(BIN)/fusiondoctor

setup: $(BIN)/fusiondoctor

demo: setup
	$(BIN)/python checks/run_case.py seed-000-meme-vgg16-lstm bad --save reports/_scratch/seed-000.h5
	$(BIN)/fusiondoctor check reports/_scratch/seed-000.h5 || test $$? -eq 1

test: setup
	$(BIN)/python -m pytest -n 2
	KERAS_BACKEND=jax $(BIN)/python -m pytest -n 2 -m live

benchmark: setup
	$(BIN)/python benchmarks/static_check.py
