# Two commands do all set-up: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-py test-web test-e2e test-scale test-install test-chaos install web bench-cluster bench-poll bench-memory bench-video bench-import bench-redis-freeze bench-push bench-slow-clients clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

# Everything: the Python suite on a throwaway PostgreSQL and Redis, the web app's tests,
# the end-to-end test in headless Chromium, the scale-out suite, the bare-install check, then the chaos suite.
test: test-py test-web test-e2e test-scale test-install test-chaos

# The Python suite (or the DATABASE_URL/REDIS_URL servers); PYTEST_ARGS picks a part.
test-py: $(STAMP)
	SECRET_KEY=test-only-not-secret $(PY) scripts/services.py -- $(PY) -m pytest $(PYTEST_ARGS)

WEB_DEPS := web/node_modules/.package-lock.json
$(WEB_DEPS): web/package-lock.json
	cd web && npm ci --no-audit --no-fund

# Vitest, ESLint (types, hooks, and the import zones: features never import each other),
# then a check that the shipped build (web/dist) is exactly what the source builds.
test-web: $(WEB_DEPS)
	cd web && npx vitest run && npm run lint && npm run check-dist

# The real stack (throwaway PostgreSQL + Redis, Celery, gunicorn) driven by headless Chromium;
# screenshots, summary.json and server logs in artifacts/e2e/.
test-e2e: $(STAMP) $(WEB_DEPS)
	$(PY) scripts/e2e.py

# Beyond one machine (scripts/test_scale.py): a 3-master Redis Cluster, PgBouncer in
# transaction pooling mode and moto's SQS + S3 server, started here and stopped afterwards.
test-scale: $(STAMP)
	$(PY) scripts/services.py --cluster --pgbouncer --moto -- $(PY) scripts/test_scale.py $(PYTEST_ARGS)

# A bare `pip install .` in a fresh virtualenv runs gunicorn and a worker that encodes one
# video (no test extra, no editable install, outside the source tree). About 1-2 minutes.
test-install:
	$(PYTHON) scripts/check_install.py

# Faults on the real stack (Redis killed, frozen, flushed, restarted from an old snapshot;
# PostgreSQL restarted; workers killed mid-encode; a lost broker message), on its own
# PostgreSQL and Redis (scripts/chaos.py). About 6-8 minutes.
test-chaos: $(STAMP)
	$(PY) scripts/chaos.py -q -s

# Progress polls against a 3-master Redis Cluster vs one Redis, same run. About 2 minutes.
bench-cluster: $(STAMP)
	$(PY) bench/cluster/run.py

# Rebuild the shipped web app after changing web/src.
web: $(WEB_DEPS)
	cd web && npm run build

# Progress polls from Redis against polls from the DB; needs wrk (apt-get install wrk). 3-5 minutes.
bench-poll: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/poll/run.py

# Redis bytes per finished task, extrapolated to a million. About a minute.
bench-memory: $(STAMP)
	$(PY) bench/memory/run.py

# Our encoding pipeline against the same ffmpeg command run bare. About 3-4 minutes.
bench-video: $(STAMP)
	$(PY) bench/video/run.py

# The batched import against per-row get_or_create and django-import-export (baselines capped at
# 120 s a run, up to 10,000 rows: a stopped one gives a lower bound). About 8 minutes.
# The service's imports run in a bare `pip install .` (.venv-bare), as a worker does: the
# test extras' optional imports would add about 15 MB to the measured peak RSS.
bench-import: $(STAMP) .venv-bare/.installed
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/import/run.py --service-python .venv-bare/bin/python

.venv-bare/.installed: pyproject.toml
	test -x .venv-bare/bin/python || $(PYTHON) -m venv .venv-bare
	.venv-bare/bin/python -m pip install --quiet .
	touch $@

# What a frozen Redis adds to a progress read once the breaker opens. Under a minute.
bench-redis-freeze: $(STAMP)
	SECRET_KEY=bench-only $(PY) scripts/services.py -- $(PY) bench/redis_freeze/run.py

# Progress polls with slow-loris clients, through nginx (deploy/nginx) and against bare gunicorn. About 3 minutes.
bench-slow-clients: $(STAMP)
	SECRET_KEY=bench-only $(PY) scripts/services.py -- $(PY) bench/slow_clients/run.py

clean:
	rm -rf $(VENV) .venv-bare var

# Live progress over SSE to 1,000 / 5,000 / 10,000 viewers, beside the same viewers polling.
# About 8 minutes; writes docs/bench/push_*.png and bench/push/README.md's results.
bench-push: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/push/run.py
