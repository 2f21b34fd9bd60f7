# Habitual commands in one place. Each target uses the project's .venv (created on first use).
VENV ?= .venv
PY := $(VENV)/bin/python

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -e ".[dev]"

.PHONY: install test lint ingest
install: $(PY)

test: $(PY)
	$(PY) -m pytest -q

lint: $(PY)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

ingest: $(PY)
	$(PY) -m assistant ingest

.PHONY: eval
eval: $(PY)
	$(PY) -m assistant eval

.PHONY: audit lock
audit: $(PY)
	bash .ci/audit

lock: $(PY)
	$(PY) -m pip freeze --exclude-editable > requirements.lock

.PHONY: bench
bench: $(PY)
	$(PY) -m assistant bench
