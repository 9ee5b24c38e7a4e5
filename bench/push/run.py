#!/usr/bin/env python3
"""bench/push: live progress pushed over Server-Sent Events to N viewers, beside the same N
viewers polling at the web app's adaptive pace, on this machine in the same run.

    .venv/bin/python bench/push/run.py                 # 1,000 / 5,000 / 10,000 viewers, 3 rounds
    .venv/bin/python bench/push/run.py --replot        # redraw the charts from docs/bench/push.json

Starts a throwaway PostgreSQL (pg_stat_statements) and Redis (scripts/services.py), then:

  push  uvicorn, 2 worker processes, academy.asgi:application (the stream path is the plain
        ASGI app), started afresh for every N so its RSS growth is this N's connections alone.
        Viewers are opened by a small C epoll client (bench/push/viewers.c, compiled with gcc
        here): a Python client would spend more CPU per event than the server it measures.
        Each viewer redeems its own ticket and reads GET /api/v1/progress/stream/. Tenants hold
        100 viewers each and one running job that the bench writes twice a second through the
        workers' write script (store.state_write) -- the most a running task writes, since the
        reporter writes at most once per PROGRESS_MIN_INTERVAL (0.5 s) -- so every viewer
        receives 2 events/s (20,000 deliveries/s at 10,000 viewers).
        Measured over a window of --seconds once every viewer is caught up: publish-to-receipt
        latency of every event (the event id is the Redis stream id, milliseconds of Redis's
        clock; the viewer's clock is the same machine's), events delivered, CPU of the server
        processes, of Redis and of the load client, RSS per server process (minus its RSS
        before the viewers connected), viewer connections per server process (its established
        TCP connections to the server port), Redis Pub/Sub clients (CLIENT LIST TYPE pubsub)
        and SQL statements (pg_stat_statements).
  poll  gunicorn, 2 sync workers (academy/gunicorn_conf.py, the production poll path). The
        same N viewers poll as the web app does for a task 10-60 s old: its progress every
        2 s and the active list every 3 s (0.83 requests/s per viewer asked). Measured:
        requests answered per second, p50/p99 latency, Redis commands/s, CPU.

The open-files limit is raised to its hard limit in every process of the bench. Writes
docs/bench/push.json, docs/bench/push_*.png and the results block of bench/push/README.md.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

PY = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")
VIEWERS_PER_TENANT = 100
WRITES_PER_SECOND_PER_TASK = 2.0
JSON_OUT = ROOT / "docs" / "bench" / "push.json"
RESULTS_BEGIN = "<!-- results:begin (written by bench/push/run.py) -->"
RESULTS_END = "<!-- results:end -->"


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


# --- processes ---------------------------------------------------------------------------------

def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()


def cpu_seconds(pids) -> float:
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def children(ppid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and int(fields[1]) == ppid:
                out.append(int(entry.name))
    return out


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def connections(pid: int, port: int) -> int:
    """Count the established TCP connections to `port` that process `pid` holds (its viewers)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                inodes.add(fields[9])
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = os.readlink(fd)
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in inodes:
            count += 1
    return count


def server_processes(ppid: int) -> list[int]:
    """Return the worker processes of a server (not multiprocessing's resource tracker)."""
    return [pid for pid in children(ppid)
            if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()]


def wait_port(port: int, timeout: float = 30) -> None:
    from academy.tests.stack import port_open, wait_for

    wait_for(lambda: port_open(port), timeout=timeout, what=f"a server listening on {port}")


def preexec():
    raise_nofile()


# --- poll load processes (run as `run.py --load poll FILE`) ------------------------------------

async def _poll_viewer(port, token, paths_and_intervals, state, stop_at):
    async def loop(path, interval):
        await asyncio.sleep(random.random() * interval)
        while time.time() < stop_at:
            started = time.time()
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
                writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                             f"Connection: close\r\n\r\n".encode())
                head = await asyncio.wait_for(reader.readline(), 15)
                await asyncio.wait_for(reader.read(), 15)
                writer.close()
                if b" 200 " in head and state["measuring"]:
                    state["latencies"].append((time.time() - started) * 1000)
                    state["answered"] += 1
                elif b" 200 " not in head:
                    state["errors"] += 1
            except (OSError, asyncio.TimeoutError):
                state["errors"] += 1
            await asyncio.sleep(max(0.0, interval - (time.time() - started)))

    await asyncio.gather(*(loop(p, i) for p, i in paths_and_intervals))


