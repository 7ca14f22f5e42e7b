# Relais — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
PYTEST_ARGS ?=

.PHONY: run test install install-dev migrate seed translations extract-messages lint audit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: tests/requirements.txt $(VENV)/.runtime
	$(BIN)/pip install -q -r tests/requirements.txt
	touch $@

install: $(VENV)/.runtime translations
install-dev: $(VENV)/.dev translations

## compile the French catalogue (app/translations/fr/LC_MESSAGES/messages.po -> .mo)
translations: $(VENV)/.runtime
	$(BIN)/pybabel compile -d app/translations

## refresh the catalogue after adding user-visible strings
extract-messages: $(VENV)/.runtime
	$(BIN)/pybabel extract -F app/translations/babel.cfg -k _l -o app/translations/messages.pot app templates
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

migrate: install
	$(FLASK) db-upgrade

seed: migrate
	$(FLASK) seed-demo --if-empty

## the embedded default: SQLite in instance/, demo company, emails in this console, and
## the job scheduler beside the web server (in production they are separate services)
run: seed
	@echo "Relais on http://127.0.0.1:$(PORT) (scheduler running beside it; Ctrl-C stops both)"
	@$(FLASK) jobs run & jobs=$$!; trap 'kill $$jobs 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check app tests migrations config.py wsgi.py

## bandit over app/ and pip-audit over the pinned requirements (own venv; CI runs it)
audit:
	test -x .venv-audit/bin/python || $(PYTHON) -m venv .venv-audit
	.venv-audit/bin/pip install -q -r .ci/audit-requirements.txt
	.venv-audit/bin/python .ci/audit.py

clean:
	rm -rf $(VENV) .venv-audit .pytest_cache
