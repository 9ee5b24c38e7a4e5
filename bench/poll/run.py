#!/usr/bin/env python3
"""bench/poll: progress polls served from Redis (ours) against polls that read the database
(the seed's design), side by side on the same machine in the same run.

    .venv/bin/python bench/poll/run.py            # about 3 minutes; prints the table, writes charts

Starts a throwaway PostgreSQL (pg_stat_statements preloaded) and Redis with
scripts/services.py, migrates, creates tenants, users, sessions, tokens and running and
finished jobs and videos through the services, then starts three servers of one kind
(--server: gunicorn gthread by default, as academy/gunicorn_conf.py; gunicorn sync; granian's
WSGI) with the same options:

  ours      academy.settings         GET /api/v1/jobs/<id>/progress/, /media/videos/<id>/progress/
  bare      bench.poll.bare_settings GET /bare/<status key>: one Django function view, no apps,
            no middleware, one HGETALL (the ceiling ours is measured against)
  baseline  bench.poll.settings      GET /bench/baseline/jobs|videos/<id>/progress/
            (session + auth middleware: session row, user row and task row read per poll)

--compare-servers runs ours and bare under every server kind instead (to pick the server).

For each concurrency N, wrk drives N connections against one server at a time (the order
alternates per N), after a short warm-up, for a bounded window. Per window: requests/s, p50
and p99 latency (wrk), SQL statements executed by PostgreSQL (pg_stat_statements, reset
before the window), PostgreSQL CPU seconds (utime+stime of every postgres process, plus the
postmaster's cutime+cstime for backends that exited), Redis commands (INFO commandstats).
Writes docs/bench/poll_*.png, docs/bench/poll.json and the results block of bench/poll/README.md.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from scripts import services  # noqa: E402

PY = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")
RESULTS_BEGIN = "<!-- results:begin (written by bench/poll/run.py) -->"
RESULTS_END = "<!-- results:end -->"


# --- processes and their CPU ------------------------------------------------------------------

def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name may hold spaces: split after its closing parenthesis.
    return [pid, *raw[raw.rindex(")") + 2:].split()]


def children(ppid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st and int(st[2]) == ppid:
                out.append(int(entry))
    return out


def cpu_seconds(pids: list[int], *, reaped_of: int | None = None) -> float:
    """Return utime+stime of the processes, plus cutime+cstime of `reaped_of` (its exited children)."""
    ticks = 0
    for pid in pids:
        st = _stat(pid)
        if st:
            # Fields 14 and 15 (1-based) of /proc/<pid>/stat: utime, stime; 16, 17: cutime, cstime.
            ticks += int(st[12]) + int(st[13])
            if pid == reaped_of:
                ticks += int(st[14]) + int(st[15])
    return ticks / CLK_TCK


def machine_busy_seconds() -> float:
    """Return the CPU seconds every core spent busy since boot (for "other load" on the machine)."""
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in parts[:8])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


class Postgres:
    """The throwaway server: its statement counter and the CPU of all its processes."""

    def __init__(self, url: str, data_dir: str):
        import psycopg

        self.conn = psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True)
        self.conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        self.postmaster = int(Path(data_dir, "postmaster.pid").read_text().split()[0])

    def cpu(self) -> float:
        # Backends come and go: live ones count themselves, exited ones were reaped by the postmaster.
        return cpu_seconds([self.postmaster, *children(self.postmaster)], reaped_of=self.postmaster)

    def cpu_background(self) -> float:
        """Return the CPU of the long-lived processes: postmaster, checkpointer, walwriter, launchers.

        Everything else (client backends, live or exited, and autovacuum workers) is the rest of cpu().
        """
        pids = [self.postmaster]
        for pid in children(self.postmaster):
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if not re.match(r"postgres: \S+ \S+ \d", title):  # a client is "postgres: user db 127.0.0.1(port)"
                pids.append(pid)
        return cpu_seconds(pids)

    def reset(self) -> None:
        self.conn.execute("SELECT pg_stat_statements_reset()")

    def statements(self) -> list[tuple[str, int]]:
        rows = self.conn.execute(
            "SELECT query, calls FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat_statements%' "
            "ORDER BY calls DESC").fetchall()
        return [(query, int(calls)) for query, calls in rows]


class Redis:
    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, decode_responses=True)
        self.pid = int(self.client.info("server")["process_id"])

    def commands(self) -> dict[str, int]:
        stats = self.client.info("commandstats")
        return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()
                if name not in ("cmdstat_info",)}

    def cpu(self) -> float:
        return cpu_seconds([self.pid])


@dataclass
class Server:
    name: str
    settings_module: str
    port: int
    proc: subprocess.Popen
    metrics_dir: str

    def pids(self) -> list[int]:
        return [self.proc.pid, *children(self.proc.pid)]

    def cpu(self) -> float:
        return cpu_seconds(self.pids())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.metrics_dir, ignore_errors=True)


def renice(pids: list[int], nice: int) -> None:
    """Give the bench's processes a priority of their own (root only), so the machine's other
    work disturbs the measurement less; servers and load generator get the same one.

    With autogroup scheduling (sched_autogroup_enabled) the kernel first shares the CPU
    between sessions, so the sessions' (autogroups') priority is raised too.
    """
    for pid in pids:
        try:
            os.setpriority(os.PRIO_PROCESS, pid, nice)
        except (PermissionError, ProcessLookupError):
            pass
        try:
            Path(f"/proc/{pid or os.getpid()}/autogroup").write_text(str(nice))
        except OSError:
            pass


def _preexec(nice: int):
    # Children share the bench's session (and autogroup); their own priority is set here.
    return (lambda: renice([0], nice)) if nice else None


SERVER_KINDS = ("gunicorn-sync", "gunicorn-gthread", "granian")


def server_command(kind: str, *, port: int, workers: int) -> list[str]:
    """Return the command line of a WSGI server of this kind serving academy.wsgi:application."""
    if kind == "granian":
        return [PY, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(workers), "--backlog", "4096", "--log-level", "warning", "--no-ws",
                "academy.wsgi:application"]
    command = [PY, "-m", "gunicorn", "academy.wsgi:application", "-c", str(ROOT / "academy" / "gunicorn_conf.py"),
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--backlog", "4096",
               "--log-level", "warning", "--chdir", str(ROOT)]
    # Explicit either way: the product's gunicorn_conf.py picks one of them by default.
    command += ["--worker-class", "gthread", "--threads", "4"] if kind == "gunicorn-gthread" else [
        "--worker-class", "sync"]
    return command


def server_start(name: str, settings_module: str, *, kind: str, port: int, workers: int, env: dict,
                 nice: int = 0) -> Server:
    metrics_dir = tempfile.mkdtemp(prefix=f"academy-bench-metrics-{name}-")
    env = {**env, "DJANGO_SETTINGS_MODULE": settings_module, "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
           "METRICS_ALLOWED_NETWORKS": "127.0.0.1/32"}  # the bench reads /metrics from loopback
    proc = subprocess.Popen(server_command(kind, port=port, workers=workers), env=env, cwd=ROOT,
                            preexec_fn=_preexec(nice))
    server = Server(name, settings_module, port, proc, metrics_dir)
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            server.stop()
            raise SystemExit(f"{kind} ({name}) exited with {proc.returncode}")
        try:
            status, _ = http_get(port, "/healthz")
            if status == 200 and len(children(proc.pid)) >= workers:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise SystemExit(f"{kind} ({name}) did not answer /healthz")


def http_get(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_idle(server: Server, *, timeout: float = 60.0) -> None:
    """Wait until the server has drained what a previous wrk left in its queue."""
    deadline = time.monotonic() + timeout
    last, still = server.cpu(), 0
    while time.monotonic() < deadline and still < 3:
        time.sleep(0.25)
        now = server.cpu()
        still = still + 1 if now == last else 0
        last = now


# --- the data the pollers read ----------------------------------------------------------------

IMPORT_RESULT = {"created": 97, "restored": 1, "skipped_existing": 2, "failed": [], "total": 100}


def seed(*, tenants: int, per_kind: int) -> list[dict]:
    """Create tenants with an owner each, and per tenant `per_kind` jobs and videos of each state.

    Returns per tenant: its token, its session cookie and its task ids.
    """
    import random

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection

    from academy.jobs import services as job_services
    from academy.jobs.models import Job
    from academy.jobs.selectors import job_ref, job_state
    from academy.progress.publish import publish
    from academy.progress.reporter import ProgressReporter
    from academy.tenants.models import Role
    from academy.tenants.services import tenant_create, user_create
    from academy.tenants.tokens import token_issue
    from academy.videos import services as video_services
    from academy.videos.models import Video
    from academy.videos.selectors import video_ref, video_state

    # The login's hash cost is not what is measured; the session's auth hash works the same.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    rng = random.Random(8)
    out = []
    for t in range(1, tenants + 1):
        tenant = tenant_create(name=f"Bench Academy {t}")
        user = user_create(username=f"bench-owner-{t}", password=secrets.token_urlsafe(16), tenant_id=tenant.pk,
                           role=Role.OWNER)
        token, _ = token_issue(user_id=user.pk, tenant_id=tenant.pk, role=Role.OWNER, ttl=6 * 3600)
        # A logged-in browser of the seed's system: a session row naming the user (and the tenant).
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session["tenant_id"] = tenant.pk
        session.create()

        jobs, videos = [], []
        for i in range(2 * per_kind):
            job = Job.objects.create(tenant=tenant, job_type="excel_student_import", payload={},
                                     created_by_id=user.pk)
            publish(job_ref(job), job_state(job))
            job_services.job_mark_processing(job_id=str(job.job_id), attempt=1)
            reporter = ProgressReporter(job_ref(job), attempt=1, min_interval=0, fields={"job_type": job.job_type},
                                        steps=[("reading the file", 1), ("creating students", 4), ("finishing", 1)])
            reporter.step(1)
            reporter.update(rng.random())
            if i % 2:
                job_services.job_complete(job_id=str(job.job_id), attempt=1, result=IMPORT_RESULT)
            jobs.append(str(job.job_id))

            video = Video.objects.create(tenant=tenant, title=f"Lecture {i + 1}", created_by_id=user.pk)
            publish(video_ref(video), video_state(video))
            video_services.video_mark_processing(video_id=video.pk, attempt=1)
            reporter = ProgressReporter(video_ref(video), attempt=1, min_interval=0,
                                        steps=[("probe", 1), ("transcode 360p+720p", 8), ("poster", 1),
                                               ("upload", 2)])
            reporter.step(1)
            reporter.update(rng.random())
            if i % 2:
                video_services.video_complete(video_id=video.pk, attempt=1,
                                              hls_path=f"videos/{tenant.pk}/{video.pk}/a1/master.m3u8",
                                              duration=1834.52)
            videos.append(str(video.pk))
        out.append({"tenant_id": tenant.pk, "token": token, "session": session.session_key,
                    "jobs": jobs, "videos": videos,
                    "job_keys": [status_key(job_ref(job)) for job in Job.objects.filter(tenant=tenant)],
                    "video_keys": [status_key(video_ref(video)) for video in Video.objects.filter(tenant=tenant)]})
    with connection.cursor() as cursor:
        # Do now what the server would otherwise do in the background during the windows:
        # vacuum and analyze what was just written, and flush it to disk.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
        # Polls only read: autovacuum has nothing to do for them, but its launcher still starts
        # a worker every minute, whose CPU would land in a window at random.
        cursor.execute("ALTER SYSTEM SET autovacuum = off")
        cursor.execute("SELECT pg_reload_conf()")
    connection.close()
    return out


def status_key(ref) -> str:
    """Return the Redis key of a task's status hash: what the bare view reads."""
    from academy.progress.keys import task_keys

    return task_keys(ref)[0]


