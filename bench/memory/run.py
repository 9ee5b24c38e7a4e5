#!/usr/bin/env python3
"""bench/memory: Redis bytes per finished task, and the figure for one million of them.

    .venv/bin/python bench/memory/run.py          # about a minute; prints the table, updates README.md

Starts a throwaway redis-server (scripts/services.py), then per configuration and per kind
loads 100,000 terminal tasks through academy.progress.store.state_write in pipelines (the
Lua script the workers use), with a realistic status built by the kinds' own state
functions: a READY video (hls_path, duration) and a DONE Excel import job (its result
{created, restored, skipped_existing, failed: [], total}). Per task it reports MEMORY USAGE
of its keys (sampled) and the used_memory delta, and extrapolates to one million.

Two Redis configurations are measured: the defaults, and `hash-max-listpack-value 1024`.
Redis keeps a HASH in the compact listpack encoding only while every value is at most
hash-max-listpack-value bytes (64 by default); a job's result JSON is longer than that.
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from scripts import services  # noqa: E402

TARGET_BYTES = 200
RESULTS_BEGIN = "<!-- results:begin (written by bench/memory/run.py) -->"
RESULTS_END = "<!-- results:end -->"
CONFIGS = [("default", {}), ("listpack-1024", {"hash-max-listpack-value": "1024"})]
# An import's result as the worker returns it; its `accounts` (activation codes) stay in the DB
# (the handler's detail_only), so Redis holds the counts and "detail_only": ["accounts"].
IMPORT_RESULT = {"created": 97, "restored": 1, "skipped_existing": 2, "failed": [], "total": 100,
                 "accounts": [{"row": 2, "username": "s2", "activation_code": "X7K2-P9QD"}]}


def video_task(i: int, tenant_id: int):
    """Return the ref and the terminal state of a READY video, as the worker publishes it."""
    from academy.videos.models import Video, VideoStatus
    from academy.videos.selectors import video_ref, video_state
    from academy.videos.storage import output_prefix

    video_id = 1_000_000 + i
    video = Video(pk=video_id, tenant_id=tenant_id, status=VideoStatus.READY, attempt=1,
                  hls_path=output_prefix(tenant_id=tenant_id, video_id=video_id, attempt=1) + "master.m3u8",
                  duration=1834.52 + (i % 1000))
    return video_ref(video), video_state(video)


def job_task(i: int, tenant_id: int):
    """Return the ref and the terminal state of a DONE Excel import, as the worker publishes it."""
    from academy.jobs.models import Job, JobStatus
    from academy.jobs.selectors import job_ref, job_state

    job = Job(job_id=uuid.UUID(int=random.Random(i).getrandbits(128), version=4), tenant_id=tenant_id,
              job_type="excel_student_import", status=JobStatus.DONE, attempt=1,
              result={**IMPORT_RESULT, "created": 90 + i % 10, "skipped_existing": 10 - i % 10})
    return job_ref(job), job_state(job)


def load(client, make, count: int, *, tenants: int, batch: int = 1000) -> list:
    """Write `count` terminal tasks through state_write in pipelines; return a sample of refs."""
    from academy.progress.store import state_write

    # 1 task in 1,000, spread over tenants and ids (the key's length varies with both).
    sampled = set(random.Random(count).sample(range(count), max(1, count // 1000)))
    sample = []
    for start in range(0, count, batch):
        pipe = client.pipeline(transaction=False)
        for i in range(start, min(count, start + batch)):
            ref, state = make(i, tenant_id=1 + i % tenants)
            # Not announced: the tenant's event stream is capped (PROGRESS_STREAM_MAXLEN) and
            # expires, a fixed cost per tenant, not bytes a finished task keeps.
            state_write(ref, state, pipeline=pipe, announce=False)
            if i in sampled:
                sample.append(ref)
        results = pipe.execute()
        if not all(result[0] == 1 for result in results):
            raise SystemExit(f"a write was not applied: {results[:3]}")
    return sample


def key_bytes(client, refs) -> tuple[float, set[str], int]:
    """Return mean MEMORY USAGE over the refs' keys, their encodings and how many keys a task has."""
    from academy.progress.keys import task_keys

    total, encodings, keys = 0, set(), 0
    for ref in refs:
        for key in task_keys(ref):
            size = client.memory_usage(key, samples=0)
            if size is None:
                continue  # a finished task keeps only its status HASH
            total += size
            keys += 1
            encodings.add(client.object("encoding", key))
    return total / len(refs), encodings, keys / len(refs)


