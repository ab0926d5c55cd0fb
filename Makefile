# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint install worker messages bench clean

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
	  DEBUG=1 $(PY) manage.py retry_mail -v0; \
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

# Benchmarks: separate databases under var/, a table in docs/benchmarks.md (see that file).
bench: $(STAMP)
	mkdir -p var
	DEBUG=1 DATABASE_URL=sqlite:///var/bench-small.sqlite3 $(PY) manage.py bench --out var/bench-small.json
	DEBUG=1 DATABASE_URL=sqlite:///var/bench-large.sqlite3 $(PY) manage.py bench --experts 10000 --requests 100000 \
		--out var/bench-large.json
	$(PY) manage.py bench --out /dev/null --report var/bench-small.json var/bench-large.json

clean:
	rm -rf $(VENV) var
