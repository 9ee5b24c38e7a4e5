#!/usr/bin/env python3
"""`make test-chaos`: the fault-injection suite (chaos/) on its own PostgreSQL and Redis.

Like scripts/services.py, but the suite may kill, freeze, flush and restart these servers,
so it is told how: CHAOS_PG_DATA (pg_ctl's data folder, as the postgres user when root),
CHAOS_REDIS_ARGS (the redis-server command line, JSON) and CHAOS_REDIS_DIR (where SAVE
writes the snapshot a restarted Redis loads). Everything is stopped afterwards.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _services():
    spec = importlib.util.spec_from_file_location("services", ROOT / "scripts" / "services.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    services = _services()
    root = tempfile.mkdtemp(prefix="academy-chaos-")
    os.chmod(root, 0o755)
    stop_pg = None
    redis_port = services.free_port(int(os.environ.get("CHAOS_REDIS_PORT", "27379")))
    redis_dir = os.path.join(root, "redis")
    os.makedirs(redis_dir)
    # Snapshots only when the suite asks (SAVE), loaded from redis_dir when it restarts Redis.
    redis_args = [shutil.which("redis-server") or "redis-server", "--bind", "127.0.0.1", "--port", str(redis_port),
                  "--save", "", "--appendonly", "no", "--dir", redis_dir, "--dbfilename", "dump.rdb",
                  *services.REDIS_TUNING]
    redis = None
    try:
        database_url, stop_pg = services.start_postgres(root)
        redis = subprocess.Popen(redis_args, stdout=subprocess.DEVNULL, start_new_session=True)
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
               "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0", "CHAOS_PG_DATA": os.path.join(root, "pg"),
               "CHAOS_REDIS_ARGS": json.dumps(redis_args), "CHAOS_REDIS_DIR": redis_dir,
               "SECRET_KEY": os.environ.get("SECRET_KEY", "chaos-only-not-secret")}
        print(f"chaos: DATABASE_URL={database_url} REDIS_URL={env['REDIS_URL']}", flush=True)
        return subprocess.run([sys.executable, "-m", "pytest", "chaos", "-p", "no:cacheprovider", *argv],
                              cwd=ROOT, env=env).returncode
    finally:
        # The suite may have replaced the Redis we started: stop whatever listens on the port.
        subprocess.run(["redis-cli", "-p", str(redis_port), "shutdown", "nosave"], capture_output=True)
        if redis is not None and redis.poll() is None:
            redis.kill()
        if stop_pg is not None:
            stop_pg()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
