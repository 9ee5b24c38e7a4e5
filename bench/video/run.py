#!/usr/bin/env python3
"""Our video pipeline against the bare ffmpeg command it runs, on one generated clip.

    .venv/bin/python bench/video/run.py            # 60 s of 1080p, three rounds
    .venv/bin/python bench/video/run.py --seconds 20 --height 720 --rounds 2

Without DATABASE_URL and REDIS_URL it re-runs itself under scripts/services.py, which
starts a throwaway PostgreSQL (pg_stat_statements preloaded) and Redis and stops them at
the end; the pipeline then runs exactly as in a worker, against real servers. Files go
to a temporary MEDIA_ROOT that is deleted afterwards.

Measured in one run, on the same source file:
- bare: hls.encode_command(...) run by itself (the identical command line: the same
  renditions, options and threads, and the poster output), and
- pipeline: video_encode_run() (mark processing, probe, that command with progress
  reporting, the poster check, copy into storage, completion),
then the median over the rounds of each round's wall-time ratio (target at most 1.02) with
its spread, the CPU-time ratio and the pipeline's own Python CPU, the load at each run's
start, the Redis progress writes per minute of
encoding (EVALSHA calls of the status script, from INFO commandstats; target at most
120) and the SQL statements the encoding sent to PostgreSQL about the video.
"""
from __future__ import annotations

import argparse
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--rounds", type=int, default=3, help="bare/pipeline pairs, order alternating (medians)")
    return parser.parse_args(argv)


def reexec_with_services(argv: list[str]) -> None:
    """Start PostgreSQL and Redis for this run when the environment names none."""
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        return
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    command = [sys.executable, str(ROOT / "scripts" / "services.py"), "--", sys.executable, __file__, *argv]
    sys.exit(subprocess.call(command, cwd=ROOT))


def django_setup(media_root: str) -> None:
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ["MEDIA_ROOT"] = media_root
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "academy.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    pipeline_log = logging.getLogger("academy.videos.pipeline")
    pipeline_log.setLevel(logging.INFO)
    pipeline_log.addHandler(_StepLog())
    pipeline_log.propagate = False


STEP_LOG: list[dict[str, float]] = []


class _StepLog(logging.Handler):
    """Keep the step timings of the pipeline's "encoded" log line."""

    def emit(self, record: logging.LogRecord) -> None:
        laps = getattr(record.args[-1], "laps", None) if record.args else None
        if laps is not None:
            STEP_LOG.append(dict(laps))


def evalsha_calls(client) -> int:
    """Return how many times Redis ran a script so far (the status store's every write)."""
    stats = client.info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("evalsha", "eval"))


def pg_stat_reset() -> bool:
    from django.db import connection

    if connection.vendor != "postgresql":
        return False
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            cursor.execute("SELECT pg_stat_statements_reset()")
        return True
    except Exception:  # not preloaded on this server: skip the count
        return False


def pg_video_statements() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
            "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND query ILIKE %s AND query NOT ILIKE %s",
            ["%videos_video%", "%pg_stat_statements%"],
        )
        return int(cursor.fetchone()[0])


