# Mediasi: `make run` serves the app on SQLite with demo users; `make test` runs every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
VENDOR := webapp/static/vendor
CHROMIUM ?= /usr/bin/chromium

.PHONY: install assets browser pdf run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

# Front-end libraries come pinned from the npm registry (package-lock.json) and are served by the
# app itself: nothing is loaded from a CDN at run time. axe-core (a dev dependency) is copied for the
# browser tests only, which inject it into the page; no template loads it.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(VENDOR)/.copied: $(NODE_STAMP) Makefile
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/bpmn-js
	cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js $(VENDOR)/bpmn-js/
	cp node_modules/bpmn-js/dist/bpmn-modeler.production.min.js $(VENDOR)/bpmn-js/
	cp -r node_modules/bpmn-js/dist/assets/. $(VENDOR)/bpmn-js/
	mkdir -p $(VENDOR)/axe-core && cp node_modules/axe-core/axe.min.js $(VENDOR)/axe-core/
	touch $@

assets: $(VENDOR)/.copied

# Browser tests drive Debian's Chromium; install it when missing and we may (root).
browser:
	@if [ ! -x $(CHROMIUM) ] && [ "$$(id -u)" = 0 ]; then \
		apt-get install -y -q chromium >/dev/null || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null); \
	fi
	@[ -x $(CHROMIUM) ] || echo "Chromium tidak ada di $(CHROMIUM): uji peramban akan dilewati (gagal bila CI=true)."

# Letters are rendered by WeasyPrint, which needs Pango, in the Arial-metric Liberation fonts;
# install them when missing and we may (root).
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation
pdf:
	@if { ! ldconfig -p | grep -q libpangoft2-1.0 || ! fc-list 2>/dev/null | grep -q LiberationSans; } && [ "$$(id -u)" = 0 ]; then \
		apt-get install -y -q $(PDF_PACKAGES) >/dev/null || (apt-get update -q >/dev/null && apt-get install -y -q $(PDF_PACKAGES) >/dev/null); \
	fi
	@ldconfig -p | grep -q libpangoft2-1.0 || echo "Pango tidak ada: surat PDF tidak dapat dibuat (pasang $(PDF_PACKAGES))."

run: install assets pdf
	$(BIN)/mediasi init --demo
	$(BIN)/mediasi serve --host 127.0.0.1 --port 5000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check engine webapp cli tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Tests run in TEST_WORKERS processes (pytest-xdist); each has its own SQLite files and its own
# PostgreSQL schema. TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2

test: lint assets browser pdf
	$(BIN)/pytest -n $(TEST_WORKERS)

bench: install
	$(BIN)/python -m bench.engine_bench
	$(BIN)/python -m bench.audit_bench
	$(BIN)/python -m bench.statistics_bench
	$(BIN)/python -m bench.script_bench
	$(BIN)/python -m bench.list_bench
	$(BIN)/python -m bench.load_bench

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache *.egg-info