def targets(data: list[dict], which: str) -> list[tuple[str, str, str]]:
    """Return (path, header name, header value) for every task, interleaving kinds and tenants."""
    rows = []
    for tenant in data:
        if which == "bare":
            header = ("Accept", "application/json")
            rows.append([(f"/bare/{quote(key, safe='')}", *header)
                         for pair in zip(tenant["job_keys"], tenant["video_keys"]) for key in pair])
            continue
        if which == "ours":
            header = ("Authorization", f"Bearer {tenant['token']}")
            jobs, videos = "/api/v1/jobs/{}/progress/", "/media/videos/{}/progress/"
        else:
            header = ("Cookie", f"sessionid={tenant['session']}")
            jobs, videos = "/bench/baseline/jobs/{}/progress/", "/bench/baseline/videos/{}/progress/"
        per_tenant = []
        for job_id, video_id in zip(tenant["jobs"], tenant["videos"]):
            per_tenant += [(jobs.format(job_id), *header), (videos.format(video_id), *header)]
        rows.append(per_tenant)
    return [row for group in zip(*rows) for row in group]


# --- one measured window ----------------------------------------------------------------------

@dataclass
class Window:
    server: str
    concurrency: int
    round: int
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    errors: dict = field(default_factory=dict)
    served: dict = field(default_factory=dict)
    polls: int = 0
    sql_statements: int = 0
    django_sql: int = 0
    sql_per_1000: float = 0.0
    sql_top: list = field(default_factory=list)
    pg_cpu_s: float = 0.0
    pg_cpu_background_s: float = 0.0
    redis_commands: int = 0
    redis_per_poll: float = 0.0
    redis_by_command: dict = field(default_factory=dict)
    redis_cpu_s: float = 0.0
    web_cpu_s: float = 0.0
    web_cpu_with_drain_s: float = 0.0
    wrk_cpu_s: float = 0.0
    wrk_threads: int = 1
    other_cpu_s: float = 0.0
    kind: str = ""


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def wrk(port: int, targets_file: Path, *, connections: int, seconds: float, threads: int,
        nice: int = 0) -> tuple[dict, float]:
    """Run wrk; return its summary and the CPU seconds wrk itself used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        ["wrk", "-t", str(min(threads, connections)), "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--timeout", "30s",
         "--latency", "-s", str(HERE / "poll.lua"), f"http://127.0.0.1:{port}", "--", str(targets_file)],
        capture_output=True, text=True, timeout=seconds + 60, preexec_fn=_preexec(nice))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = re.search(r"^WRKJSON (.*)$", proc.stdout, re.M)
    if proc.returncode != 0 or not match:
        raise SystemExit(f"wrk failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(match.group(1)), used


POLL_ENDPOINTS = {"job-progress", "video-progress", "baseline-job-progress", "baseline-video-progress"}


def served(server: Server) -> tuple[dict[str, int], float]:
    """Return the polls the server answered, by status, and the SQL its middleware counted.

    Read from the server's own /metrics (all workers, multiprocess mode).
    """
    from prometheus_client.parser import text_string_to_metric_families

    if server.name == "bare":
        return {}, 0.0  # no apps, no /metrics: its polls are wrk's count
    status, body = http_get(server.port, "/metrics")
    if status != 200:
        raise SystemExit(f"{server.name}: /metrics answered {status}")
    by_status: dict[str, int] = {}
    sql = 0.0
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.labels.get("endpoint") not in POLL_ENDPOINTS:
                continue
            if sample.name == "academy_http_request_seconds_count":
                by_status[sample.labels["status"]] = by_status.get(sample.labels["status"], 0) + int(sample.value)
            elif sample.name == "academy_http_sql_statements_sum":
                sql += sample.value
    return by_status, sql


def measure(server: Server, targets_file: Path, *, n: int, rnd: int, args, pg: Postgres, rds: Redis,
            servers: list[Server]) -> Window:
    # Warm up (code paths, DB connections) with a few connections, then let every server drain
    # its queue before counting: connections wrk leaves queued are still served after it exits.
    wrk(server.port, targets_file, connections=min(n, 50), seconds=args.warmup, threads=args.threads,
        nice=args.nice)
    for other in servers:
        wait_idle(other)

    pg.reset()
    polls0, django_sql0 = served(server)
    r0 = rds.commands()
    pg0, pgb0, web0, red0 = pg.cpu(), pg.cpu_background(), server.cpu(), rds.cpu()
    busy0, own0 = machine_busy_seconds(), _own_cpu()
    spies = profile_start(server, n=n, rnd=rnd, args=args)
    summary, wrk_cpu = wrk(server.port, targets_file, connections=n, seconds=args.duration, threads=args.threads,
                           nice=args.nice)
    for spy in spies:
        spy.wait(timeout=args.duration + 30)
    # CPU: the window itself. Counts: once the server has also answered what was still queued,
    # so statements and Redis commands are divided by exactly the polls that caused them.
    pg1, pgb1, web1, red1 = pg.cpu(), pg.cpu_background(), server.cpu(), rds.cpu()
    busy1, own1 = machine_busy_seconds(), _own_cpu()
    wait_idle(server)
    web_drained = server.cpu()
    statements = pg.statements()
    r1 = rds.commands()
    polls1, django_sql1 = served(server)

    w = Window(server=server.name, concurrency=n, round=rnd)
    w.requests = summary["requests"]
    w.seconds = summary["duration_us"] / 1e6
    w.rps = w.requests / w.seconds
    w.p50_ms, w.p90_ms, w.p99_ms, w.max_ms = (summary[k] / 1000 for k in ("p50_us", "p90_us", "p99_us", "max_us"))
    w.errors = {k: summary[k] for k in ("connect", "read", "write", "status", "timeout") if summary[k]}
    w.served = {k: v - polls0.get(k, 0) for k, v in polls1.items() if v - polls0.get(k, 0)}
    if server.name == "bare":
        w.served = {"200": w.requests - summary["status"]}
    w.polls = sum(w.served.values())
    w.sql_statements = sum(calls for _, calls in statements)
    w.sql_per_1000 = 1000 * w.sql_statements / max(1, w.polls)
    w.sql_top = [[" ".join(q.split())[:120], calls] for q, calls in statements[:6]]
    w.django_sql = round(django_sql1 - django_sql0)
    w.pg_cpu_s = pg1 - pg0
    w.pg_cpu_background_s = pgb1 - pgb0
    by_command = {name: r1.get(name, 0) - r0.get(name, 0) for name in r1}
    w.redis_by_command = {k: v for k, v in sorted(by_command.items(), key=lambda kv: -kv[1]) if v}
    w.redis_commands = sum(w.redis_by_command.values())
    w.redis_per_poll = w.redis_commands / max(1, w.polls)
    w.redis_cpu_s = red1 - red0
    w.web_cpu_s = web1 - web0
    w.web_cpu_with_drain_s = web_drained - web0
    w.wrk_cpu_s = wrk_cpu
    w.wrk_threads = min(args.threads, n)
    w.other_cpu_s = max(0.0, (busy1 - busy0) - (w.pg_cpu_s + w.redis_cpu_s + w.web_cpu_s + wrk_cpu + own1 - own0))
    return w


# --- where a poll's time goes: py-spy on the server's workers (--profile) ------------------------

def profile_start(server: Server, *, n: int, rnd: int, args) -> list[subprocess.Popen]:
    """Sample every worker of `server` with py-spy for the window (CPU only: idle threads left out)."""
    if not args.profile or server.name == "baseline":
        return []
    out = Path(args.profile)
    out.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen(
        [shutil.which("py-spy") or str(Path(PY).parent / "py-spy"), "record", "--pid", str(pid), "--rate", "250",
         "--duration", str(max(1, round(args.duration))), "--format", "raw", "--nonblocking",
         "--output", str(out / f"{server.name}-n{n}-r{rnd}-{pid}.txt")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for pid in children(server.proc.pid)]


PROFILE_GROUPS = [  # the first whose marker is in a frame's "(file:line)" names the group
    ("gunicorn (server, parsing, connections)", "(gunicorn/"),
    ("redis-py client (and its socket I/O)", "(redis/"),
    ("prometheus_client (metrics)", "(prometheus_client/"),
    ("DRF", "(rest_framework/"),
    ("Django", "(django/"),
    ("academy (poll code)", "(academy/"),
    ("bench view", "(bench/"),
]
# The frames that tell where a poll's time goes, counted with everything below them.
PROFILE_SPANS = [
    ("WSGI app (all the poll's work)", ("PollApp.__call__", "WSGIHandler.__call__")),
    ("Django's handler", ("WSGIHandler.__call__",)),
    ("PollApp's poll", ("PollApp._poll",)),
    ("the Redis call", ("Redis.execute_command", "Script.__call__", "Redis.hgetall")),
]


def profile_report(directory: Path) -> str:
    """Return, per server and N, where the workers' CPU samples fell: by group (self time) and top functions."""
    groups: dict[tuple[str, str], dict[str, int]] = {}
    functions: dict[tuple[str, str], dict[str, int]] = {}
    spans: dict[tuple[str, str], dict[str, int]] = {}
    for path in sorted(directory.glob("*.txt")):
        server, n = path.name.split("-")[:2]
        key = (server, n)
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames = stack.split(";")
            leaf = frames[-1]
            group = next((name for name, marker in PROFILE_GROUPS if marker in leaf),
                         "Python stdlib (threads, selectors, sockets)")
            groups.setdefault(key, {})[group] = groups.get(key, {}).get(group, 0) + int(count)
            names = {frame.split(" (")[0] for frame in frames}
            for span, markers in PROFILE_SPANS:
                if names.intersection(markers):
                    spans.setdefault(key, {})[span] = spans.get(key, {}).get(span, 0) + int(count)
            name = leaf.split(" (")[0] + " (" + leaf.rsplit("/", 1)[-1]
            functions.setdefault(key, {})[name] = functions.get(key, {}).get(name, 0) + int(count)
    lines = []
    for key in sorted(groups):
        total = sum(groups[key].values())
        lines.append(f"{key[0]} {key[1]}: {total} samples of the workers' busy threads (py-spy, 250 Hz; a thread "
                     "waiting for the GIL or in a system call counts as busy)")
        lines.append("  by the module of the innermost frame:")
        for group, count in sorted(groups[key].items(), key=lambda kv: -kv[1]):
            lines.append(f"  {100 * count / total:5.1f} %  {group}")
        lines.append("  with everything they called:")
        for span, _ in PROFILE_SPANS:
            if spans.get(key, {}).get(span):
                lines.append(f"  {100 * spans[key][span] / total:5.1f} %  {span}")
        lines.append("  top functions by own samples:")
        for name, count in sorted(functions[key].items(), key=lambda kv: -kv[1])[:12]:
            lines.append(f"  {100 * count / total:5.1f} %    {name}")
        lines.append("")
    return "\n".join(lines)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- report -----------------------------------------------------------------------------------

