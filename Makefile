# One command runs kb (`make run`), one runs the tests (`make test`); both install into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run index test lint bench eval calibrate clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

index: $(STAMP)
	$(BIN)/kb index --articles articles --tickets tickets/resolved-tickets.jsonl

run: index
	$(BIN)/kb serve --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check kb tests bench
	$(BIN)/mypy

EVAL ?= ../shared/eval/stackfaq-dev

eval: $(STAMP)
	$(BIN)/kb eval $(EVAL) --mode hybrid
	$(BIN)/kb eval $(EVAL) --mode semantic
	$(BIN)/kb eval $(EVAL) --mode keyword

calibrate: $(STAMP)
	$(BIN)/kb calibrate $(EVAL)/noanswer

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .kb
