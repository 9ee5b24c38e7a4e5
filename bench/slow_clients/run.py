#!/usr/bin/env python3
"""`make bench-slow-clients`: progress-poll latency with slow-loris clients, through nginx and bare.

One gunicorn (academy/gunicorn_conf.py, 2 gthread workers x 4 threads, as in production) and
Debian's nginx running deploy/nginx/academy.conf in front of it (academy/tests/stack.py), on a
throwaway PostgreSQL and Redis (run it through scripts/services.py, as the make target does).
In each round, for each target (nginx's port, then gunicorn's own port) and each number of
slow-loris clients (0, 2, 8: half send headers, half a POST body, a byte a second), POLLS
authenticated progress polls (GET /media/videos/<id>/progress/, a new connection each) run one
after another. A poll that takes over TIMEOUT s counts as timed out; after GIVE_UP timeouts
the window stops (a frozen server would otherwise take POLLS x TIMEOUT). Prints per window
p50/p99 and timeouts, then the median over ROUNDS rounds with the spread (min-max), and the
ratio of each window's p50/p99 to the no-slow-client window of the same target and round.
Loopback only; about 2-3 minutes.
"""
from __future__ import annotations

import http.client
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

POLLS = 200
ROUNDS = 3
TIMEOUT = 5.0
GIVE_UP = 3
SLOW_COUNTS = (0, 2, 8)


def poll_once(port: int, path: str, token: str) -> float | None:
    """Return the seconds one poll took, or None if it failed or took over TIMEOUT."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"poll answered {response.status}: the bench measures nothing")
    except (socket.timeout, TimeoutError):
        return None
    finally:
        conn.close()
    return time.perf_counter() - started


def slow_requests(port: int, token: str, count: int) -> list[bytes]:
    """Half trickle their headers, half a POST body (the upload route), one byte a second."""
    body = (f"POST /media/videos/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n").encode() + b"x" * 1000
    header = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"y" * 1000
    return [body if i % 2 else header for i in range(count)]


def window(port: int, path: str, token: str, slow: int) -> dict:
    """POLLS polls one after another with `slow` slow-loris clients connected to `port`."""
    from academy.tests.stack import SlowLoris

    clients = [SlowLoris(port, request) for request in slow_requests(port, token, slow)]
    for client in clients:
        client.start()
    if clients:
        time.sleep(2)  # every client is connected and has sent a few bytes before the polls start
    times, timeouts = [], 0
    try:
        for _ in range(POLLS):
            took = poll_once(port, path, token)
            if took is None:
                timeouts += 1
                if timeouts >= GIVE_UP:
                    break
            else:
                times.append(took)
    finally:
        for client in clients:
            client.stopped.set()
        for client in clients:
            client.join(timeout=5)
    time.sleep(0.5)  # the server drops the closed slow connections before the next window
    return {"times": sorted(times), "timeouts": timeouts}


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def fmt(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def main() -> int:
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "academy.settings")
    work = Path(tempfile.mkdtemp(prefix="bench-slow-"))
    os.environ["MEDIA_ROOT"] = str(work / "media")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from academy.tenants.models import Role
    from academy.tenants.services import tenant_create, token_obtain, user_create
    from academy.tests import stack
    from academy.videos.services import video_create

    tenant = tenant_create(name="Slow clients bench")
    user_create(username="bench-slow", password="pw-bench-123456", tenant_id=tenant.pk, role=Role.OWNER)
    token = token_obtain(username="bench-slow", password="pw-bench-123456", tenant_id=tenant.pk)["access"]
    path = f"/media/videos/{video_create(tenant_id=tenant.pk, title='watched', enqueue=False).pk}/progress/"

    app_port, proxy_port = stack.free_port(), stack.free_port()
    env = stack.child_env(LOG_LEVEL="WARNING")
    app = stack.gunicorn(port=app_port, log_dir=work, env=env)
    proxy = None
    targets = {}
    load_before = os.getloadavg()
    results: dict[tuple[str, int], list[dict]] = {}
    try:
        proxy = stack.nginx(port=proxy_port, upstream_port=app_port, work=work / "nginx")
        targets = {"nginx": proxy_port, "bare gunicorn": app_port}
        for port in targets.values():
            for _ in range(20):  # warm: connections to Redis, the upstream keepalive pool
                poll_once(port, path, token)
        for r in range(1, ROUNDS + 1):
            for name, port in targets.items():
                for slow in SLOW_COUNTS:
                    w = window(port, path, token, slow)
                    results.setdefault((name, slow), []).append(w)
                    print(f"round {r} {name:13} {slow} slow: p50 {fmt(pct(w['times'], .5))}, "
                          f"p99 {fmt(pct(w['times'], .99))}, answered {len(w['times'])}, "
                          f"timed out {w['timeouts']}", flush=True)
    finally:
        if proxy:
            proxy.stop()
        app.stop()
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()

    print(f"\n{POLLS} sequential polls per window, a new connection each, {TIMEOUT:.0f} s poll timeout "
          f"(window stops after {GIVE_UP} timeouts), {ROUNDS} rounds; gunicorn 2 gthread workers x 4 threads")
    print(f"load average (1/5/15 min) before {load_before[0]:.1f}/{load_before[1]:.1f}/{load_before[2]:.1f}, "
          f"after {load_after[0]:.1f}/{load_after[1]:.1f}/{load_after[2]:.1f}; {os.cpu_count()} CPUs")
    print("target          slow | p50 median (min-max)        | p99 median (min-max)        | "
          "p50 / 0-slow  | p99 / 0-slow  | answered/timed out per round")
    for name in targets:
        base = results[(name, 0)]
        for slow in SLOW_COUNTS:
            ws = results[(name, slow)]
            p50s = [pct(w["times"], .5) for w in ws]
            p99s = [pct(w["times"], .99) for w in ws]
            frozen = any(w["timeouts"] for w in ws)

            def spread(vals):
                if any(v is None for v in vals):
                    return "no poll answered" if all(v is None for v in vals) else "some rounds none answered"
                return f"{fmt(statistics.median(vals))} ({fmt(min(vals))}-{fmt(max(vals))})"

            def ratio(vals, key):
                if frozen or any(v is None for v in vals):
                    return "-"
                rs = [v / pct(b["times"], key) for v, b in zip(vals, base)]
                return f"{statistics.median(rs):.2f} ({min(rs):.2f}-{max(rs):.2f})"

            counts = ", ".join(f"{len(w['times'])}/{w['timeouts']}" for w in ws)
            print(f"{name:15} {slow:4} | {spread(p50s):27} | {spread(p99s):27} | {ratio(p50s, .5):13} | "
                  f"{ratio(p99s, .99):13} | {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
