#!/usr/bin/env python3
"""`make bench-redis-freeze`: what a frozen Redis adds to a progress read, with the breaker.

A private redis-server is SIGSTOPped (it accepts connections but never answers). In each
round, 20 progress reads (`progress.progress_get` of a missing job: Redis, then the DB
fallback) run one after another against the frozen Redis, then 20 against the same Redis
answering again (the baseline, same process, same round). Prints the per-read latencies:
the first PROGRESS_BREAKER_FAILURES reads wait one REDIS_SOCKET_TIMEOUT each, the rest go
straight to the DB. Median of 3 rounds. Needs a PostgreSQL (DATABASE_URL); run it through
scripts/services.py, as `make bench-redis-freeze` does.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    work = tempfile.mkdtemp()
    redis_proc = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
                                   "--save", "", "--appendonly", "no", "--dir", work], stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "academy.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from academy.progress import api as progress
    from academy.progress.breaker import breaker, fallback_flight

    def reads(n: int) -> list[float]:
        out = []
        for _ in range(n):
            ref = progress.TaskRef(1, progress.KIND_JOB, str(uuid.uuid4()))  # a new id: no cached answer
            started = time.perf_counter()
            progress.progress_get(ref)
            out.append(time.perf_counter() - started)
        return out

    rounds = []
    try:
        reads(5)  # warm connections and the script
        for _ in range(3):
            breaker.reset()
            fallback_flight.clear()
            os.kill(redis_proc.pid, signal.SIGSTOP)
            frozen = reads(20)
            os.kill(redis_proc.pid, signal.SIGCONT)
            breaker.reset()
            healthy = reads(20)
            rounds.append((frozen, healthy))
    finally:
        os.kill(redis_proc.pid, signal.SIGCONT)
        redis_proc.terminate()
        redis_proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    ms = lambda v: f"{v * 1000:.1f} ms"  # noqa: E731
    print(f"REDIS_SOCKET_TIMEOUT={settings.REDIS_SOCKET_TIMEOUT} s, PROGRESS_BREAKER_FAILURES="
          f"{settings.PROGRESS_BREAKER_FAILURES}, load average {os.getloadavg()[0]:.1f}")
    for i, (frozen, healthy) in enumerate(rounds, 1):
        slow = sum(1 for v in frozen if v > settings.REDIS_SOCKET_TIMEOUT / 2)
        print(f"round {i}: frozen: max {ms(max(frozen))}, reads over half a timeout: {slow}/20, "
              f"median {ms(statistics.median(frozen))}; healthy: median {ms(statistics.median(healthy))}")
    worst = statistics.median(max(f) for f, _ in rounds)
    after = statistics.median(statistics.median(f[settings.PROGRESS_BREAKER_FAILURES:]) for f, _ in rounds)
    base = statistics.median(statistics.median(h) for _, h in rounds)
    print(f"median of 3 rounds: worst read while frozen {ms(worst)} (one socket timeout); once the breaker is open "
          f"{ms(after)} per read vs {ms(base)} with Redis answering (ratio {after / base:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
