#!/usr/bin/env python3
"""Benchmark the roster import against the per-row approach and django-import-export.

    .venv/bin/python bench/import/run.py                  # 100, 10,000 and 100,000 rows
    .venv/bin/python bench/import/run.py --sizes 100,10000 --timeout 120

Needs django-import-export (pip install -e '.[bench]'). Starts a throwaway PostgreSQL
with scripts/services.py (or uses DATABASE_URL's server) and runs every import in a
subprocess of its own, on a fresh copy of a migrated template database, bounded by
--timeout. Statements are counted by PostgreSQL (pg_stat_statements, the import's
database only, BEGIN/COMMIT included); memory is the subprocess's peak RSS.
"""
from __future__ import annotations

import argparse
import cProfile
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
APPROACH_NAMES = {
    "batched": "batched (this service)",
    "per_row": "(a) per-row get_or_create",
    "import_export": "(b) django-import-export bulk",
}
PASSWORD = "initial-pw-1"


def django_env(database_url: str, *, approach: str = "") -> dict:
    env = dict(os.environ)
    # The service runs under the app's own settings: django-import-export (the baseline's
    # library, about 15 MB) is not loaded into the worker whose peak RSS is measured.
    settings_module = "academy.settings" if approach == "batched" else "bench_settings"
    env.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE=settings_module,
               SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-not-secret"),
               PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT), env.get("PYTHONPATH", "")]),
               LOG_LEVEL="WARNING")
    return env


def with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


# --- the worker: one import, measured --------------------------------------------------------

