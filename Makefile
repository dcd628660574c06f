# Two commands on a fresh machine: `make run` (demo) and `make test` (whole suite).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell scripts/find-python)

.PHONY: run test lint install install-dev format clean bench-report bench-reminders bench

$(PY):
	@test -n "$(PYTHON)" || { echo "error: no suitable Python found (see scripts/find-python)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Serve the demo at http://127.0.0.1:$${PORT:-8000} with worker and beat (SQLite, no servers).
run: install
	scripts/run-demo

## Run the whole test suite on real PostgreSQL, Redis and Chromium. ARGS go to pytest.
test: install-dev
	scripts/run-tests $(ARGS)

## Static checks: ruff, migrations up to date, compose file valid.
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=ecm.settings.development $(PY) manage.py makemigrations --check --dry-run
	@command -v docker-compose >/dev/null || { echo "error: docker-compose not found. Install it: apt-get install docker-compose"; exit 2; }
	ECM_ENV_FILE=.env.example docker-compose --env-file .env.example config --quiet

## Time the report PDF for a heavy case (300 timeline events, 40 family members); leaves no data.
bench-report: install-dev
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
	scripts/run-bench $(ARGS)

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