def cpu_seconds() -> tuple[float, float]:
    """Return the CPU time of this process, and of its reaped children (ffmpeg, ffprobe), so far."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def cpu_since(before: tuple[float, float]) -> tuple[float, float]:
    now = cpu_seconds()
    return now[0] - before[0], now[1] - before[1]


def run_bare(clip: str, work: Path) -> tuple[float, float]:
    """Run the pipeline's ffmpeg command by itself; return its wall and CPU seconds.

    The command is hls.encode_command's, as encode_hls runs it: the same renditions, options,
    threads and the poster output; only the file names differ.
    """
    from academy.videos import hls, storage

    info = hls.probe(clip)
    out_dir = work / "bare"
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir()
    command = hls.encode_command(clip, out_dir, ladder=hls.plan_ladder(info), probe=info,
                                 poster=out_dir / storage.POSTER)
    cpu, started = cpu_seconds(), time.monotonic()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    elapsed, (own, children) = time.monotonic() - started, cpu_since(cpu)
    if not (out_dir / storage.POSTER).is_file():
        raise SystemExit("the bare command wrote no poster")
    shutil.rmtree(out_dir, ignore_errors=True)
    return elapsed, own + children


def run_pipeline(clip: str, tenant_id: int) -> dict:
    """Upload the clip as a new video and encode it as a worker would; return what it cost."""
    from django.core.files import File

    from academy.progress.client import get_redis
    from academy.videos import services, storage
    from academy.videos.models import Video
    from academy.videos.pipeline import video_encode_run

    with open(clip, "rb") as data:
        source = storage.source_save(tenant_id=tenant_id, file=File(data, name="clip.mp4"))
    video = services.video_create(tenant_id=tenant_id, title="Bench clip", source=source, enqueue=False)
    redis = get_redis()
    counting_sql = pg_stat_reset()
    writes_before = evalsha_calls(redis)
    cpu, started = cpu_seconds(), time.monotonic()
    outcome = video_encode_run(video_id=video.pk, attempt=video.attempt)
    elapsed, (own, children) = time.monotonic() - started, cpu_since(cpu)
    writes = evalsha_calls(redis) - writes_before
    sql = pg_video_statements() if counting_sql else None  # before this script's own reads
    video = Video.objects.get(pk=video.pk)
    if outcome != "READY":
        raise SystemExit(f"the pipeline ended {outcome}: {video.error_reason}")
    return {
        "elapsed": elapsed,
        "cpu": own + children,
        "python_cpu": own,  # this process: progress parsing, Redis and SQL writes, file copies
        "redis_writes": writes,
        "sql": sql,
        "steps": STEP_LOG[-1] if STEP_LOG else {},
        "duration": video.duration,
        "hls_path": video.hls_path,
    }


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    reexec_with_services(argv)
    with tempfile.TemporaryDirectory(prefix="academy-bench-video-") as tmp:
        work = Path(tmp)
        django_setup(str(work / "media"))
        from academy.tenants.services import tenant_create
        from academy.testdata.clips import generate_test_clip
        from academy.videos import hls

        cpus = os.cpu_count()
        print(f"clip: {args.seconds} s, {args.width}x{args.height}, 25 fps, H.264 + AAC; {cpus} CPUs; "
              f"ffmpeg {subprocess.run(['ffmpeg', '-version'], capture_output=True, text=True).stdout.split()[2]}",
              flush=True)
        started = time.monotonic()
        clip = generate_test_clip(work / "clip.mp4", seconds=args.seconds, width=args.width,
                                  height=args.height, timeout=1800)
        ladder = "+".join(r.name for r in hls.plan_ladder(hls.probe(clip)))
        print(f"generated in {time.monotonic() - started:.1f} s; ladder {ladder}", flush=True)
        tenant = tenant_create(name="Video bench")

        load_start = " ".join(f"{value:.1f}" for value in os.getloadavg())
        bare, bare_cpu, runs, loads = [], [], [], []
        for round_ in range(args.rounds):
            # Alternate the order, so neither side always runs on a warmer machine.
            for side in (("bare", "pipeline") if round_ % 2 == 0 else ("pipeline", "bare")):
                load = os.getloadavg()[0]
                loads.append(load)
                if side == "bare":
                    wall, cpu = run_bare(clip, work)
                    bare.append(wall)
                    bare_cpu.append(cpu)
                    print(f"  round {round_ + 1} bare ffmpeg: {bare[-1]:.2f} s, CPU {cpu:.1f} s (load {load:.1f})",
                          flush=True)
                else:
                    runs.append(run_pipeline(clip, tenant.pk))
                    laps = ", ".join(f"{name} {sec:.2f} s" for name, sec in runs[-1]["steps"].items())
                    print(f"  round {round_ + 1} pipeline:    {runs[-1]['elapsed']:.2f} s, CPU {runs[-1]['cpu']:.1f} s "
                          f"of which Python {runs[-1]['python_cpu']:.2f} s ({laps}) (load {load:.1f})", flush=True)

        bare_s = statistics.median(bare)
        pipe_s = statistics.median(run["elapsed"] for run in runs)
        # Each round's own pair ran back to back, so its ratio moves least with the machine's
        # load: the target is the median of these; the ratio of the medians is shown too.
        pair_ratios = [run["elapsed"] / wall for run, wall in zip(runs, bare)]
        ratio = statistics.median(pair_ratios)
        pair_cpu = [run["cpu"] / cpu for run, cpu in zip(runs, bare_cpu)]
        cpu_ratio = statistics.median(run["cpu"] for run in runs) / statistics.median(bare_cpu)
        python_cpu = statistics.median(run["python_cpu"] for run in runs)
        # What the pipeline adds around ffmpeg, apart from the machine's noise in ffmpeg itself.
        transcode_s = statistics.median(run["steps"].get("transcode", 0.0) for run in runs)
        around_s = statistics.median(run["elapsed"] - run["steps"].get("transcode", 0.0) for run in runs)
        writes = statistics.median(run["redis_writes"] for run in runs)
        per_minute = writes / (pipe_s / 60)
        sql = runs[-1]["sql"]
        rows = [
            ("bare ffmpeg (same command), wall s", f"{bare_s:.2f}", ""),
            ("pipeline video_encode_run, wall s", f"{pipe_s:.2f}", ""),
            ("  of which the transcode step, wall s", f"{transcode_s:.2f}", ""),
            ("  of which all else (probe, poster, ...)", f"{around_s:.2f}", ""),
            ("wall-time ratio pipeline / bare, median of rounds", f"{ratio:.3f}", "<= 1.02"),
            ("  per round, min-max", f"{min(pair_ratios):.3f}-{max(pair_ratios):.3f}", ""),
            ("  ratio of the median wall times", f"{pipe_s / bare_s:.3f}", ""),
            ("rounds", str(args.rounds), ">= 3"),
            ("CPU-time ratio pipeline / bare (medians)", f"{cpu_ratio:.3f}", ""),
            ("  per round, min-max", f"{min(pair_cpu):.3f}-{max(pair_cpu):.3f}", ""),
            ("bare ffmpeg CPU s, median (min-max)", f"{statistics.median(bare_cpu):.1f} "
             f"({min(bare_cpu):.1f}-{max(bare_cpu):.1f})", ""),
            ("pipeline's own Python CPU s (median)", f"{python_cpu:.2f}", ""),
            ("  transcode step / bare (medians)", f"{transcode_s / bare_s:.3f}", ""),
            ("1-min load at each run's start, min-max", f"{min(loads):.1f}-{max(loads):.1f}", ""),
            ("encoding speed (x real time)", f"{args.seconds / bare_s:.2f}", ""),
            ("load average at the start", load_start, ""),
            ("load average at the end", " ".join(f"{value:.1f}" for value in os.getloadavg()), ""),
            ("Redis progress writes (EVALSHA)", f"{writes:.0f}", ""),
            ("Redis progress writes per minute", f"{per_minute:.1f}", "<= 120"),
            ("SQL statements on videos_video", "n/a" if sql is None else str(sql), "4"),
            ("READY duration, s", f"{runs[-1]['duration']:.2f}", f"{args.seconds}"),
        ]
        width = max(len(name) for name, _, _ in rows)
        print()
        value_width = max(8, *(len(value) for _, value, _ in rows))
        print(f"| {'measure'.ljust(width)} | {'value':>{value_width}} | target  |")
        print(f"|{'-' * (width + 2)}|{'-' * (value_width + 2)}|---------|")
        for name, value, target in rows:
            print(f"| {name.ljust(width)} | {value:>{value_width}} | {target:<7} |")
        ok = ratio <= 1.02 and per_minute <= 120
        print(f"\n{'PASS' if ok else 'MISS'}: ratio {ratio:.3f} (<= 1.02), {per_minute:.1f} writes/min (<= 120)")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
