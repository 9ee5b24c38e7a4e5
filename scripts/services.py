#!/usr/bin/env python3
"""Run a command with a throwaway PostgreSQL and Redis on loopback, stopped afterwards.

    python scripts/services.py -- pytest -q

DATABASE_URL / REDIS_URL already set in the environment are used as they are (nothing
is started for them). Servers started here live in a temporary directory on free ports
below 32768 and are stopped when the command ends, also when it fails or is interrupted.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


# As production should run it: a finished job's HASH (its result JSON is over the 64-byte
# default) stays in the compact listpack encoding, about 280 bytes instead of 520 (bench/memory).
REDIS_TUNING = ["--hash-max-listpack-value", "1024"]


def free_port(start: int) -> int:
    """Return a free loopback port at or after `start`, below the ephemeral range."""
    for port in range(start, 32000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise SystemExit(f"PostgreSQL's {name} not found: install postgresql (see .ci/run).")
    return candidates[-1]


def as_postgres(cmd: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def start_postgres(root: str) -> tuple[str, callable]:
    data = os.path.join(root, "pg")
    os.makedirs(data)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        os.chown(data, pw.pw_uid, pw.pw_gid)
    subprocess.run(as_postgres([pg_bin("initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                "--no-locale", "--no-sync"]), check=True, stdout=subprocess.DEVNULL)
    port = int(os.environ.get("TEST_PG_PORT", "25432"))
    for _ in range(10):
        # Another run may take the port between our check and the server's bind: try the next.
        port = free_port(port)
        opts = (f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c max_connections=300 -c shared_preload_libraries=pg_stat_statements")
        started = subprocess.run(as_postgres([pg_bin("pg_ctl"), "-D", data, "-l", os.path.join(data, "log"), "-w",
                                              "-o", opts, "start"]), stdout=subprocess.DEVNULL)
        if started.returncode == 0:
            break
        port += 1
    else:
        raise SystemExit(f"PostgreSQL did not start; see {os.path.join(data, 'log')}")
    url = f"postgres://postgres@127.0.0.1:{port}/postgres"

    def stop():
        subprocess.run(as_postgres([pg_bin("pg_ctl"), "-D", data, "-m", "immediate", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    return url, stop


def start_redis(root: str) -> tuple[str, callable]:
    server = shutil.which("redis-server")
    if not server:
        raise SystemExit("redis-server not found: install redis-server (see .ci/run).")
    port = int(os.environ.get("TEST_REDIS_PORT", "26379"))
    for _ in range(10):
        port = free_port(port)
        proc = subprocess.Popen([server, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                 "--appendonly", "no", "--dir", root, *REDIS_TUNING], stdout=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline and proc.poll() is None:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        if proc.poll() is None:
            break
        port += 1  # lost the port to another run: try the next
    else:
        raise SystemExit("redis-server did not start")
    url = f"redis://127.0.0.1:{port}/0"

    def stop():
        proc.terminate()
        proc.wait(timeout=10)

    return url, stop


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1:]
    if not argv:
        print(__doc__)
        return 2
    root = tempfile.mkdtemp(prefix="academy-services-")
    stops = []
    env = dict(os.environ)
    try:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"], stop = start_postgres(root)
            stops.append(stop)
        if not env.get("REDIS_URL"):
            env["REDIS_URL"], stop = start_redis(root)
            stops.append(stop)
        env.setdefault("CELERY_BROKER_URL", env["REDIS_URL"])
        print(f"services: DATABASE_URL={env['DATABASE_URL']} REDIS_URL={env['REDIS_URL']}", flush=True)
        proc = subprocess.Popen(argv, env=env)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.send_signal(signal.SIGINT)
            return proc.wait()
    finally:
        for stop in reversed(stops):
            stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
