# lvrn-analysis: two commands.
#   make site   build data -> execute notebooks -> render the website (_site/)
#   make test   unit tests + nbval over the stored notebook outputs
#   make site AREA=leicestershire
#               the whole story for another area, rendered into _build/site-<area>/_site
#               (its own build and executed copies; the tracked notebooks are not touched)
# Both create a local virtual environment (.venv) from the pinned constraints first.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
AREA   ?=

.PHONY: site test build lint clean env

env: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/lvrn build

ifeq ($(strip $(AREA)),)
site: build
	$(BIN)/lvrn site
else
site: $(STAMP)
	$(BIN)/lvrn site --area $(AREA)
endif

test: build
	$(BIN)/ruff check .
	$(BIN)/python -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg tests notebooks

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	find data/processed -mindepth 1 ! -name README.md -exec rm -rf {} +
	rm -rf data/synthetic _site .quarto
