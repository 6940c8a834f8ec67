# Case Tracker — developer and CI entry points.
#
#   make run     create the venv, compile translations, migrate, load demo data,
#                serve on http://127.0.0.1:5000
#   make test    run the test suite (PYTEST_ARGS="-k foo -x" to pass options)
#   make lint    ruff check
#   make bench   seed 10 000 and 1 000 000 cases, load-test under gunicorn with wrk against a bare baseline
#                (BENCH_SIZES=10000 for a quick run); writes docs/benchmarks.md
#   make clean   remove caches and compiled catalogs (keeps .venv; see distclean)

VENV ?= .venv
PY = $(VENV)/bin/python
PYTHON ?= python3
PYTEST_ARGS ?=
STAMP = $(VENV)/.installed
TRANSLATIONS_DIR = tracker/translations

# Config for the local commands (run, db upgrade, demo).
RUN_ENV = TRACKER_CONFIG=development

.PHONY: all venv install translations translations-update run test lint bench clean distclean

all: test

venv: $(STAMP)

install: $(STAMP)

# Reinstall only when the requirements change (or the venv is new).
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

translations: $(STAMP)
	@if [ -d $(TRANSLATIONS_DIR) ] && ls $(TRANSLATIONS_DIR)/*/LC_MESSAGES/*.po >/dev/null 2>&1; then \
		echo "$(VENV)/bin/pybabel --quiet compile -d $(TRANSLATIONS_DIR) -f"; \
		$(VENV)/bin/pybabel --quiet compile -d $(TRANSLATIONS_DIR) -f; \
	else \
		echo "no message catalogs under $(TRANSLATIONS_DIR), skipping compile"; \
	fi

# After adding user-facing strings: refresh the template and the catalogs, then translate the new entries.
translations-update: $(STAMP)
	$(VENV)/bin/pybabel --quiet extract -F babel.cfg -k _l -k lazy_gettext --ignore-dirs ".* __pycache__" -o $(TRANSLATIONS_DIR)/messages.pot .
	$(VENV)/bin/pybabel --quiet update -i $(TRANSLATIONS_DIR)/messages.pot -d $(TRANSLATIONS_DIR) --no-fuzzy-matching

run: venv translations
	mkdir -p instance
	$(RUN_ENV) FLASK_APP=wsgi $(VENV)/bin/flask db upgrade
	$(RUN_ENV) $(VENV)/bin/flask --app wsgi tracker demo
	$(RUN_ENV) $(VENV)/bin/flask --app wsgi run --host 127.0.0.1 --port 5000

test: venv translations
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .

bench: venv translations
	$(PY) -m bench.run

clean:
	rm -rf .pytest_cache .ruff_cache .hypothesis test-artifacts
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	find $(TRANSLATIONS_DIR) -name '*.mo' -delete 2>/dev/null || true

distclean: clean
	rm -rf $(VENV)
