#!/usr/bin/env python3
"""Run a command with a throwaway PostgreSQL and Redis on loopback, stopped afterwards.

    python scripts/services.py -- pytest -q
    python scripts/services.py --cluster --pgbouncer --moto -- python scripts/test_scale.py

DATABASE_URL / REDIS_URL already set in the environment are used as they are (nothing
is started for them). Servers started here live in a temporary directory on free ports
below 32768 and are stopped when the command ends, also when it fails or is interrupted.

The scale-out parts are started on request and named in the command's environment:
--cluster   a 3-master Redis Cluster            REDIS_CLUSTER_URL (redis+cluster://...)
--pgbouncer PgBouncer in transaction pooling    PGBOUNCER_URL (same database as DATABASE_URL)
--moto      moto's server: SQS and S3 on a port MOTO_URL (http://127.0.0.1:N)
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


def wait_port(port: int, proc: subprocess.Popen, *, timeout: float = 20) -> bool:
    """Wait until something listens on the loopback port; False if proc exits first."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


def start_redis_cluster(root: str, *, masters: int = 3) -> tuple[str, callable]:
    """Start a Redis Cluster of `masters` primaries (no replicas) and return its URL."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if not server or not cli:
        raise SystemExit("redis-server/redis-cli not found: install redis-server (see .ci/run).")
    procs: list[subprocess.Popen] = []

    def stop():
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()

    # Each node also listens on port + 10000 (the cluster bus): keep both below 32768.
    port = int(os.environ.get("TEST_REDIS_CLUSTER_PORT", "17001"))
    ports = []
    try:
        while len(ports) < masters:
            port = free_port(port)
            if port + 10000 >= 32768:
                raise SystemExit("no free ports for the Redis Cluster")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port + 10000)) == 0:
                    port += 1
                    continue
            node_dir = os.path.join(root, f"cluster-{port}")
            os.makedirs(node_dir)
            proc = subprocess.Popen([server, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                     "--appendonly", "no", "--dir", node_dir, "--cluster-enabled", "yes",
                                     "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000",
                                     *REDIS_TUNING], stdout=subprocess.DEVNULL)
            procs.append(proc)
            if wait_port(port, proc):
                ports.append(port)
            else:
                procs.pop()  # lost the port to another run: try the next
            port += 1
        subprocess.run([cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports),
                        "--cluster-replicas", "0", "--cluster-yes"], check=True, stdout=subprocess.DEVNULL)
        # Every node must agree before a client may rely on the slot map.
        deadline = time.time() + 20
        while True:
            states = [subprocess.run([cli, "-p", str(p), "cluster", "info"], capture_output=True, text=True).stdout
                      for p in ports]
            if all("cluster_state:ok" in state for state in states):
                break
            if time.time() > deadline:
                raise SystemExit("the Redis Cluster did not become ready")
            time.sleep(0.1)
    except BaseException:
        stop()
        raise
    return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in ports), stop


def start_pgbouncer(root: str, database_url: str) -> tuple[str, callable]:
    """Start PgBouncer in transaction pooling mode in front of database_url's server."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.path.exists(binary):
        raise SystemExit("pgbouncer not found: install pgbouncer (see .ci/run).")
    from urllib.parse import urlsplit

    target = urlsplit(database_url)
    conf_dir = os.path.join(root, "pgbouncer")
    os.makedirs(conf_dir)
    port = free_port(int(os.environ.get("TEST_PGBOUNCER_PORT", "26432")))
    with open(os.path.join(conf_dir, "userlist.txt"), "w") as f:
        f.write(f'"{target.username or "postgres"}" ""\n')
    with open(os.path.join(conf_dir, "pgbouncer.ini"), "w") as f:
        f.write(f"""[databases]
* = host={target.hostname} port={target.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {conf_dir}/userlist.txt
admin_users = {target.username or "postgres"}
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
; The one setting psycopg sends at connect time that PgBouncer does not track itself.
ignore_startup_parameters = extra_float_digits,options
logfile = {conf_dir}/pgbouncer.log
""")
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        pw = pwd.getpwnam("postgres")
        os.chown(conf_dir, pw.pw_uid, pw.pw_gid)
        for name in os.listdir(conf_dir):
            os.chown(os.path.join(conf_dir, name), pw.pw_uid, pw.pw_gid)
    # Its log goes to pgbouncer.log; runuser adds a line on stderr when stopped.
    proc = subprocess.Popen(as_postgres([binary, os.path.join(conf_dir, "pgbouncer.ini")]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_port(port, proc):
        raise SystemExit(f"pgbouncer did not start; see {conf_dir}/pgbouncer.log")
    url = target._replace(netloc=f"{target.username or 'postgres'}@127.0.0.1:{port}").geturl()

    def stop():
        proc.terminate()
        proc.wait(timeout=10)

    return url, stop


def start_moto(root: str) -> tuple[str, callable]:
    """Start moto's server (SQS and S3 on one port; `moto[s3,sqs]` of the test extra)."""
    port = free_port(int(os.environ.get("TEST_MOTO_PORT", "25000")))
    log = open(os.path.join(root, "moto.log"), "wb")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    if not wait_port(port, proc, timeout=60):
        raise SystemExit(f"moto's server did not start; see {root}/moto.log")

    def stop():
        proc.terminate()
        proc.wait(timeout=10)
        log.close()

    return f"http://127.0.0.1:{port}", stop


def main(argv: list[str]) -> int:
    options = set()
    if "--" in argv:
        options = set(argv[:argv.index("--")])
        argv = argv[argv.index("--") + 1:]
    unknown = options - {"--cluster", "--pgbouncer", "--moto"}
    if not argv or unknown:
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
        for option, name, start in (("--cluster", "REDIS_CLUSTER_URL", start_redis_cluster),
                                    ("--pgbouncer", "PGBOUNCER_URL", lambda r: start_pgbouncer(r, env["DATABASE_URL"])),
                                    ("--moto", "MOTO_URL", start_moto)):
            if option in options and not env.get(name):
                env[name], stop = start(root)
                stops.append(stop)
                print(f"services: {name}={env[name]}", flush=True)
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
