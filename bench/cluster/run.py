#!/usr/bin/env python3
"""bench/cluster: progress polls against a 3-master Redis Cluster vs one Redis, in one run.

    .venv/bin/python bench/cluster/run.py        # about 2 minutes (make bench-cluster)

Starts a throwaway PostgreSQL, one Redis and a 3-master Redis Cluster (scripts/services.py),
seeds tenants with running and finished jobs and videos (bench/poll's seed, into the single
Redis), then starts two gunicorn servers with the same options (academy/gunicorn_conf.py:
gthread, 2 workers x 4 threads): `single` with REDIS_URL=redis://…, `cluster` with
REDIS_URL=redis+cluster://….
The cluster is warmed by polling every task once (each miss reads the DB once and re-warms),
then wrk drives N connections at one server at a time, alternating which goes first, for
--rounds windows each. Prints requests/s and p99 per window and the medians, and the ratio
cluster / single. Both servers, wrk and all Redis processes share this machine's CPUs.
"""
from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.poll.run import _load, http_get, seed, server_start, targets, wait_idle, wrk  # noqa: E402
from scripts import services  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=50, help="wrk connections (pollers at once)")
    parser.add_argument("--duration", type=float, default=8, help="seconds of each measured window")
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="windows per server; the order alternates")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (4 threads each) of each server")
    parser.add_argument("--tenants", type=int, default=4)
    parser.add_argument("--tasks", type=int, default=25, help="per tenant and kind: running and finished each")
    args = parser.parse_args()

    os.environ.setdefault("TEST_PG_PORT", "27532")
    os.environ.setdefault("TEST_REDIS_PORT", "27479")
    os.environ.setdefault("TEST_REDIS_CLUSTER_PORT", "17101")
    root = tempfile.mkdtemp(prefix="academy-bench-cluster-")
    stops, servers = [], []
    try:
        db_url, stop = services.start_postgres(root)
        stops.append(stop)
        single_url, stop = services.start_redis(root)
        stops.append(stop)
        cluster_url, stop = services.start_redis_cluster(root)
        stops.append(stop)
        env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": single_url, "CELERY_BROKER_URL": single_url,
               "SECRET_KEY": secrets.token_urlsafe(40), "LOG_LEVEL": "WARNING", "DEBUG": "0"}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY",
                                               "LOG_LEVEL", "DEBUG")})
        # bench/poll's settings: its seed also writes the sessions its baseline reads.
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.poll.settings"
        print(f"bench/cluster: PostgreSQL {db_url}\n  single  {single_url}\n  cluster {cluster_url}", flush=True)

        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        data = seed(tenants=args.tenants, per_kind=args.tasks)
        rows = targets(data, "ours")
        targets_file = Path(root, "ours.tsv")
        targets_file.write_text("".join("\t".join(row) + "\n" for row in rows))

        port = 28300
        by_name = {}
        for name, url in (("single", single_url), ("cluster", cluster_url)):
            port = services.free_port(port + 1)
            by_name[name] = server_start(name, "academy.settings", kind="gunicorn-gthread", port=port,
                                         workers=args.workers, env={**env, "REDIS_URL": url})
            servers.append(by_name[name])
        # The cluster starts empty: one poll per task reads the DB once and re-warms it.
        for path, header, value in rows:
            status, body = http_get(by_name["cluster"].port, path, {header: value})
            assert status == 200, (status, body[:200])
        print(f"bench/cluster: {len(rows)} tasks, both servers answer every one; "
              f"{args.connections} connections, {args.rounds} rounds of {args.duration:.0f} s", flush=True)

        results: dict[str, list[dict]] = {"single": [], "cluster": []}
        for rnd in range(args.rounds):
            order = ("single", "cluster") if rnd % 2 == 0 else ("cluster", "single")
            for name in order:
                server = by_name[name]
                wrk(server.port, targets_file, connections=args.connections, seconds=args.warmup, threads=2)
                for other in servers:
                    wait_idle(other)
                summary, _ = wrk(server.port, targets_file, connections=args.connections, seconds=args.duration,
                                 threads=2)
                errors = sum(summary[k] for k in ("connect", "read", "write", "status", "timeout"))
                window = {"rps": summary["requests"] / (summary["duration_us"] / 1e6),
                          "p99_ms": summary["p99_us"] / 1000, "errors": errors, "load": _load()}
                results[name].append(window)
                print(f"  round {rnd + 1} {name:7s} {window['rps']:8.0f} polls/s  p99 {window['p99_ms']:6.1f} ms  "
                      f"errors {errors}  load {window['load']}", flush=True)

        med = {name: {"rps": statistics.median(w["rps"] for w in ws), "p99": statistics.median(w["p99_ms"] for w in ws)}
               for name, ws in results.items()}
        spread = {name: (min(w["rps"] for w in ws), max(w["rps"] for w in ws)) for name, ws in results.items()}
        print(f"\nmedian of {args.rounds} rounds, {args.connections} pollers, gunicorn gthread {args.workers} workers x 4 threads:")
        for name in ("single", "cluster"):
            print(f"  {name:7s} {med[name]['rps']:8.0f} polls/s (range {spread[name][0]:.0f}-{spread[name][1]:.0f})  "
                  f"p99 {med[name]['p99']:.1f} ms")
        print(f"  cluster / single: {med['cluster']['rps'] / med['single']['rps']:.2f}x polls/s")
        return 0 if all(w["errors"] == 0 for ws in results.values() for w in ws) else 1
    finally:
        for server in servers:
            server.stop()
        for stop in reversed(stops):
            stop()


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"bench/cluster: {time.monotonic() - started:.0f} s")
    sys.exit(code)