def aggregate(windows: list[Window], *, duration: float) -> dict[tuple[str, int], dict]:
    """Summarise the rounds of each (server, N): medians of rates and latencies, sums of counts.

    cycle_s is N / (req/s), the mean time a poller waits for each answer (Little's law). When
    it nears the window's length, wrk only sees the polls answered first, so its percentiles
    are censored: the real wait is longer (marked with ">").
    """
    groups: dict[tuple[str, int], list[Window]] = {}
    for w in windows:
        groups.setdefault((w.server, w.concurrency), []).append(w)
    out = {}
    for key, ws in groups.items():
        n = len(ws)
        errors: dict[str, int] = {}
        for w in ws:
            for k, v in w.errors.items():
                errors[k] = errors.get(k, 0) + v
        out[key] = {
            "requests": sum(w.requests for w in ws),
            # Medians: one window disturbed by the shared machine cannot move the figure.
            "rps": statistics.median(w.rps for w in ws),
            "rps_spread": (min(w.rps for w in ws), max(w.rps for w in ws)),
            "p50_ms": statistics.median(w.p50_ms for w in ws),
            "p99_ms": statistics.median(w.p99_ms for w in ws),
            "p99_spread": (min(w.p99_ms for w in ws), max(w.p99_ms for w in ws)),
            "errors": errors,
            "sql_statements": sum(w.sql_statements for w in ws),
            "polls": sum(w.polls for w in ws),
            "non_200": sum(v for w in ws for k, v in w.served.items() if k != "200"),
            "sql_per_1000": 1000 * sum(w.sql_statements for w in ws) / max(1, sum(w.polls for w in ws)),
            "pg_cpu_s": sum(w.pg_cpu_s for w in ws) / n,
            "pg_cpu_clients_s": sum(w.pg_cpu_s - w.pg_cpu_background_s for w in ws) / n,
            "redis_per_poll": sum(w.redis_commands for w in ws) / max(1, sum(w.polls for w in ws)),
            "web_cpu_ms_per_poll": 1000 * sum(w.web_cpu_with_drain_s for w in ws) / max(1, sum(w.polls for w in ws)),
            "other_cpu_s": sum(w.other_cpu_s for w in ws) / n,
            # wrk's CPU per second of window and per wrk thread: near 1.0 would mean wrk, not
            # the server, set the pace.
            "wrk_busy": sum(w.wrk_cpu_s / max(w.seconds, 1e-9) / max(1, w.wrk_threads) for w in ws) / n,
        }
        out[key]["cycle_s"] = key[1] / out[key]["rps"] if out[key]["rps"] else float("inf")
        out[key]["censored"] = out[key]["cycle_s"] > 0.8 * duration
    return out


