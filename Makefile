# Quick start: `make run` (set up + serve on 127.0.0.1:8000) and `make test` (set up + test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test lint

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# flask init: first-run secrets and passwords (printed once), migrations, the 15 slots; idempotent.
run: $(BIN)/.installed
	$(BIN)/flask init
	$(BIN)/gunicorn -c gunicorn.conf.py

# pytest exits 5 when it collected no test; that is not a failure of the suite's code.
test: $(BIN)/.installed
	$(BIN)/pytest $(PYTEST_ARGS) || [ $$? -eq 5 ]

lint: $(BIN)/.installed
	$(BIN)/ruff check .