def used_memory(client) -> int:
    return int(client.info("memory")["used_memory"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="tasks loaded per kind and configuration")
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="loads per kind and configuration (median reported)")
    parser.add_argument("--no-write", action="store_true", help="print only: leave README.md as it is")
    args = parser.parse_args()

    os.environ.setdefault("TEST_REDIS_PORT", "27379")
    root = tempfile.mkdtemp(prefix="academy-bench-memory-")
    started = time.monotonic()
    load_average = " ".join(f"{value:.1f}" for value in os.getloadavg())
    rows = []
    try:
        redis_url, stop = services.start_redis(root)
        # A pipeline of 1,000 script calls can take seconds on a busy machine: not a failure here.
        os.environ.setdefault("REDIS_SOCKET_TIMEOUT", "60")
        os.environ.update({"REDIS_URL": redis_url, "SECRET_KEY": secrets.token_urlsafe(20),
                           "DJANGO_SETTINGS_MODULE": "academy.settings", "TERMINAL_STATUS_TTL": ""})
        import django

        django.setup()
        from academy.progress.client import get_redis

        client = get_redis()
        version = client.info("server")["redis_version"]
        print(f"bench/memory: Redis {version} at {redis_url}, {args.count:,} tasks per kind", flush=True)
        try:
            for config_name, config in CONFIGS:
                for kind, make in (("video READY", video_task), ("job DONE", job_task)):
                    client.flushall()
                    client.config_set("hash-max-listpack-value", "64")
                    for name, value in config.items():
                        client.config_set(name, value)
                    # Load the script once, outside what is measured.
                    load(client, make, 10, tenants=args.tenants)
                    deltas = []
                    for _ in range(args.rounds):
                        client.flushall()
                        time.sleep(0.2)
                        before = used_memory(client)
                        sample = load(client, make, args.count, tenants=args.tenants)
                        time.sleep(0.2)
                        deltas.append((used_memory(client) - before) / args.count)
                    per_task = statistics.median(deltas)
                    usage, encodings, keys = key_bytes(client, sample)
                    from academy.progress.keys import task_keys

                    stored = task_keys(sample[0])[0], client.hgetall(task_keys(sample[0])[0])
                    rows.append({
                        "config": config_name, "kind": kind, "per_task": per_task, "spread": (min(deltas), max(deltas)),
                        "memory_usage": usage,
                        "encoding": "/".join(sorted(encodings)), "keys": keys, "million_mb": per_task * 1e6 / 2**20,
                        "dbsize": client.dbsize(), "example": stored,
                    })
                    print(f"  {config_name:<14} {kind:<12} {per_task:6.0f} B/task (used_memory delta, median of "
                          f"{args.rounds}: {min(deltas):.0f}-{max(deltas):.0f}), "
                          f"MEMORY USAGE {usage:4.0f} B, {'/'.join(sorted(encodings))}", flush=True)
        finally:
            stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)

    head = (f"{'Redis config':<14} {'task':<12} {'keys':>4} {'encoding':<9} {'MEMORY USAGE':>12} "
            f"{'used_memory/task':>16} {'min-max':>9} {'1M tasks':>10} {'<= 200 B':>8}")
    lines = [head, "-" * len(head)]
    for r in rows:
        ok = "yes" if r["per_task"] <= TARGET_BYTES else "no"
        lines.append(f"{r['config']:<14} {r['kind']:<12} {r['keys']:>4.0f} {r['encoding']:<9} "
                     f"{r['memory_usage']:>10.0f} B {r['per_task']:>14.0f} B "
                     f"{'{:.0f}-{:.0f}'.format(*r['spread']):>9} {r['million_mb']:>6.0f} MiB {ok:>8}")
    for config_name, _ in CONFIGS:
        mix = [r["per_task"] for r in rows if r["config"] == config_name]
        lines.append(f"{config_name:<14} {'half each':<12} {'':>4} {'':<9} {'':>12} {sum(mix) / len(mix):>14.0f} B "
                     f"{'':>9} {sum(mix) / len(mix) * 1e6 / 2**20:>6.0f} MiB")
    examples = []
    for r in rows[:2]:
        key, stored = r["example"]
        sizes = " ".join(f"{len(value.encode())}" for value in stored.values())
        examples.append(f"{key}  {stored}  (value bytes: {sizes})")
    notes = [
        f"Per configuration and kind: {args.rounds} rounds of {args.count:,} terminal tasks over {args.tenants} "
        "tenants (median, min-max), loaded through",
        "state_write (the workers' Lua script) in pipelines of 1,000. used_memory/task: the server's used_memory",
        "delta divided by the tasks (keys, values and the key table); MEMORY USAGE: mean over 1 in 1,000 tasks",
        "of their keys. 1M tasks: used_memory/task x 1,000,000. A finished task keeps one HASH, no TTL.",
    ]
    report = "\n".join([*lines, "", *notes, "", "What one finished task holds:", *(f"  {e}" for e in examples)])
    print()
    print(report)
    print(f"\nbench/memory took {time.monotonic() - started:.0f} s")
    if not args.no_write:
        readme = HERE / "README.md"
        body = readme.read_text()
        start = body.index(RESULTS_BEGIN) + len(RESULTS_BEGIN)
        end = body.index(RESULTS_END)
        stamp = (f"Measured {time.strftime('%Y-%m-%d %H:%M')} with Redis {version} "
                 f"(`{' '.join(sys.argv[1:]) or 'defaults'}`; load average {load_average}):")
        readme.write_text(body[:start] + f"\n{stamp}\n\n```\n{report}\n```\n" + body[end:])
        print(f"updated {readme.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