def _verdict(other: str, mine: dict, base: dict) -> str:
    """Return issue 17's targets against this baseline, met or missed."""
    rps = mine["rps"] / base["rps"]
    if other == "bare":
        p99 = mine["p99_ms"] / base["p99_ms"]
        return (f"   targets: req/s >= 0.85x {'met' if rps >= 0.85 else 'MISSED'}, "
                f"p99 <= 1.2x {'met' if p99 <= 1.2 else 'MISSED'}")
    return f"   target: req/s >= 4x {'met' if rps >= 4 else 'MISSED'}"


def table(agg: dict, concurrencies: list[int], *, duration: float, rounds: int) -> str:
    head = (f"{'N':>5}  {'endpoint':<22} {'req/s':>7} {'min-max':>11} {'p50 ms':>7} {'p99 ms':>8} {'min-max':>13} "
            f"{'errors':>6} "
            f"{'polls':>7} {'SQL stmts':>9} {'SQL/1000':>8} {'PG CPU s':>8} {'Redis/poll':>10} {'web ms/poll':>11} "
            f"{'N/(req/s)':>9} {'other CPU s':>11} {'wrk busy':>8}")
    lines = [head, "-" * len(head)]
    names = sorted({name for name, _ in agg}, key=lambda name: (name.split("@")[-1], _ORDER.get(name.split("@")[0], 9)))
    for n in concurrencies:
        for name in names:
            a = agg[(name, n)]
            errors = sum(a["errors"].values()) + a["non_200"]
            lines.append(
                f"{n:>5}  {name:<22} {a['rps']:>7.0f} {'{:.0f}-{:.0f}'.format(*a['rps_spread']):>11} "
                f"{a['p50_ms']:>7.1f} "
                f"{('>' if a['censored'] else '') + format(a['p99_ms'], '.1f'):>8} "
                f"{'{:.0f}-{:.0f}'.format(*a['p99_spread']):>13} {errors:>6} "
                f"{a['polls']:>7} {a['sql_statements']:>9} {a['sql_per_1000']:>8.0f} {a['pg_cpu_s']:>8.2f} "
                f"{a['redis_per_poll']:>10.2f} {a['web_cpu_ms_per_poll']:>11.2f} {a['cycle_s']:>8.1f}s "
                f"{a['other_cpu_s']:>11.1f} {a.get('wrk_busy', 0):>8.2f}")
        for ours in (name for name in names if name.split("@")[0] == "ours"):
            suffix = ours[len("ours"):]
            for other in ("bare", "baseline"):
                base = agg.get((other + suffix, n))
                if base is None:
                    continue
                mine = agg[(ours, n)]
                # A censored p99 of the other side is a lower bound, so the ratio is an upper bound.
                p99_ratio = (("<" if base["censored"] and not mine["censored"] else "")
                             + f"{mine['p99_ms'] / base['p99_ms']:.2f}x")
                lines.append(f"{n:>5}  {'ours/' + other + suffix:<22} {mine['rps'] / base['rps']:>6.2f}x "
                             f"{'':>11} {'':>7} {p99_ratio:>8}{_verdict(other, mine, base)}")
        lines.append("")
    lines += [
        f"Each row: {rounds} window(s) of {duration:g} s; req/s, p50 and p99 are medians of the windows (req/s",
        "min-max beside), CPU means, counts their sums. errors: wrk socket errors and timeouts plus answers",
        "other than 200. polls: answered by the server (its /metrics; bare: wrk's count). SQL stmts: executed",
        "by PostgreSQL (pg_stat_statements). PG CPU s: all postgres processes, live and exited, per window",
        "(clock ticks of 0.01 s). web ms/poll: server CPU per poll. N/(req/s): mean wait per poll by Little's",
        "law; when it nears the window's length, wrk only sees the polls answered first and its percentiles",
        "are censored (p99 marked >). other CPU s: used by the rest of the machine during a window (noise).",
        "ours/bare, ours/baseline: ratio of req/s, of p99, and issue 17's targets (req/s >= 0.85x and p99",
        "<= 1.2x the bare view's; req/s >= 4x the baseline's). bare: one Django function view, no middleware,",
        "one HGETALL of the task's status hash (bench/poll/bare_views.py), same server and options.",
        "p99 min-max: the spread of the windows' p99. wrk busy: wrk's CPU per window second and wrk thread",
        "(near 1.00: wrk, not the server, would set the pace).",
    ]
    return "\n".join(lines)


