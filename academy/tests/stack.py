"""Real processes for tests: gunicorn, Celery workers and nginx on the test database and Redis."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = ROOT / "deploy" / "nginx" / "academy.conf"


def database_url() -> str:
    """Return a URL of the database this test runs on (pytest-django's test database)."""
    db = settings.DATABASES["default"]
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: this test's database, Redis, key and media folder."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "MEDIA_ROOT": settings.MEDIA_ROOT,
        "DB_CONN_MAX_AGE": "0",
        **extra,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, *, timeout: float, what: str, step: float = 0.1):
    """Poll `condition` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Proc:
    """A child process in its own process group, its output in a log file."""

    def __init__(self, name: str, args: list[str], *, env: dict, log_dir: Path):
        self.name, self.args, self.env = name, args, env
        self.log = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        os.kill(self.proc.pid, sig)

    def stop(self, *, timeout: float = 20) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def gunicorn(*, port: int, log_dir: Path, env: dict, workers: int = 2) -> Proc:
    proc = Proc("gunicorn", [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "academy" / "gunicorn_conf.py"),
                             "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "academy.wsgi:application"],
                env=env, log_dir=log_dir)
    wait_for(lambda: port_open(port) or not proc.alive(), timeout=60, what="gunicorn")
    assert proc.alive(), proc.tail()
    return proc


def celery_worker(name: str, *, queues: str, log_dir: Path, env: dict, concurrency: int = 1) -> Proc:
    """Start `celery -A academy worker` (prefork, as in production) and wait until it is ready."""
    proc = Proc(name, [sys.executable, "-m", "celery", "-A", "academy", "worker", "-Q", queues,
                       "-n", f"{name}-{os.getpid()}@%h", f"--concurrency={concurrency}", "--without-gossip",
                       "--without-mingle", "--loglevel=INFO"], env=env, log_dir=log_dir)
    wait_for(lambda: " ready." in proc.tail(100_000) or not proc.alive(), timeout=60, what=f"worker {name}")
    assert proc.alive(), proc.tail()
    return proc


def nginx(*, port: int, upstream_port: int, work: Path, stream_port: int | None = None) -> Proc:
    """Run deploy/nginx/academy.conf, unchanged but for its ports, with Debian's nginx.

    stream_port: where the ASGI server of the progress stream listens (none: that path fails).
    """
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    site = NGINX_CONF.read_text().replace("listen 80;", f"listen 127.0.0.1:{port};").replace(
        "server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};").replace(
        "server 127.0.0.1:8001;", f"server 127.0.0.1:{stream_port or free_port()};").replace(
        # Not on port 80 here: pass the port on too, or the app's absolute URLs (signed HLS
        # links) would point at port 80.
        "proxy_set_header Host $host;", "proxy_set_header Host $http_host;")
    (work / "academy.conf").write_text(site)
    user = "user root;" if os.geteuid() == 0 else ""  # root: workers as root, to use these temp folders
    (work / "nginx.conf").write_text(f"""
        daemon off; {user} worker_processes 1; pid {work}/nginx.pid; error_log {work}/error.log warn;
        events {{ worker_connections 512; }}
        http {{
            access_log off;
            client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;
            fastcgi_temp_path {work}/fastcgi; uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
            include {work}/academy.conf;
        }}""")
    proc = Proc("nginx", [binary, "-c", str(work / "nginx.conf"), "-p", str(work)], env=dict(os.environ),
                log_dir=work)
    wait_for(lambda: port_open(port) or not proc.alive(), timeout=20, what="nginx")
    assert proc.alive(), proc.tail() + (work / "error.log").read_text(errors="replace")
    return proc


class SlowLoris(threading.Thread):
    """A client that sends its request a byte at a time, once a second, until stopped."""

    def __init__(self, port: int, request: bytes):
        super().__init__(daemon=True)
        self.port, self.request, self.stopped = port, request, threading.Event()

    def run(self):
        with socket.create_connection(("127.0.0.1", self.port)) as sock:
            for i in range(len(self.request)):
                if self.stopped.wait(1.0 if i else 0):
                    return
                try:
                    sock.sendall(self.request[i:i + 1])
                except OSError:
                    return