def worker(approach: str, path: str) -> None:
    import django

    django.setup()
    from django.db import connection

    from academy.students.models import Parent, Student
    from academy.tenants.models import Membership, Tenant, User

    tenant = Tenant.objects.create(name="bench")
    password_hash = os.environ["BENCH_PASSWORD_HASH"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_statements_reset()")
    if approach == "batched":
        from academy.students.services import student_import_run

        def run_import():
            student_import_run(tenant_id=tenant.pk, source=path)
    else:
        from baselines import APPROACHES

        def run_import():
            APPROACHES[approach](path=path, tenant_id=tenant.pk, password_hash=password_hash)
    rss_before = peak_rss_mb()
    profile_to = os.environ.get("BENCH_PROFILE")
    profiler = cProfile.Profile() if profile_to else None
    started = time.perf_counter()
    # For the driver: when the clock started, so that a stopped run's lower bound excludes start-up.
    Path(os.environ["BENCH_STARTED_FILE"]).write_text(repr(time.time()))
    if profiler:
        profiler.enable()
    run_import()
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    if profiler:
        profiler.dump_stats(profile_to)
        with connection.cursor() as cursor, open(profile_to + ".sql.txt", "w") as out:
            out.write(statement_times(cursor))
    # End to end: what the upload request does first (check the file, hash the initial
    # password, store the file), then the import; Django start-up excluded.
    prepare = end_to_end_prepare(path, tenant.pk) if approach == "batched" else 0.0
    with connection.cursor() as cursor:
        statements, fk_checks = statement_counts(cursor)
    print(json.dumps({
        "seconds": seconds, "end_to_end": seconds + prepare, "statements": statements, "fk_checks": fk_checks,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": rss_before,
        "students": Student.objects.filter(tenant=tenant).count(),
        "users": User.objects.filter(username__startswith=f"t{tenant.pk}-").count(),
        "memberships": Membership.objects.filter(tenant=tenant).count(),
        "parents": Parent.objects.filter(tenant=tenant).count(),
    }))


def peak_rss_mb() -> float:
    """Return this process's peak resident set size (VmHWM), in MB.

    Not getrusage's ru_maxrss: Linux carries the pre-exec peak into it, so a worker
    started from the driver (Django loaded, rosters generated) would report the driver's.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def end_to_end_prepare(path: str, tenant_id: int) -> float:
    """Return the seconds of the upload's own work: student_import_prepare on the roster."""
    from academy.students.services import student_import_prepare, student_import_file_delete

    started = time.perf_counter()
    with open(path, "rb") as file:
        payload = student_import_prepare(tenant_id=tenant_id, file=file)
    seconds = time.perf_counter() - started
    student_import_file_delete(path=payload["path"])
    return seconds


def statement_counts(cursor) -> tuple[int, int]:
    """Return (statements, of which foreign-key checks) run in the cursor's database since the reset."""
    cursor.execute(
        "SELECT coalesce(sum(calls), 0), coalesce(sum(calls) FILTER (WHERE query LIKE '%FOR KEY SHARE OF%'), 0) "
        "FROM pg_stat_statements "
        "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND query NOT ILIKE '%pg_stat_statements%'"
    )
    statements, fk_checks = cursor.fetchone()
    return int(statements), int(fk_checks)


def statement_times(cursor) -> str:
    """Return where PostgreSQL spent the import's time: statements by total execution time."""
    cursor.execute(
        "SELECT calls, round(total_exec_time::numeric, 1), round(total_plan_time::numeric, 1), rows, "
        "left(regexp_replace(query, '\\s+', ' ', 'g'), 160) FROM pg_stat_statements "
        "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "ORDER BY total_exec_time DESC LIMIT 15"
    )
    lines = ["calls | exec ms | plan ms | rows | statement"]
    lines += [" | ".join(str(value) for value in row) for row in cursor.fetchall()]
    return "\n".join(lines) + "\n"


# --- the driver ------------------------------------------------------------------------------

def load_services():
    spec = importlib.util.spec_from_file_location("academy_services", ROOT / "scripts" / "services.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,10000,100000", help="comma-separated row counts")
    parser.add_argument("--timeout", type=float, default=300, help="seconds allowed to one batched import")
    parser.add_argument("--baseline-timeout", type=float, default=120,
                        help="seconds allowed to one baseline import; a stopped one gives a lower bound "
                             "of the ratio and is not run again")
    parser.add_argument("--baseline-max", type=int, default=10_000,
                        help="largest roster given to the baselines (the targets are at 10,000 rows; "
                             "beyond, they only spend their timeout)")
    parser.add_argument("--approaches", default="batched,per_row,import_export")
    parser.add_argument("--rounds", type=int, default=3,
                        help="imports per size and approach (medians reported; order alternates by round)")
    parser.add_argument("--service-python", metavar="PYTHON", default=sys.executable,
                        help="the interpreter that runs the service's imports: make bench-import passes a bare "
                             "`pip install .` (what a worker runs: no test or bench extras, whose optional imports "
                             "add about 15 MB to every process); the baselines keep this one (django-import-export)")
    parser.add_argument("--profile", metavar="DIR",
                        help="write a cProfile of each import to DIR/<approach>-<rows>-<round>.prof (slower runs)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.file)
        return 0

    if importlib.util.find_spec("import_export") is None and "import_export" in args.approaches:
        raise SystemExit("django-import-export is missing: .venv/bin/pip install -e '.[bench]'")
    sizes = [int(size) for size in args.sizes.split(",")]
    approaches = args.approaches.split(",")
    root = tempfile.mkdtemp(prefix="academy-bench-import-")
    stops = []
    try:
        base_url = os.environ.get("DATABASE_URL", "")
        if not base_url.startswith("postgres"):
            services = load_services()
            base_url, stop = services.start_postgres(root)
            stops.append(stop)
        return drive(base_url=base_url, root=Path(root), sizes=sizes, approaches=approaches, args=args)
    finally:
        for stop in stops:
            stop()
        shutil.rmtree(root, ignore_errors=True)


def drive(*, base_url: str, root: Path, sizes: list[int], approaches: list[str], args) -> int:
    import psycopg

    sys.path[:0] = [str(HERE), str(ROOT)]
    os.environ.update(django_env(base_url))
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password

    from academy.testdata.roster import generate_rows, write_roster_xlsx

    admin = psycopg.connect(base_url, autocommit=True)
    admin.execute("DROP DATABASE IF EXISTS bench_template")
    admin.execute("CREATE DATABASE bench_template")
    template_url = with_db(base_url, "bench_template")
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], env=django_env(template_url),
                   check=True)
    with psycopg.connect(template_url, autocommit=True) as template:
        template.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    # Hashed once, before any clock starts: every approach stores this same hash.
    password_hash = make_password(PASSWORD)

    print(f"PostgreSQL {admin.execute('SHOW server_version').fetchone()[0]}, "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; timeout {args.timeout:.0f} s per batched "
          f"import, {args.baseline_timeout:.0f} s per baseline import; "
          f"{args.rounds} rounds; load average at start {_load()}", flush=True)
    print(f"the service runs under {args.service_python}", flush=True)
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
    results: list[dict] = []
    for size in sizes:
        path = write_roster_xlsx(root / f"roster-{size}.xlsx", generate_rows(size, seed=2024))
        entries = {approach: {"rows": size, "approach": approach, "runs": []} for approach in approaches}
        results.extend(entries.values())
        for round_ in range(args.rounds):
            # Alternate the order, so a slow spell of the shared machine hits every approach.
            for approach in (approaches if round_ % 2 == 0 else approaches[::-1]):
                entry = entries[approach]
                if approach != "batched" and size > args.baseline_max:
                    entry["note"] = f"not run: baselines only up to {args.baseline_max:,} rows"
                    continue
                if any("stopped_after" in run for run in entry["runs"]):
                    continue  # one timeout is enough: a second would only cost another --timeout
                profile = (os.path.join(args.profile, f"{approach}-{size}-{round_ + 1}.prof")
                           if args.profile else None)
                load = os.getloadavg()[0]
                run = run_once(base_url=base_url, approach=approach, path=path, password_hash=password_hash,
                               timeout=args.timeout if approach == "batched" else args.baseline_timeout,
                               profile=profile,
                               python=args.service_python if approach == "batched" else sys.executable)
                run["load"] = load
                if "seconds" in run or "stopped_after" in run:
                    entry["runs"].append(run)
                else:
                    entry.update(run)
                print(f"  {size:>7,} rows  round {round_ + 1}  {APPROACH_NAMES[approach]:<32} "
                      f"{_seconds(run):>10}  {run.get('note', '')}  (load {_load()})", flush=True)
        for entry in entries.values():
            summarize(entry)
    admin.execute("DROP DATABASE IF EXISTS bench_run WITH (FORCE)")
    admin.execute("DROP DATABASE IF EXISTS bench_template WITH (FORCE)")
    print()
    print(table(results))
    print(f"\nload average at the end {_load()}")
    return 0


