# KIT: `make run` starts the demo stack, `make test` runs every test. Both install first.
PY := .venv/bin/python
STAMP := .venv/.install-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test bench lint migrate demo messages clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q ".[dev]"
	touch $(STAMP)

install: $(STAMP)

.env: | $(STAMP)
	$(PY) scripts/write_env.py .env

migrate: install .env
	$(PY) manage.py migrate --noinput

# The demo gateways point at this site's own simulators, wherever HOST:PORT puts it.
export KIT_SIMULATOR_BASE_URL ?= http://$(HOST):$(PORT)

demo: migrate
	$(PY) manage.py load_demo

# Web (gunicorn, threaded), Celery worker and beat, started and stopped by scripts/run.py:
# one Ctrl-C stops all three (one SIGTERM each, then a wait) and leaves no process behind.
run: demo
	$(PY) manage.py collectstatic --noinput -v 0
	@echo "KIT on http://$(HOST):$(PORT)/  (demo users admin, support, senior, dealer, subdealer; password kit-demo; Ctrl-C stops)"
	@$(PY) scripts/run.py --host $(HOST) --port $(PORT)

test: install
	scripts/test.sh

bench: install
	scripts/bench.sh

lint: install
	.venv/bin/ruff check .

# Refresh the translation catalogues after changing user-facing strings (needs GNU gettext): each
# app with its own locale/ gets its code's and templates/<app>/ strings, locale/ the rest
# (scripts/messages.py, docs/translations.md).
messages: install
	$(PY) scripts/messages.py

clean:
	rm -rf var .venv staticfiles
