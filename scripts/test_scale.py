#!/usr/bin/env python3
"""The scale-out suite (`make test-scale`): run by scripts/services.py --cluster --pgbouncer --moto.

Each stage is its own pytest run, because each points the settings at other servers:
  cluster    the progress and store tests, the rate limiter and metrics on the Redis Cluster
  pgbouncer  the PgBouncer module through PgBouncer in transaction pooling mode (statements
             counted in PostgreSQL through PgBouncer and direct, in one run)
Every stage runs even when an earlier one failed; the exit status says whether all passed.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def stages(env: dict) -> list[tuple[str, list[str], dict]]:
    return [
        ("cluster",
         ["academy/progress", "academy/messaging/tests/test_ratelimit.py", "academy/tests/test_metrics.py"],
         # Progress on the cluster; the broker stays on its single Redis (it may not be a cluster).
         {"REDIS_URL": env["REDIS_CLUSTER_URL"], "CELERY_BROKER_URL": env["REDIS_URL"]}),
        # --reuse-db: PgBouncer keeps server connections to the test database open, so it
        # could not be dropped at the end (the throwaway server goes away anyway).
        ("pgbouncer", ["academy/tests/test_pgbouncer.py", "--reuse-db"],
         {"DATABASE_URL": env["PGBOUNCER_URL"], "PG_DIRECT_URL": env["DATABASE_URL"], "DB_TRANSACTION_POOLING": "1"}),
    ]


def main() -> int:
    env = dict(os.environ)
    missing = [name for name in ("REDIS_CLUSTER_URL", "PGBOUNCER_URL", "MOTO_URL") if not env.get(name)]
    if missing:
        print(f"test_scale: {', '.join(missing)} not set: run it through "
              "scripts/services.py --cluster --pgbouncer --moto (make test-scale)", file=sys.stderr)
        return 2
    env.setdefault("SECRET_KEY", "test-only-not-secret")
    failed = []
    for name, args, overrides in stages(env):
        print(f"\n=== test-scale: {name} ===", flush=True)
        started = time.monotonic()
        code = subprocess.run([*PYTEST, *args, *sys.argv[1:]], env={**env, **overrides}).returncode
        print(f"=== test-scale: {name}: {'passed' if code == 0 else 'FAILED'} "
              f"in {time.monotonic() - started:.0f} s ===", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"test-scale: failed stages: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
