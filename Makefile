# Two commands on a fresh machine: `make run` (demo) and `make test` (whole suite).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell scripts/find-python)
# The templates djLint formats and checks (its settings are in pyproject.toml).
# formulation/templates and monitoring/templates join once they are formatted.
TEMPLATES := templates referrals/templates formulation/templates reviews/templates \
             supervision/templates monitoring/templates

.PHONY: run test lint install install-dev format clean bench-report bench-reminders bench loadtest

# pip says only what went wrong (-qq: errors, not warnings or progress).
PIP := $(PY) -m pip --disable-pip-version-check -qq

$(PY):
	@test -n "$(PYTHON)" || { echo "error: no suitable Python found (see scripts/find-python)"; exit 1; }
	@echo "Creating the virtual environment in $(VENV) with $(PYTHON)..."
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	@echo "Installing the product's Python packages (the first time about a minute)..."
	@$(PIP) install -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	@echo "Installing the product's and the tests' Python packages (the first time about a minute)..."
	@$(PIP) install -e ".[dev]"
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Serve the demo at http://127.0.0.1:$${PORT:-8000} with worker and beat (SQLite, no servers).
run: install
	@scripts/install-system-packages run
	@scripts/run-demo

## Run the whole test suite on real PostgreSQL, Redis and Chromium (installed with apt-get
## when missing, as root). ARGS go to pytest.
test: install-dev
	@scripts/install-system-packages test
	scripts/run-tests $(ARGS)

## Static checks: ruff, templates formatted and linted (djLint), the apps' import layers and
## no import cycles (import-linter), the Welsh catalogue complete (scripts/i18n check),
## migrations up to date, compose file valid.
lint: install-dev
	@scripts/install-system-packages lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint --check --lint $(TEMPLATES)
	@! grep -rnE --include='*.html' '.{121,}' $(TEMPLATES) || { echo "error: template lines over 120 characters (above)"; exit 1; }
	$(VENV)/bin/lint-imports --no-cache
	$(PY) scripts/i18n check
	DJANGO_SETTINGS_MODULE=ecm.settings.development $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=ecm.settings.development $(PY) manage.py spectacular --validate --fail-on-warn --file /tmp/ecm-api-schema.yaml
	@cmp -s /tmp/ecm-api-schema.yaml api/schema.yaml || { echo "error: api/schema.yaml is stale: cp /tmp/ecm-api-schema.yaml api/schema.yaml"; exit 1; }
	ECM_ENV_FILE=.env.example docker-compose --env-file .env.example config --quiet

## Time the report PDF for a heavy case (300 timeline events, 40 family members); leaves no data.
bench-report: install-dev
	@scripts/install-system-packages run
	DJANGO_SETTINGS_MODULE=ecm.settings.development $(PY) manage.py migrate --noinput -v0
	$(PY) scripts/bench_report_pdf.py

## Time the reminder sweep over 20,000 active cases (CASES=N to change); leaves no data.
bench-reminders: install-dev
	DJANGO_SETTINGS_MODULE=ecm.settings.development $(PY) manage.py migrate --noinput -v0
	$(PY) scripts/bench_reminders.py --cases $${CASES:-20000}

## Time the manager dashboard on a large generated dataset (throwaway PostgreSQL unless
## DATABASE_URL is set; BENCH_CHILDREN=N etc. to change its size), against its own SQL, a
## minimal page and a case page. ARGS go to scripts/bench_dashboard.py.
bench: install-dev
	@scripts/install-system-packages test
	scripts/run-bench $(ARGS)

## The capacity test (issue 22): gunicorn with 3 workers on loopback, production's settings over
## plain HTTP, locust's role mix signing in through the form: 1 user unloaded, then 50 users
## for 2 minutes and 100 for 1 (LOADTEST_* to change; docs/notes-loadtest.md). Exits 1 if a
## target fails.
loadtest: install-dev
	@scripts/install-system-packages test
	scripts/run-loadtest

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/djlint --reformat $(TEMPLATES)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
