#!/usr/bin/env python3
"""The scale-out suite (`make test-scale`): run by scripts/services.py --cluster --pgbouncer --moto.

Each stage is its own pytest run, because each points the settings at other servers:
  cluster    the progress and store tests, the rate limiter and metrics on the Redis Cluster
  pgbouncer  the PgBouncer module through PgBouncer in transaction pooling mode (statements
             counted in PostgreSQL through PgBouncer and direct, in one run)
  nodes      2 gunicorn web nodes + 2 Celery worker nodes over SQS, S3, the cluster and PgBouncer
Every stage runs even when an earlier one failed; the exit status says whether all passed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit

PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def stages(env: dict) -> list[tuple[str, list[str], dict]]:
    pooled = {"DATABASE_URL": env["PGBOUNCER_URL"], "PG_DIRECT_URL": env["DATABASE_URL"], "DB_TRANSACTION_POOLING": "1"}
    return [
        ("cluster",
         ["academy/progress", "academy/messaging/tests/test_ratelimit.py", "academy/tests/test_metrics.py"],
         # Progress on the cluster; the broker stays on its single Redis (it may not be a cluster).
         {"REDIS_URL": env["REDIS_CLUSTER_URL"], "CELERY_BROKER_URL": env["REDIS_URL"]}),
        # --reuse-db: PgBouncer keeps server connections to the test database open, so it
        # could not be dropped at the end (the throwaway server goes away anyway).
        ("pgbouncer", ["academy/tests/test_pgbouncer.py", "--reuse-db"],
         pooled),
        ("nodes", ["academy/tests/test_nodes.py", "--reuse-db"], {**pooled, **nodes_env(env)}),
    ]


def nodes_env(env: dict) -> dict:
    """Settings of every node: progress on the cluster, Celery over SQS, files in S3."""
    moto = urlsplit(env["MOTO_URL"])
    run = uuid.uuid4().hex[:8]  # queues and bucket of this run only
    return {
        "REDIS_URL": env["REDIS_CLUSTER_URL"],
        "CELERY_BROKER_URL": f"sqs://test:test@{moto.netloc}",
        "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps({
            "region": "us-east-1", "is_secure": False, "queue_name_prefix": f"academy-{run}-",
            # Short polls: the test waits on the queue, a deployment uses the 10 s long poll.
            "wait_time_seconds": 1, "polling_interval": 0.2,
        }),
        "STORAGE_BACKEND": "storages.backends.s3.S3Storage",
        "STORAGE_OPTIONS": json.dumps({
            "bucket_name": f"academy-{run}", "endpoint_url": env["MOTO_URL"], "region_name": "us-east-1",
            "access_key": "test", "secret_key": "test", "addressing_style": "path", "querystring_auth": True,
            "signature_version": "s3v4",
        }),
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
    }


def bucket_create(env: dict) -> None:
    """Create the run's bucket (a deployment's bucket exists before the app starts)."""
    import boto3

    options = json.loads(env["STORAGE_OPTIONS"])
    boto3.client("s3", endpoint_url=options["endpoint_url"], region_name="us-east-1",
                 aws_access_key_id="test", aws_secret_access_key="test").create_bucket(Bucket=options["bucket_name"])


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
        if "STORAGE_OPTIONS" in overrides:
            bucket_create(overrides)
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