_ORDER = {"ours": 0, "bare": 1, "baseline": 2}


def charts(agg: dict, concurrencies: list[int], out_dir: Path, *, note: str) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    specs = [
        ("poll_rps.png", "rps", "requests/s", "Requests per second (higher is better)"),
        ("poll_p99.png", "p99_ms", "p99 latency, ms", "p99 latency (lower is better)"),
        ("poll_sql.png", "sql_per_1000", "SQL statements per 1000 polls", "SQL statements per 1000 polls"),
        ("poll_pg_cpu.png", "pg_cpu_s", "CPU seconds per window", "PostgreSQL CPU seconds per measured window"),
    ]
    colours = {"ours": "#2a7ab9", "bare": "#8fbf5a", "baseline": "#c8553d"}
    labels = {"ours": "ours: token + Redis", "bare": "bare view: one HGETALL", "baseline": "baseline: session + DB"}
    present = [name for name in ("ours", "bare", "baseline") if (name, concurrencies[0]) in agg]
    written = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for filename, key, ylabel, title in specs:
        fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
        width = 0.8 / len(present)
        xs = range(len(concurrencies))
        top = 0.0
        for index, name in enumerate(present):
            offset = (index - (len(present) - 1) / 2) * width
            values = [agg[(name, n)][key] for n in concurrencies]
            bars = ax.bar([x + offset for x in xs], values, width, label=labels[name], color=colours[name])
            fmt = "{:.0f}" if key in ("rps", "sql_per_1000") or max(values) >= 100 else "{:.2f}" if key == "pg_cpu_s" \
                else "{:.1f}"
            texts = []
            for bar, n in zip(bars, concurrencies):
                text = fmt.format(agg[(name, n)][key])
                if key == "p99_ms" and agg[(name, n)]["censored"]:
                    bar.set_hatch("///")  # wrk saw only the polls answered first: the real p99 is higher
                    text = "> " + text
                texts.append(text)
            ax.bar_label(bars, labels=texts, fontsize=8, padding=2)
            top = max(top, max(values))
        ax.set_xticks(list(xs), [f"N = {n}" for n in concurrencies])
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        fig.text(0.01, 0.01, note, fontsize=6.5, color="#555555")
        ax.set_ylim(0, (top or 1) * 1.3)
        if key == "p99_ms" and any(a["censored"] for a in agg.values()):
            ax.text(0.01, 0.88, "hatched: N / (req/s) near the window's length, so wrk saw\nonly the first"
                    " answers: the real p99 is higher", transform=ax.transAxes, ha="left", va="top", fontsize=7,
                    color="#555555")
        ax.legend(frameon=False, fontsize=7, loc="upper left", ncols=3)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout(rect=(0, 0.04, 1, 1))
        path = out_dir / filename
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written


