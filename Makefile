# Two commands on a fresh machine: `make demo` (set up + run the demo) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint docs serve clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/trainguard demo run

test: install
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check training dags tests benchmarks
	$(BIN)/ruff format --check training dags tests benchmarks

docs: install
	$(BIN)/trainguard docs build

serve: install
	$(BIN)/trainguard docs serve

clean:
	rm -rf var great_expectations/uncommitted/validations great_expectations/uncommitted/data_docs
