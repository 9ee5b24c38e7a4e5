"""The chaos suite's stack: real PostgreSQL, Redis, gunicorn, a Celery worker and beat.

Run by `make test-chaos` (scripts/chaos.py), which starts PostgreSQL and Redis and says how
to restart them. Timeouts are short here so a fault resolves in seconds, not minutes:
heartbeat timeout 12 s, reconcile every 2 s. Waits are on conditions with generous
deadlines, never fixed sleeps, so a loaded machine makes the suite slower, not flaky.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis as redis_lib
from django.conf import settings

from academy.tests import stack

HEARTBEAT_TIMEOUT = 12
RECONCILE_INTERVAL = 2
CHILD_SETTINGS = {
    "PROGRESS_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT),
    "PROGRESS_RECONCILE_INTERVAL": str(RECONCILE_INTERVAL),
    "PROGRESS_PENDING_GRACE": "4",
    "VIDEO_PROGRESS_INTERVAL": "0.5",
    "VIDEO_TENANT_MAX_CONCURRENT": "0",
    "REDIS_SOCKET_TIMEOUT": "0.5",
    "LOG_LEVEL": "INFO",
}


def pytest_collection_modifyitems(items):
    if not os.environ.get("CHAOS_REDIS_ARGS"):
        skip = pytest.mark.skip(reason="run by `make test-chaos` (scripts/chaos.py), which owns the servers")
        for item in items:
            item.add_marker(skip)


class RedisServer:
    """The suite's Redis: kill it, freeze it, snapshot it, start it again on the same port."""

    def __init__(self):
        self.args = json.loads(os.environ["CHAOS_REDIS_ARGS"])
        self.port = int(self.args[self.args.index("--port") + 1])
        self.dir = Path(os.environ["CHAOS_REDIS_DIR"])

    def client(self) -> redis_lib.Redis:
        return redis_lib.Redis(port=self.port, socket_timeout=2, decode_responses=True)

    def pid(self) -> int:
        return int(self.client().info("server")["process_id"])

    def kill(self) -> None:
        pid = self.pid()
        os.kill(pid, signal.SIGKILL)
        stack.wait_for(lambda: not stack.port_open(self.port), timeout=20, what="Redis to die")

    def start(self) -> None:
        subprocess.Popen(self.args, stdout=subprocess.DEVNULL, start_new_session=True)
        stack.wait_for(self._answers, timeout=30, what="Redis to start")

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis_lib.RedisError:
            return False

    def snapshot(self) -> None:
        self.client().save()

    def drop_snapshot(self) -> None:
        (self.dir / "dump.rdb").unlink(missing_ok=True)


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer()
    yield server
    if not server._answers():  # leave it running for the runner's shutdown
        server.start()


def pg_restart() -> None:
    """Restart the suite's PostgreSQL (fast mode: open connections are cut, as in a failover)."""
    import glob
    import shutil

    pg_ctl = shutil.which("pg_ctl") or sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1]
    command = [pg_ctl, "-D", os.environ["CHAOS_PG_DATA"], "-m", "fast", "-w", "restart"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd="/")


class Stack:
    """gunicorn, one worker for both queues, and beat, on the test database."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        (tmp / "tmp").mkdir(exist_ok=True)
        self.env = stack.child_env(TMPDIR=str(tmp / "tmp"), **CHILD_SETTINGS)
        self.port = stack.free_port()
        self.web = stack.gunicorn(port=self.port, log_dir=tmp, env=self.env)
        self.worker = None
        self.worker_start()
        self.beat = stack.Proc("beat", [sys.executable, "-m", "celery", "-A", "academy", "beat", "--schedule", str(tmp / "beat-schedule"),
                                        "--loglevel=INFO"], env=self.env, log_dir=tmp)

    def worker_start(self) -> None:
        """Start the worker (what systemd's Restart=always does after it died)."""
        self.worker = stack.celery_worker("worker", queues=f"{settings.JOBS_QUEUE},{settings.VIDEO_QUEUE}",
                                          log_dir=self.tmp, env=self.env, concurrency=2)

    def stop(self) -> None:
        for proc in (self.beat, self.worker, self.web):
            if proc is not None:
                proc.stop()


@pytest.fixture
def chaos_stack(transactional_db, tmp_path, settings, redis_server):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PROGRESS_HEARTBEAT_TIMEOUT = HEARTBEAT_TIMEOUT
    running = Stack(tmp_path)
    try:
        yield running
    finally:
        running.stop()
