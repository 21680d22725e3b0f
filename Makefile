# `make run`: the whole system (web console + scheduler) on SQLite with demo data.
# `make test`: ruff, then every test (SQLite; PostgreSQL too when TEST_DATABASE_URL is set).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export HOTLINE_CONFIG ?= development
export FLASK_APP := wsgi

.PHONY: run test lint tools bench bench-quick translations messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

translations: $(VENV)/.runtime
	@$(BIN)/pybabel compile --statistics -d translations

run: $(VENV)/.runtime translations
	$(BIN)/flask db upgrade
	$(BIN)/flask hotline seed-demo
	PORT=$(PORT) $(BIN)/python -m hotline.devrun

lint: $(VENV)/.dev
	$(BIN)/ruff check .

# Prism (Twilio's spec as a checking mock) from the npm registry, if npm is here.
tools:
	@if command -v npm >/dev/null 2>&1; then \
	  test -x .tools/node_modules/.bin/prism || (mkdir -p .tools && cd .tools && \
	    npm install --no-audit --no-fund --silent @stoplight/prism-cli@5.16.0) \
	    || echo "WARNING: could not install Prism; Twilio contract tests will be skipped"; \
	else echo "WARNING: npm not found; Twilio contract tests will be skipped"; fi

test: $(VENV)/.dev translations tools
	$(BIN)/ruff check .
	HOTLINE_CONFIG=testing $(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.dev translations tools
	$(BIN)/python -m bench $(BENCH_ARGS)
	$(BIN)/python -m bench.suggest_accuracy
	$(BIN)/python -m bench.uploads
	$(BIN)/python -m bench.journey
	$(BIN)/python -m bench.knowledge_search

bench-quick:
	$(MAKE) bench BENCH_ARGS=--quick

clean:
	rm -rf $(VENV) .tools instance .pytest_cache

# After adding user-facing strings: refresh the catalogue, then translate the new zh entries.
messages: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_pgettext:1c,2 -o translations/messages.pot --no-location --sort-output --project hotline hotline intake routing followup templates
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
