# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Production and development dependencies are locked separately, with hashes (see README).
PROD_LOCK := requirements/production.txt
DEV_LOCK := requirements/development.txt
PROD_STAMP := $(VENV)/.installed-production
DEV_STAMP := $(VENV)/.installed-development
PIP_COMPILE := $(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url

.PHONY: run test lint types install install-production lock audit worker messages bench bench-scale load clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# `make run` needs only what production runs; `make test` adds the test and audit tools.
$(PROD_STAMP): $(PROD_LOCK) | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r $(PROD_LOCK)
	touch $@

$(DEV_STAMP): $(PROD_LOCK) $(DEV_LOCK) | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r $(PROD_LOCK) -r $(DEV_LOCK)
	touch $@ $(PROD_STAMP)

install: $(DEV_STAMP)

install-production: $(PROD_STAMP)

# Re-lock after changing pyproject.toml or requirements/development.in; existing pins are kept
# unless a range excludes them (`make lock PIP_COMPILE_ARGS=--upgrade` moves everything).
lock: $(DEV_STAMP)
	$(PIP_COMPILE) $(PIP_COMPILE_ARGS) --output-file $(PROD_LOCK) pyproject.toml
	$(PIP_COMPILE) $(PIP_COMPILE_ARGS) --output-file $(DEV_LOCK) requirements/development.in

# Known vulnerabilities in either lock (pip-audit); see .ci/audit.py for what is reported.
audit: $(DEV_STAMP)
	$(PY) .ci/audit.py $(PROD_LOCK) $(DEV_LOCK)

run: $(PROD_STAMP)
	mkdir -p var
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed
	@echo "Serving on http://127.0.0.1:8000 (a background worker sends the e-mails to this console)"
	DEBUG=1 $(PY) manage.py db_worker --queue-name '*' --interval 1 & worker=$$!; \
	DEBUG=1 $(PY) manage.py scheduler & scheduler=$$!; \
	trap 'kill $$worker $$scheduler 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

test: $(DEV_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .

# mypy with the Django plugin (settings in pyproject.toml): wrong model field names, None where a
# value is needed, wrong return types. DEBUG=1 so the settings load without production variables.
types: $(DEV_STAMP)
	DEBUG=1 $(VENV)/bin/mypy

messages: $(DEV_STAMP)
	$(PY) manage.py makemessages -l fi -l sv --no-obsolete --add-location file
	$(PY) manage.py compilemessages --ignore .venv

# Benchmarks (docs/benchmarks.md). The data sets are seeded once and reused: SQLite files under var/,
# or <name>_bench_small/_large databases when DATABASE_URL names PostgreSQL.
# `make bench` times every page at the demo size and at 10,000 experts / 100,000 requests in one run;
# `make bench-scale` compares the matching pages at 30,000 experts with 10,000;
# `make load` runs Locust (20 users, 60 s) against gunicorn on PostgreSQL with the large data set.
bench: $(DEV_STAMP)
	$(PY) manage.py bench $(BENCH_ARGS)

bench-scale: $(DEV_STAMP)
	$(PY) manage.py bench --small-experts 10000 --small-requests 100000 --experts 30000 --requests 100000 \
		--pages matching,excluded $(BENCH_ARGS)

load: $(DEV_STAMP)
	$(PY) manage.py loadtest $(LOAD_ARGS)

clean:
	rm -rf $(VENV) var