def run_once(*, base_url: str, approach: str, path: Path, password_hash: str, timeout: float,
             profile: str | None = None, python: str = sys.executable) -> dict:
    """Run one import in a subprocess on a fresh copy of the template; return its figures."""
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS bench_run WITH (FORCE)")
        admin.execute("CREATE DATABASE bench_run TEMPLATE bench_template")
    env = django_env(with_db(base_url, "bench_run"), approach=approach)
    env["BENCH_PASSWORD_HASH"] = password_hash
    started_file = path.parent / "started"
    started_file.unlink(missing_ok=True)
    env["BENCH_STARTED_FILE"] = str(started_file)
    if profile:
        env["BENCH_PROFILE"] = profile
    try:
        done = subprocess.run([python, __file__, "--worker", approach, "--file", str(path)],
                              env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        # The import itself ran from the worker's start mark to now: Django's start-up is not
        # part of the lower bound (no mark: the import never started, the bound says nothing).
        mark = started_file.read_text() if started_file.exists() else ""
        ran = time.time() - float(mark) if mark else 0.0
        entry = {"note": f"stopped after {ran:.0f} s of import", "stopped_after": ran}
        with psycopg.connect(with_db(base_url, "bench_run"), autocommit=True) as run_db:
            entry["statements"], entry["fk_checks"] = statement_counts(run_db.cursor())
        return entry
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        return {"note": f"failed (exit {done.returncode})"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarize(entry: dict) -> None:
    """Set the entry's figures to the medians of its runs, with the seconds' spread and the load.

    A run stopped by its timeout counts as taking exactly the timeout: the median is then a
    lower bound (`lower`), and so is every ratio against it.
    """
    runs = entry["runs"]
    if not runs:
        return
    seconds = [run.get("seconds", run.get("stopped_after")) for run in runs]
    entry["lower"] = any("stopped_after" in run for run in runs)
    entry["seconds"] = statistics.median(seconds)
    entry["spread"] = (min(seconds), max(seconds))
    entry["load_range"] = (min(run["load"] for run in runs), max(run["load"] for run in runs))
    finished = [run for run in runs if "seconds" in run] or runs
    for key in ("end_to_end", "statements", "fk_checks"):
        if all(key in run for run in finished):
            entry[key] = statistics.median(run[key] for run in finished)
    if all("peak_rss_mb" in run for run in finished):
        entry["peak_rss_mb"] = max(run["peak_rss_mb"] for run in finished)
        entry["rss_before_mb"] = max(run["rss_before_mb"] for run in finished)
        entry["students"] = min(run["students"] for run in finished)


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _seconds(entry: dict) -> str:
    return f"{entry['seconds']:.2f} s" if "seconds" in entry else "-"


def table(results: list[dict]) -> str:
    head = ("rows", "approach", "rounds", "seconds (median)", "min-max", "load", "end to end", "statements",
            "of which FK checks", "peak RSS MB (at start)", "students", "batched is")
    lines = [head]
    batched = {r["rows"]: r for r in results
               if r["approach"] == "batched" and "seconds" in r and not r.get("lower")}
    for r in results:
        base = batched.get(r["rows"])
        runs = r.get("runs", ())
        stopped = sum(1 for run in runs if "stopped_after" in run)
        at_least = ">=" if r.get("lower") else ""
        if r["approach"] == "batched" or base is None or "seconds" not in r:
            ratio = ""
        else:
            ratio = f"{at_least}{r['seconds'] / base['seconds']:.1f}x faster"
            if "statements" in r:
                ratio += f", {at_least}{r['statements'] / max(base['statements'], 1):.0f}x fewer statements"
        lines.append((
            f"{r['rows']:,}", APPROACH_NAMES[r["approach"]],
            f"{len(runs)} ({stopped} stopped at {runs[-1]['stopped_after']:.0f} s)" if stopped else str(len(runs)),
            f"{at_least}{r['seconds']:.2f}" if "seconds" in r else r.get("note", "-"),
            "{:.2f}-{:.2f}".format(*r["spread"]) if "spread" in r else "-",
            "{:.1f}-{:.1f}".format(*r["load_range"]) if "load_range" in r else "-",
            f"{r['end_to_end']:.2f}" if "end_to_end" in r and r["approach"] == "batched" else "-",
            f"{at_least}{r['statements']:,.0f}" if "statements" in r else "-",
            f"{r['fk_checks']:,.0f}" if "fk_checks" in r else "-",
            f"{r['peak_rss_mb']:.0f} ({r['rss_before_mb']:.0f})" if "peak_rss_mb" in r else "-",
            f"{r['students']:,}" if "students" in r else "-",
            ratio,
        ))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths)) + " |" for line in lines]
    out.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
