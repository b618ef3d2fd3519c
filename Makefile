# One command sets everything up and runs the demo; one sets everything up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test benchmark readme

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

readme: setup
	$(BIN)/python -c "import re, pathlib; from fusiondoctor import catalogue; p = pathlib.Path('README.md'); t = p.read_text(); p.write_text(re.sub(r'(<!-- rules:start -->\n).*?(<!-- rules:end -->)', lambda m: m.group(1) + catalogue.as_markdown() + m.group(2), t, flags=re.S))"
