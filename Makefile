# Two commands do all set-up: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test install web web-check bench-poll bench-memory bench-video bench-import clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

# Runs the whole suite on a throwaway PostgreSQL and Redis (or the ones DATABASE_URL/REDIS_URL name).
test: $(STAMP)
	SECRET_KEY=test-only-not-secret $(PY) scripts/services.py -- $(PY) -m pytest $(PYTEST_ARGS)

web:
	cd web && npm ci && npm run build

web-check:
	cd web && npm ci && npx vitest run && npm run check-dist

clean:
	rm -rf $(VENV) var