def readme_update(text: str) -> None:
    readme = HERE / "README.md"
    body = readme.read_text() if readme.exists() else f"# bench/poll\n\n{RESULTS_BEGIN}\n{RESULTS_END}\n"
    if RESULTS_BEGIN not in body:
        body += f"\n{RESULTS_BEGIN}\n{RESULTS_END}\n"
    start = body.index(RESULTS_BEGIN) + len(RESULTS_BEGIN)
    end = body.index(RESULTS_END)
    readme.write_text(body[:start] + "\n" + text + "\n" + body[end:])


def environment() -> dict:
    def version(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "?"

    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "postgres": version([services.pg_bin("postgres"), "--version"]),
        "redis": version(["redis-server", "--version"]),
        "wrk": version(["wrk", "-v"]) or "wrk",
    }


def replot(out_dir: Path) -> int:
    """Redraw the charts from a previous run's poll.json."""
    saved = json.loads((out_dir / "poll.json").read_text())
    options, env_info = saved["options"], saved["environment"]
    agg = {}
    for row in saved["aggregate"]:
        row = dict(row)
        agg[(row.pop("server"), row.pop("concurrency"))] = row
    concurrencies = sorted({n for _, n in agg})
    stamp = saved.get("date", "")
    for path in charts(agg, concurrencies, out_dir, note=chart_note(options, env_info, stamp)):
        print(f"wrote {path}")
    return 0