def load_main(mode: str, spec_file: str) -> None:
    """One load process: open the viewers, say READY, measure between START and STOP lines on stdin."""
    raise_nofile()
    spec = json.loads(Path(spec_file).read_text())
    state = {"latencies": [], "errors": 0, "closed": 0, "answered": 0, "measuring": False}

    async def main():
        loop = asyncio.get_running_loop()
        stop_at = time.time() + spec["run_for"]
        tasks = [loop.create_task(_poll_viewer(spec["port"], v["token"], v["paths"], state, stop_at))
                 for v in spec["viewers"]]
        print(json.dumps({"ready": len(spec["viewers"]), "errors": state["errors"]}), flush=True)
        line_reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(line_reader), sys.stdin)
        await line_reader.readline()  # START
        state["latencies"].clear()
        state["answered"] = 0
        cpu0 = time.process_time()
        state["measuring"] = True
        await line_reader.readline()  # STOP
        state["measuring"] = False
        cpu = time.process_time() - cpu0
        print(json.dumps({"latencies": state["latencies"], "errors": state["errors"], "closed": state["closed"],
                          "answered": state["answered"], "cpu": cpu}), flush=True)
        for task in tasks:
            task.cancel()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


class Load:
    """A load process driven through its stdin/stdout."""

    def __init__(self, mode: str, spec: dict, tmp: Path):
        path = tmp / f"{mode}-{secrets.token_hex(4)}.json"
        path.write_text(json.dumps(spec))
        self.proc = subprocess.Popen([PY, __file__, "--load", mode, str(path)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, preexec_fn=preexec)

    def ready(self) -> dict:
        return json.loads(self.proc.stdout.readline())

    def start(self) -> None:
        self.proc.stdin.write("START\n")
        self.proc.stdin.flush()

    def stop(self) -> dict:
        self.proc.stdin.write("STOP\n")
        self.proc.stdin.flush()
        result = json.loads(self.proc.stdout.readline())
        self.proc.terminate()  # the poll load process waits for more; the C one has exited
        self.proc.wait(10)
        return result


# --- the bench ---------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def viewers_binary(tmp: Path) -> Path:
    """Compile the C load client (bench/push/viewers.c) into tmp."""
    out = tmp / "viewers"
    subprocess.run(["gcc", "-O2", "-o", str(out), str(HERE / "viewers.c")], check=True)
    return out


class Viewers(Load):
    """One C load process holding some of the viewers, driven through its stdin/stdout."""

    def __init__(self, binary: Path, port: int, tickets: list[str], tmp: Path):
        path = tmp / f"tickets-{secrets.token_hex(4)}.txt"
        path.write_text("\n".join(tickets) + "\n")
        self.proc = subprocess.Popen([str(binary), str(port), str(path), "500"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, preexec_fn=preexec)

    def ready(self) -> tuple[int, int]:
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "READY":
            raise SystemExit(f"load client failed: {line}")
        return int(line[1]), int(line[2])


def push_server_start(port: int, *, args, env) -> subprocess.Popen:
    """Start a fresh uvicorn (so RSS growth is this N's connections alone); wait until it serves."""
    server = subprocess.Popen(
        [PY, "-m", "uvicorn", "academy.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(args.workers), "--no-access-log", "--log-level", "warning", "--lifespan", "off",
         "--backlog", "4096", "--timeout-worker-healthcheck", "120"], cwd=ROOT, env=env, preexec_fn=preexec)
    wait_port(port)
    deadline = time.time() + 30
    while len(server_processes(server.pid)) < args.workers and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # the workers import the app after they bind
    return server


def server_stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def push_window(n: int, *, port: int, env: dict, binary: Path, tmp: Path, args, pg, rds) -> dict:
    from academy.progress import store
    from academy.progress.stream import stream_ticket_create
    from academy.progress.types import KIND_JOB, TaskRef, TaskState

    tenants = max(1, n // VIEWERS_PER_TENANT)
    base = random.randint(10_000, 900_000)
    refs = [TaskRef(base + t, KIND_JOB, f"bench-{base + t}") for t in range(tenants)]
    for ref in refs:
        store.state_write(ref, TaskState("PROCESSING", 1, fields={"job_type": "message_send"}))
    tickets = [stream_ticket_create(tenant_id=refs[i % tenants].tenant_id, user_id=1, role="owner")["ticket"]
               for i in range(n)]
    server = push_server_start(port, args=args, env=env)
    try:
        workers = server_processes(server.pid)
        rss0 = {pid: rss_bytes(pid) for pid in workers}
        loads = [Viewers(binary, port, tickets[i::args.clients], tmp) for i in range(args.clients)]
        ready = [load.ready() for load in loads]
        connected = sum(r[0] for r in ready)
        time.sleep(1.0)
        pubsub_clients = len(rds.client_list(_type="pubsub"))
        conns = {pid: connections(pid, port) for pid in workers}
        rss = {pid: rss_bytes(pid) - rss0[pid] for pid in workers}
        pg.execute("SELECT pg_stat_statements_reset()")
        cmd0 = _commands(rds)
        load_pids = [load.proc.pid for load in loads]
        redis_pid = int(rds.info("server")["process_id"])
        cpu0 = (cpu_seconds(workers), cpu_seconds([redis_pid]))
        for load in loads:
            load.start()
        spies = [subprocess.Popen([str(Path(PY).parent / "py-spy"), "record", "-p", str(pid), "-d",
                                   str(int(args.seconds)), "-r", "100", "-f", "raw", "--nonblocking",
                                   "-o", str(Path(args.profile) / f"push-{n}-{pid}.txt")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for pid in workers] if args.profile else []
        started = time.time()
        written, percent = 0, 0
        gap = 1.0 / (WRITES_PER_SECOND_PER_TASK * tenants)
        while time.time() - started < args.seconds:
            ref = refs[written % tenants]
            if written % tenants == 0:
                percent = (percent + 1) % 100
            store.state_write(ref, TaskState("PROCESSING", 1, fields={"job_type": "message_send"},
                                             progress={"percent": str(percent)}))
            written += 1
            time.sleep(max(0.0, started + written * gap - time.time()))
        elapsed = time.time() - started
        time.sleep(0.5)  # let the last events arrive
        for spy in spies:
            spy.wait()
        cpu = (cpu_seconds(workers) - cpu0[0], cpu_seconds([redis_pid]) - cpu0[1])
        results = [load.stop() for load in loads]
        commands = _commands(rds) - cmd0
        sql = pg.execute("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query NOT ILIKE "
                         "'%pg_stat_statements%'").fetchone()[0]
    finally:
        server_stop(server)
    hist: dict[int, int] = {}
    for r in results:
        for ms, count in r["latencies_ms"].items():
            hist[int(ms)] = hist.get(int(ms), 0) + count
    return {
        "viewers": n, "connected": connected, "tenants": tenants, "events_written": written,
        "events_delivered": sum(hist.values()), "expected_deliveries": written * (n // tenants),
        "p50_ms": hist_percentile(hist, 0.50), "p99_ms": hist_percentile(hist, 0.99),
        "max_ms": max(hist) if hist else float("nan"),
        "server_cpu_pct": 100 * cpu[0] / elapsed, "redis_cpu_pct": 100 * cpu[1] / elapsed,
        "load_cpu_pct": 100 * sum(r["cpu"] for r in results) / elapsed,
        "connections_per_process": sorted(conns.values()), "server_processes": len(workers),
        "pubsub_clients": pubsub_clients, "kib_per_connection": sum(rss.values()) / 1024 / max(1, connected),
        "redis_commands_per_s": commands / elapsed, "sql_statements": int(sql),
        "errors": sum(r[1] for r in ready) + sum(r["closed"] for r in results),
        "seconds": elapsed,
    }


def hist_percentile(hist: dict[int, int], q: float) -> float:
    """Return the q-quantile of a {milliseconds: count} histogram."""
    total = sum(hist.values())
    if not total:
        return float("nan")
    rank, seen = min(total - 1, int(q * total)), 0
    for ms in sorted(hist):
        seen += hist[ms]
        if seen > rank:
            return float(ms)
    return float(max(hist))


def _commands(rds) -> int:
    return sum(int(v["calls"]) for k, v in rds.info("commandstats").items() if k != "cmdstat_info")


def poll_window(n: int, *, port: int, server, tmp: Path, args, rds) -> dict:
    from academy.progress import store
    from academy.progress.types import KIND_JOB, TaskRef, TaskState
    from academy.tenants.tokens import token_issue

    tenants = max(1, n // VIEWERS_PER_TENANT)
    base = random.randint(10_000, 900_000)
    refs = [TaskRef(base + t, KIND_JOB, str(__import__("uuid").uuid4())) for t in range(tenants)]
    for ref in refs:
        store.state_write(ref, TaskState("PROCESSING", 1, fields={"job_type": "message_send"},
                                         progress={"percent": "5"}))
    tokens = [token_issue(user_id=1, tenant_id=ref.tenant_id, role="owner")[0] for ref in refs]
    viewers = [{"token": tokens[i % tenants],
                "paths": [(f"/api/v1/jobs/{refs[i % tenants].task_id}/progress/", 2.0), ("/api/v1/tasks/active/", 3.0)]}
               for i in range(n)]
    run_for = args.seconds + 8
    loads = [Load("poll", {"port": port, "viewers": viewers[i::args.poll_clients], "run_for": run_for}, tmp)
             for i in range(args.poll_clients)]
    for load in loads:
        load.ready()
    time.sleep(4.0)  # the pollers' first round is spread over their interval
    pids = [server.pid, *children(server.pid)]
    cmd0 = _commands(rds)
    cpu0 = (cpu_seconds(pids), cpu_seconds([int(rds.info("server")["process_id"])]))
    for load in loads:
        load.start()
    started = time.time()
    time.sleep(args.seconds)
    results = [load.stop() for load in loads]
    elapsed = time.time() - started
    cpu = (cpu_seconds(pids) - cpu0[0], cpu_seconds([int(rds.info("server")["process_id"])]) - cpu0[1])
    latencies = [ms for r in results for ms in r["latencies"]]
    answered = sum(r["answered"] for r in results)
    return {
        "viewers": n, "asked_per_s": n * (1 / 2.0 + 1 / 3.0), "answered_per_s": answered / elapsed,
        "p50_ms": percentile(latencies, 0.50), "p99_ms": percentile(latencies, 0.99),
        "server_cpu_pct": 100 * cpu[0] / elapsed, "redis_cpu_pct": 100 * cpu[1] / elapsed,
        "load_cpu_pct": 100 * sum(r["cpu"] for r in results) / elapsed,
        "redis_commands_per_s": (_commands(rds) - cmd0) / elapsed,
        "errors": sum(r["errors"] for r in results), "seconds": elapsed,
    }


def median_of(rounds: list[dict]) -> dict:
    out = {}
    for key, value in rounds[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = statistics.median(r[key] for r in rounds)
        else:
            out[key] = value
    out["rounds"] = len(rounds)
    return out


def table(data: dict) -> str:
    lines = [
        "| viewers | push p50 / p99 | events delivered | server CPU | KiB per connection | connections per process |"
        " Pub/Sub clients | SQL | poll asked / answered per s | poll p50 / p99 | poll server CPU | Redis cmd/s push / poll |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for push, poll in zip(data["push"], data["poll"]):
        lines.append(
            f"| {push['viewers']:,} | {push['p50_ms']:.0f} / {push['p99_ms']:.0f} ms | "
            f"{push['events_delivered']:,.0f} of {push['expected_deliveries']:,.0f} | {push['server_cpu_pct']:.0f} % | "
            f"{push['kib_per_connection']:.1f} | {' + '.join(str(int(c)) for c in push['connections_per_process'])} | "
            f"{push['pubsub_clients']:.0f} ({push['server_processes']} processes) | {push['sql_statements']:.0f} | "
            f"{poll['asked_per_s']:,.0f} / {poll['answered_per_s']:,.0f} | {poll['p50_ms']:.0f} / {poll['p99_ms']:.0f} ms | "
            f"{poll['server_cpu_pct']:.0f} % | {push['redis_commands_per_s']:,.0f} / {poll['redis_commands_per_s']:,.0f} |")
    return "\n".join(lines)


def charts(data: dict) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = ROOT / "docs" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    ns = [p["viewers"] for p in data["push"]]
    labels = [f"{n:,}" for n in ns]
    note = f"{data['when']}, median of {data['rounds']} rounds, 2 vCPUs shared by server, Redis and load"
    written = []

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    xs = range(len(ns))
    w = 0.2
    series = [("push p50", [p["p50_ms"] for p in data["push"]], "#7fb3d5"),
              ("push p99", [p["p99_ms"] for p in data["push"]], "#2a7ab9"),
              ("poll p50", [p["p50_ms"] for p in data["poll"]], "#e6a08f"),
              ("poll p99", [p["p99_ms"] for p in data["poll"]], "#c8553d")]
    for i, (name, values, colour) in enumerate(series):
        bars = ax.bar([x + (i - 1.5) * w for x in xs], values, w, label=name, color=colour)
        ax.bar_label(bars, labels=[f"{v:.0f}" for v in values], fontsize=7, padding=2)
    ax.axhline(100, color="#555555", linestyle="--", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(list(xs), [f"{label} viewers" for label in labels])
    ax.set_ylabel("ms (log scale)")
    ax.set_title("Push: publish-to-receipt latency; poll: request latency")
    ax.legend(fontsize=8)
    fig.text(0.01, 0.01, note, fontsize=6.5, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    path = out / "push_latency.png"
    fig.savefig(path)
    plt.close(fig)
    written.append(path)

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    w = 0.38
    push_cpu = [p["server_cpu_pct"] for p in data["push"]]
    poll_cpu = [p["server_cpu_pct"] for p in data["poll"]]
    for offset, name, values, colour in ((-w / 2, "push (uvicorn, 2 processes)", push_cpu, "#2a7ab9"),
                                         (w / 2, "poll (gunicorn, 2 workers)", poll_cpu, "#c8553d")):
        bars = ax.bar([x + offset for x in xs], values, w, label=name, color=colour)
        ax.bar_label(bars, labels=[f"{v:.0f} %" for v in values], fontsize=8, padding=2)
    ax.set_xticks(list(xs), [f"{label} viewers" for label in labels])
    ax.set_ylabel("server CPU, % of one core")
    ax.set_title("Server CPU for the same viewers")
    ax.legend(fontsize=8)
    fig.text(0.01, 0.01, note, fontsize=6.5, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    path = out / "push_cpu.png"
    fig.savefig(path)
    plt.close(fig)
    written.append(path)

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    push_cmd = [p["redis_commands_per_s"] for p in data["push"]]
    poll_cmd = [p["redis_commands_per_s"] for p in data["poll"]]
    for offset, name, values, colour in ((-w / 2, "push", push_cmd, "#2a7ab9"), (w / 2, "poll", poll_cmd, "#c8553d")):
        bars = ax.bar([x + offset for x in xs], values, w, label=name, color=colour)
        ax.bar_label(bars, labels=[f"{v:,.0f}" for v in values], fontsize=8, padding=2)
    ax.set_xticks(list(xs), [f"{label} viewers" for label in labels])
    ax.set_ylabel("Redis commands per second")
    ax.set_title("Redis load for the same viewers")
    ax.legend(fontsize=8)
    fig.text(0.01, 0.01, note, fontsize=6.5, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    path = out / "push_redis.png"
    fig.savefig(path)
    plt.close(fig)
    written.append(path)
    return written


def readme_update(data: dict) -> None:
    readme = HERE / "README.md"
    text = readme.read_text()
    load = data.get("load_average_start"), data.get("load_average")
    loads = " / ".join(f"{a[0]:.1f}" for a in load if a)
    block = (f"{RESULTS_BEGIN}\nMeasured {data['when']} with `{data['command']}` (median of {data['rounds']} rounds, "
             f"{data['seconds']:.0f} s windows; 1-minute load average at start / end: {loads}; push load client "
             f"CPU at 10,000 viewers: {data['push'][-1]['load_cpu_pct']:.0f} % of a core):\n\n{table(data)}\n{RESULTS_END}")
    start, end = text.index(RESULTS_BEGIN), text.index(RESULTS_END) + len(RESULTS_END)
    readme.write_text(text[:start] + block + text[end:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", default="1000,5000,10000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=1, help="load processes (push: C epoll clients)")
    parser.add_argument("--poll-clients", type=int, default=2, help="poll load processes (Python asyncio)")
    parser.add_argument("--push-only", action="store_true", help="skip the polling side (no README/charts)")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--replot", action="store_true")
    parser.add_argument("--profile", metavar="DIR", help="py-spy (pip install py-spy) the server processes "
                                                          "during each push window, raw stacks into DIR")
    parser.add_argument("--load", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        load_main(*args.load)
        return 0
    if args.replot:
        data = json.loads(JSON_OUT.read_text())
        print(table(data))
        print(*charts(data), sep="\n")
        return 0

    limit = raise_nofile()
    load_start = os.getloadavg()
    counts = [int(n) for n in args.viewers.split(",")]
    if max(counts) // min(args.clients, args.poll_clients) + 100 > limit:
        raise SystemExit(f"open-files hard limit {limit} is too low for {max(counts)} viewers")
    from scripts import services

    with tempfile.TemporaryDirectory(prefix="bench-push-") as root:
        tmp = Path(root)
        if os.geteuid() == 0:
            os.chmod(root, 0o755)
        pg_url, pg_stop = services.start_postgres(root)
        redis_url, redis_stop = services.start_redis(root)
        procs = []
        try:
            env = {**os.environ, "DATABASE_URL": pg_url, "REDIS_URL": redis_url, "SECRET_KEY": secrets.token_hex(16),
                   "DJANGO_SETTINGS_MODULE": "academy.settings", "REDIS_POOL_SIZE": "64",
                   "PROGRESS_STREAM_TICKET_TTL": "600",
                   # A busy shared machine stalls Redis replies past the production 0.5 s.
                   "REDIS_SOCKET_TIMEOUT": "30"}
            os.environ.update(env)
            subprocess.run([PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
            import django

            django.setup()
            import psycopg
            import redis

            pg = psycopg.connect(pg_url.replace("postgres://", "postgresql://"), autocommit=True)
            pg.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            rds = redis.Redis.from_url(redis_url, decode_responses=True)

            push_port, poll_port = services.free_port(28100), services.free_port(28200)
            poll_server = subprocess.Popen(
                [PY, "-m", "gunicorn", "-c", "academy/gunicorn_conf.py", "--bind", f"127.0.0.1:{poll_port}",
                 "--workers", str(args.workers), "academy.wsgi:application"],
                cwd=ROOT, env=env, preexec_fn=preexec, stderr=subprocess.DEVNULL)
            procs = [poll_server]
            binary = viewers_binary(tmp)
            wait_port(poll_port)
            time.sleep(2)

            rounds_push = {n: [] for n in counts}
            rounds_poll = {n: [] for n in counts}
            for rnd in range(args.rounds):
                for n in counts:
                    push = push_window(n, port=push_port, env=env, binary=binary, tmp=tmp, args=args, pg=pg, rds=rds)
                    rounds_push[n].append(push)
                    print(f"round {rnd + 1} push {n}: p50 {push['p50_ms']:.0f} ms p99 {push['p99_ms']:.0f} ms, "
                          f"{push['events_delivered']} of {push['expected_deliveries']} events, connected "
                          f"{push['connected']}, server CPU {push['server_cpu_pct']:.0f} %, "
                          f"{push['kib_per_connection']:.1f} KiB/conn, connections per process "
                          f"{push['connections_per_process']}, pubsub clients {push['pubsub_clients']}, "
                          f"load CPU {push['load_cpu_pct']:.0f} %, Redis CPU {push['redis_cpu_pct']:.0f} %, "
                          f"SQL {push['sql_statements']}, errors {push['errors']}", flush=True)
                    if args.push_only:
                        continue
                    time.sleep(1)
                    poll = poll_window(n, port=poll_port, server=poll_server, tmp=tmp, args=args, rds=rds)
                    rounds_poll[n].append(poll)
                    print(f"round {rnd + 1} poll {n}: asked {poll['asked_per_s']:.0f}/s answered "
                          f"{poll['answered_per_s']:.0f}/s p50 {poll['p50_ms']:.0f} ms p99 {poll['p99_ms']:.0f} ms, "
                          f"server CPU {poll['server_cpu_pct']:.0f} %, errors {poll['errors']}", flush=True)
                    time.sleep(1)
            if args.push_only:
                return 0
            data = {
                "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "command": "make bench-push", "rounds": args.rounds, "seconds": args.seconds,
                "push": [median_of(rounds_push[n]) for n in counts],
                "poll": [median_of(rounds_poll[n]) for n in counts],
                "all_rounds": {"push": rounds_push, "poll": rounds_poll},
                "load_average": os.getloadavg(), "load_average_start": load_start,
            }
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
            redis_stop()
            pg_stop()
    JSON_OUT.parent.mkdir(parents=True, exist_ok=True)
    JSON_OUT.write_text(json.dumps(data, indent=1, default=str))
    print(table(data))
    print(f"load average (1, 5, 15 min) at start {load_start}, at end {data['load_average']}")
    try:
        print(*charts(data), sep="\n")
    except ImportError:
        print("matplotlib is not installed: no charts (pip install matplotlib)", file=sys.stderr)
    readme_update(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
