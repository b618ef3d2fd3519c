# One command sets everything up and runs the demo; one sets everything up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test benchmark readme gallery

$(BIN)/fusiondoctor: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(BIN)/fusiondoctor

setup: $(BIN)/fusiondoctor

demo: setup
	$(BIN)/fusiondoctor demo --out reports/demo

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2
	KERAS_BACKEND=jax $(BIN)/python -m pytest -n 2 -m "live and not slow"
	KERAS_BACKEND=torch $(BIN)/python -m pytest -n 2 -m "live and not slow"

benchmark: setup
	$(BIN)/python benchmarks/static_check.py
	$(BIN)/python benchmarks/fix_seed000.py
	$(BIN)/python benchmarks/callback_overhead.py

gallery: setup
	$(BIN)/python reports/generate.py

readme: setup
	$(BIN)/python -c "import re, pathlib; from fusiondoctor import catalogue; p = pathlib.Path('README.md'); t = p.read_text(); p.write_text(re.sub(r'(<!-- rules:start -->\n).*?(<!-- rules:end -->)', lambda m: m.group(1) + catalogue.as_markdown() + m.group(2), t, flags=re.S))"