def chart_note(options: dict, env_info: dict, date: str) -> str:
    return (f"bench/poll/run.py: {options.get('server', 'gunicorn-sync')}, {options['workers']} workers per server, "
            f"wrk -t {options['threads']}, "
            f"{env_info['cpus']} vCPUs shared; median of {options['rounds']} x {options['duration']:g} s windows; {date}")


# --- main -------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", default="50,500", help="comma-separated N (default 50,500: issue 17's)")
    parser.add_argument("--duration", type=float, default=8, help="seconds of each measured window")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up before each window")
    parser.add_argument("--rounds", type=int, default=5, help="windows per (server, N): medians of 5 (at least 3)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of each server")
    parser.add_argument("--server", choices=SERVER_KINDS, default="gunicorn-gthread",
                        help="the WSGI server every compared endpoint runs under")
    parser.add_argument("--compare-servers", action="store_true",
                        help="ours and bare under each WSGI server kind, no baseline: to pick the server")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--tenants", type=int, default=4)
    parser.add_argument("--tasks", type=int, default=25, help="per tenant and kind: running and finished each")
    parser.add_argument("--nice", type=int, default=-10,
                        help="priority of servers and wrk when run as root (0: leave as is)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "bench"), help="where the charts go")
    parser.add_argument("--profile", metavar="DIR", default="",
                        help="sample ours' and bare's workers with py-spy during each window, print where their "
                             "CPU went (implies --no-write: sampling costs the servers CPU)")
    parser.add_argument("--no-write", action="store_true", help="print only: no charts, JSON or README")
    parser.add_argument("--replot", action="store_true", help="redraw the charts from <out>/poll.json, measure nothing")
    args = parser.parse_args()
    if args.replot:
        return replot(Path(args.out))
    if args.profile:
        args.no_write = True  # figures taken while sampled are not the README's
    if args.compare_servers:
        args.no_write = True  # a choice to make, not the figures of the README
    concurrencies = [int(n) for n in args.concurrency.split(",")]
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")

    # 2000 pollers need 2000 sockets in wrk and as many queued in gunicorn's backlog.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, min(hard, 65536))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < max(concurrencies) + 100:
        raise SystemExit(f"open-file limit {want} is below N={max(concurrencies)}: raise ulimit -n")
    somaxconn = int(Path("/proc/sys/net/core/somaxconn").read_text())
    if somaxconn < max(concurrencies):
        print(f"warning: net.core.somaxconn={somaxconn} < N: the kernel caps gunicorn's backlog", file=sys.stderr)

    os.environ.setdefault("TEST_PG_PORT", "27432")
    os.environ.setdefault("TEST_REDIS_PORT", "27379")
    load_start = _load()
    root = tempfile.mkdtemp(prefix="academy-bench-poll-")
    stops, servers = [], []
    started = time.monotonic()
    try:
        db_url, stop = services.start_postgres(root)
        stops.append(stop)
        redis_url, stop = services.start_redis(root)
        stops.append(stop)
        env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url,
               "SECRET_KEY": secrets.token_urlsafe(40), "LOG_LEVEL": "WARNING", "DEBUG": "0"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY",
                                               "LOG_LEVEL", "DEBUG")})
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.poll.settings"
        print(f"bench/poll: PostgreSQL {db_url}, Redis {redis_url}", flush=True)

        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        pg = Postgres(db_url, os.path.join(root, "pg"))
        rds = Redis(redis_url)
        # Backends forked later inherit the postmaster's priority.
        renice([pg.postmaster, *children(pg.postmaster), rds.pid, os.getpid()], args.nice)
        data = seed(tenants=args.tenants, per_kind=args.tasks)
        files = {}
        for which in ("ours", "baseline"):
            files[which] = Path(root, f"{which}.tsv")
            files[which].write_text("".join("\t".join(row) + "\n" for row in targets(data, which)))
        n_tasks = len(targets(data, "ours"))
        print(f"bench/poll: {args.tenants} tenants, {n_tasks} tasks (jobs and videos, half running, half "
              f"finished); servers: {args.server}, {args.workers} workers each", flush=True)

        files["bare"] = Path(root, "bare.tsv")
        files["bare"].write_text("".join("\t".join(row) + "\n" for row in targets(data, "bare")))
        kinds = SERVER_KINDS if args.compare_servers else (args.server,)
        names = ("ours", "bare") if args.compare_servers else ("ours", "bare", "baseline")
        modules = {"ours": "academy.settings", "baseline": "bench.poll.settings", "bare": "bench.poll.bare_settings"}
        windows: list[Window] = []
        for kind in kinds:
            port = 28100
            servers = []
            for name in names:
                port = services.free_port(port + 1)
                servers.append(server_start(name, modules[name], kind=kind, port=port, workers=args.workers,
                                            env=env, nice=args.nice))
            by_name = {s.name: s for s in servers}
            # Every target answers 200 on every server, and the baseline really reads the database.
            for server in servers:
                for path, header, value in targets(data, server.name)[:4]:
                    status, body = http_get(server.port, path, {header: value})
                    if status != 200:
                        raise SystemExit(f"{server.name}: GET {path} answered {status}: {body[:200]!r}")
            if "baseline" in by_name:
                pg.reset()
                path, header, value = targets(data, "baseline")[0]
                http_get(by_name["baseline"].port, path, {header: value})
                print("bench/poll: one baseline poll runs: "
                      + "; ".join(f"{calls}x {' '.join(q.split())[:70]}" for q, calls in pg.statements()),
                      flush=True)
            print(f"bench/poll: {kind}, {args.workers} workers per server: {', '.join(names)}", flush=True)
            # Ours and bare first, alternating which goes first; the baseline's windows after all
            # of theirs. A window right after the baseline's ran slower (in the 14:20 run ours
            # followed it in 5 of 6 windows, bare in 1, and those were ours' slowest, with twice
            # the CPU used elsewhere on the machine), so the baseline must not sit between them.
            for group in ([n for n in names if n != "baseline"], [n for n in names if n == "baseline"]):
                for rnd in range(1, args.rounds + 1):
                    for i, n in enumerate(concurrencies):
                        shift = (i + rnd) % len(group) if group else 0
                        for name in group[shift:] + group[:shift]:
                            w = measure(by_name[name], files[name], n=n, rnd=rnd, args=args, pg=pg, rds=rds,
                                        servers=servers)
                            w.kind = kind
                            if args.compare_servers:
                                w.server = f"{name}@{kind}"
                            windows.append(w)
                            print(f"  round {rnd} N={n:<5} {w.server:<9} {w.rps:7.0f} req/s  p50 {w.p50_ms:7.1f} ms  "
                                  f"p99 {w.p99_ms:7.1f} ms  errors {w.errors or 0}  SQL {w.sql_statements}  "
                                  f"PG CPU {w.pg_cpu_s:.2f} s  Redis {w.redis_per_poll:.2f}/poll  "
                                  f"other CPU {w.other_cpu_s:.1f} s  load {_load()}", flush=True)
            for server in servers:
                server.stop()
    finally:
        for server in servers:
            server.stop()
        for stop in reversed(stops):
            stop()
        shutil.rmtree(root, ignore_errors=True)
        if args.nice:
            renice([os.getpid()], 0)  # the calling shell's session shares this priority: give it back

    agg = aggregate(windows, duration=args.duration)
    load_end = _load()
    report = table(agg, concurrencies, duration=args.duration, rounds=args.rounds)
    report = f"load average (1, 5, 15 min): {load_start} at start, {load_end} at end\n\n{report}"
    baseline_sql = next((w.sql_top for w in windows if w.server == "baseline"), [])
    print()
    print(report)
    print("\nbaseline statements (first window):")
    for query, calls in baseline_sql:
        print(f"  {calls:>7}  {query}")
    if args.profile:
        print("\n" + profile_report(Path(args.profile)))
    print(f"\nbench/poll took {time.monotonic() - started:.0f} s")
    if args.no_write:
        return 0

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    env_info = environment()
    env_info["loadavg_at_start"], env_info["loadavg_at_end"] = load_start.split(), load_end.split()
    (out_dir / "poll.json").write_text(json.dumps({
        "command": "bench/poll/run.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"),
        "environment": env_info,
        "options": vars(args),
        "aggregate": [{"server": s, "concurrency": n, **v} for (s, n), v in agg.items()],
        "windows": [asdict(w) for w in windows],
    }, indent=1) + "\n")
    try:
        written = charts(agg, concurrencies, out_dir, note=chart_note(vars(args), env_info, time.strftime("%Y-%m-%d")))
    except ImportError:
        written = []
        print("matplotlib is not installed: no charts (pip install matplotlib)", file=sys.stderr)
    for path in written:
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    readme_update(
        f"Measured {time.strftime('%Y-%m-%d')} on {env_info['cpus']} vCPUs shared by the servers and wrk "
        f"({env_info['postgres']}, Redis {env_info['redis'].split()[2].removeprefix('v=')}, "
        f"{args.server}, {args.workers} workers per server, {args.rounds} rounds of {args.duration:g} s "
        f"per N and server; load average at start {load_start}, at end {load_end}):\n\n"
        f"```\n{report}\n\nbaseline statements (first window):\n"
        + "\n".join(f"  {calls:>7}  {query}" for query, calls in baseline_sql) + "\n```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
