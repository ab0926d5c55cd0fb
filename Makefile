# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint install worker messages bench bench-scale load clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	mkdir -p var
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed
	@echo "Serving on http://127.0.0.1:8000 (a background worker sends the e-mails to this console)"
	DEBUG=1 $(PY) manage.py db_worker --queue-name '*' --interval 1 & worker=$$!; \
	( while true; do DEBUG=1 $(PY) manage.py expire_offers -v0; DEBUG=1 $(PY) manage.py send_reminders -v0; \
	  DEBUG=1 $(PY) manage.py follow_up -v0; \
	  sleep 300; done ) & clock=$$!; \
	trap 'kill $$worker $$clock 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

messages: $(STAMP)
	$(PY) manage.py makemessages -l fi -l sv --no-obsolete --add-location file
	$(PY) manage.py compilemessages --ignore .venv

# Benchmarks (docs/benchmarks.md). The data sets are seeded once and reused: SQLite files under var/,
# or <name>_bench_small/_large databases when DATABASE_URL names PostgreSQL.
# `make bench` times every page at the demo size and at 10,000 experts / 100,000 requests in one run;
# `make bench-scale` compares the matching pages at 30,000 experts with 10,000;
# `make load` runs Locust (20 users, 60 s) against gunicorn on PostgreSQL with the large data set.
bench: $(STAMP)
	$(PY) manage.py bench $(BENCH_ARGS)

bench-scale: $(STAMP)
	$(PY) manage.py bench --small-experts 10000 --small-requests 100000 --experts 30000 --requests 100000 \
		--pages matching,excluded $(BENCH_ARGS)

load: $(STAMP)
	$(PY) manage.py loadtest $(LOAD_ARGS)

clean:
	rm -rf $(VENV) var
