# Quick start: `make demo` serves the app with demo data; `make test` runs the whole suite.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Two workers: most tests wait on sockets (the ERP sandboxes, the browser), so two processes
# keep both cores busy. Tests are handed out one at a time: by default xdist hands a worker up to
# half of what is left at once, and one worker could end the run alone on a batch of browser
# tests while the other sat idle (tests/conftest.py starts the long tests first).
# `make test PYTEST_ARGS=-p no:xdist` runs them one by one.
PYTEST_ARGS ?= -n 2 --dist load --maxschedchunk 1

.PHONY: demo test lint bench reliability install browser axe clean

$(PY):
	@interpreter=""; \
	for candidate in "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 python3.13 python3.12 python3.14 python3; do \
	  if command -v "$$candidate" >/dev/null 2>&1 && "$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	    interpreter="$$candidate"; break; \
	  fi; \
	done; \
	if [ -z "$$interpreter" ]; then \
	  echo "No Python 3.12 or newer found. Install one (for example 'pyenv install 3.12') and run make again." >&2; exit 1; \
	fi; \
	echo "Creating $(VENV) with $$("$$interpreter" --version) ($$interpreter)"; \
	"$$interpreter" -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Browser tests use Debian's Chromium; Playwright's own browser download is never used.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# The accessibility rules the browser tests run (axe-core from the npm registry, pinned by the
# lock file), installed once into tests/e2e/axe/node_modules.
AXE := tests/e2e/axe/node_modules/axe-core/axe.min.js
$(AXE): tests/e2e/axe/package.json tests/e2e/axe/package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "Installing Debian's npm for the accessibility check"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	fi
	npm ci --no-audit --no-fund --prefix tests/e2e/axe
	@touch $@

axe: $(AXE)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

# Tests run with production-like settings (DEBUG off) and a throwaway key unless one is given.
# The workflow's tests (tests/approvals) run with no ERP installed (ERP_APPS empty), against
# scripted ones, which proves the workflow needs none; the rest run with every ERP we ship.
TEST_ENV := SECRET_KEY="$${SECRET_KEY:-test-only-secret-key-not-for-production-use}" \
	DJANGO_ALLOW_ASYNC_UNSAFE=true
test: $(STAMP) browser $(AXE) lint
	$(TEST_ENV) ERP_APPS= $(PY) -m pytest tests/approvals $(PYTEST_ARGS)
	$(TEST_ENV) $(PY) -m pytest --ignore=tests/approvals $(PYTEST_ARGS)

# `make demo ERP=xero` runs it on the local Xero (port 8020) instead of QuickBooks Online;
# `make demo ERP=quickbooks_desktop` on the local QuickBooks Desktop, its Web Connector polling
# every 5 s as `qbwc` (password DEMO_PASSWORD; control API on port 8030).
demo: $(STAMP)
	DEBUG=true $(PY) manage.py demo $(if $(ERP),--erp $(ERP))

# Each ERP's fault matrix and a longer soak (SOAK_SECONDS each) against its sandbox on
# PostgreSQL; rewrites docs/reliability.md.
reliability: $(STAMP)
	RELIABILITY_REPORT=1 SOAK_SECONDS="$${SOAK_SECONDS:-120}" \
	SECRET_KEY="$${SECRET_KEY:-test-only-secret-key-not-for-production-use}" \
	DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}" \
	$(PY) -m pytest tests/reliability -p no:xdist -q -s

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) db.sqlite3* var/ tests/e2e/axe/node_modules
