# One command runs kb (`make run`), one runs the tests (`make test`); both install into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

# The interface's translations: kb/translations/<language>/LC_MESSAGES/messages.po are
# written by hand; the compiled .mo files beside them are built here and not kept in git.
CATALOGUES := $(wildcard kb/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)
BABEL_EXTRACT := -F babel.cfg -k lazy_gettext -k Text --add-location=file --sort-output --no-wrap

.PHONY: install run index test lint bench eval calibrate clean messages

install: $(STAMP) $(COMPILED)

$(STAMP): pyproject.toml
	@echo "make: installing kb and its dependencies into $(VENV) (a few minutes the first time)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --progress-bar off -e '.[dev]'
	touch $(STAMP)
	@echo "make: installed into $(VENV)"

%.mo: %.po | $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

# After adding or changing interface text: gather every message and add the new ones to each
# catalogue (then translate them; tests/unit/test_translations.py fails until they are).
messages: $(STAMP)
	$(BIN)/pybabel extract $(BABEL_EXTRACT) --project kb -o $(VENV)/messages.pot .
	$(BIN)/pybabel update --no-wrap --ignore-obsolete -i $(VENV)/messages.pot -d kb/translations
	@# Dates that change on every run only make merge conflicts between branches.
	sed -i -e '/^"POT-Creation-Date:/d' -e '/^"PO-Revision-Date:/d' $(CATALOGUES)

index: install
	@echo "make: indexing articles/ and tickets/ into .kb (only what changed is embedded again)"
	$(BIN)/kb index --articles articles --tickets tickets/resolved-tickets.jsonl

run: index
	@echo "make: serving the portal on http://127.0.0.1:5000/ (Ctrl+C stops it)"
	$(BIN)/kb serve --host 127.0.0.1 --port 5000

test: install
	$(BIN)/python -m pytest -q

lint: install
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
