# Every target sets up .venv first, so a fresh clone needs only Python 3.11+ (with venv) and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME := $(VENV)/.installed-runtime
TESTING := $(VENV)/.installed-test
# axe-core, the accessibility checker the browser tests run in Chromium (from the npm registry, never a CDN).
AXE_VERSION := 4.10.3
AXE := .cache/npm/node_modules/axe-core/axe.min.js

.PHONY: help build serve test check lint bench clean translations

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'

# pip and setuptools talk a lot even when quiet (notes on editable installs): their output goes to a log,
# shown only when an install fails.
INSTALL = $(PY) -m pip install --quiet --disable-pip-version-check
LOG = $(VENV)/install.log

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(INSTALL) --upgrade pip > $(LOG) 2>&1 || (cat $(LOG); exit 1)

$(RUNTIME): pyproject.toml | $(VENV)/bin/python
	@echo "Installing the generator and its dependencies into $(VENV)"
	@$(INSTALL) -e . > $(LOG) 2>&1 || (cat $(LOG); exit 1)
	@touch $@

$(TESTING): pyproject.toml $(RUNTIME)
	@echo "Installing the test tools into $(VENV)"
	@$(INSTALL) -e '.[test]' > $(LOG) 2>&1 || (cat $(LOG); exit 1)
	@touch $@

build: $(RUNTIME) ## build content/ into public/
	$(PY) -m generator build

serve: $(RUNTIME) ## preview with live reload on http://127.0.0.1:8000/ (builds into .preview/, never public/)
	$(PY) -m generator serve --unpublished

lint: $(TESTING) ## ruff and mypy
	$(PY) -m ruff check generator tests bench
	$(PY) -m mypy

$(AXE):
	npm install --silent --no-audit --no-fund --no-save --prefix .cache/npm axe-core@$(AXE_VERSION)

test: lint $(AXE) ## lint, type checks and the whole test suite
	$(PY) -m pytest

check: lint ## while working: lint, types, unit and fast site tests (no browser, no slow tests), in about a minute
	$(PY) -m pytest -q -m "not slow and not browser" -p no:cacheprovider tests/unit tests/site

LOCALE := generator/locale
translations: $(RUNTIME) ## update the strings' template (messages.pot) and every catalog from the templates and code
	$(VENV)/bin/pybabel -q extract -F $(LOCALE)/babel.cfg -k translate -k plural_forms:1,2 -o $(LOCALE)/messages.pot \
		--no-location --sort-output --project=newsdigest --copyright-holder="newsdigest authors" .
	@for po in $(wildcard $(LOCALE)/*.po); do \
		$(VENV)/bin/pybabel -q update -i $(LOCALE)/messages.pot -o $$po -l $$(basename $$po .po) --no-fuzzy-matching \
			|| exit 1; done

bench: $(TESTING) ## build-speed benchmark (tmpfs)
	$(PY) bench/bench.py

clean: ## remove the built site, the preview, caches and build debris
	rm -rf public .preview .cache .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist *.egg-info
	rm -rf .public.staging-* .public.trash-* .preview.staging-* .preview.trash-*  # left by an interrupted build
	find . -name __pycache__ -type d -prune -not -path './$(VENV)/*' -exec rm -rf {} +
