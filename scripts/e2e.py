#!/usr/bin/env python3
"""End-to-end test: the real stack in real headless Chromium (`make test-e2e`).

    python scripts/e2e.py            # from the repository root, with the project's venv

Starts a throwaway PostgreSQL and Redis (scripts/services.py; DATABASE_URL / REDIS_URL
already set are used as they are), migrates, creates a tenant and a user, writes a short
test video and a roster .xlsx with planted bad rows, starts a Celery worker, gunicorn, uvicorn
(the progress stream, ASGI) and nginx in front of both with deploy/nginx/academy.conf (as in
production) on free loopback ports, waits for /healthz, then runs `node web/e2e/run.mjs`
against nginx (which stops uvicorn mid-way to see polling take over).
Everything it started is stopped afterwards, also on failure or Ctrl-C; the exit code is
node's. Screenshots and the server logs go to ARTIFACTS_DIR (default artifacts/e2e/).

Knobs (environment): E2E_CLIP ("SECONDSxWIDTHxHEIGHT", default 16x640x360: long enough that
the encoding shows intermediate progress at the app's 1 s poll even on an idle machine, where
an 8 s clip encodes in under 2 s), ARTIFACTS_DIR,
E2E_NODE_TIMEOUT (seconds, default 360).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import services  # noqa: E402  (scripts/services.py)
from academy.tests import stack  # noqa: E402  (nginx with deploy/nginx/academy.conf)

PY = sys.executable
SUMMARY = re.compile(r"^e2e: (\d+) passed, (\d+) failed$")
USERNAME = "e2e-owner"
PASSWORD = "e2e-password-1"

# The roster: 12 data rows (Excel rows 2-13). These 0-based data indexes are made bad,
# with what the failed-rows table must then say about them (a regex on the reason).
ROSTER_ROWS = 12
DUPLICATE_OF = 1  # index 10 repeats index 1's name and parent phone


def plant_bad_rows(rows: list[dict]) -> list[dict]:
    """Break some rows on purpose; return the failures the import must report."""
    def excel_row(index: int) -> int:
        return index + 2  # row 1 is the header

    rows[2]["name"] = None
    rows[4]["parent_phone"] = "010-123"
    rows[6]["grade"] = "고7"
    rows[8]["gender"] = "기타"
    rows[10]["name"] = rows[DUPLICATE_OF]["name"]
    rows[10]["parent_phone"] = rows[DUPLICATE_OF]["parent_phone"]
    return [
        {"row": excel_row(2), "name": "", "reason": r"^name is required$"},
        {"row": excel_row(4), "name": rows[4]["name"], "reason": r"^parent phone .*010-123.*digits"},
        {"row": excel_row(6), "name": rows[6]["name"], "reason": r"^grade '고7'"},
        {"row": excel_row(8), "name": rows[8]["name"], "reason": r"^gender '기타' is not"},
        {"row": excel_row(10), "name": rows[10]["name"],
         "reason": rf"^duplicate of row {excel_row(DUPLICATE_OF)} in this file$"},
    ]


def make_inputs(work: Path) -> dict[str, str]:
    from academy.testdata.roster import generate_rows, write_roster_xlsx
    from academy.testdata.clips import generate_test_clip

    seconds, width, height = (int(x) for x in os.environ.get("E2E_CLIP", "16x640x360").split("x"))
    video = work / "e2e-clip.mp4"
    started = time.monotonic()
    generate_test_clip(video, seconds=seconds, width=width, height=height, audio=True)
    print(f"e2e-launcher: clip {seconds} s {width}x{height} with audio, {video.stat().st_size} bytes "
          f"({time.monotonic() - started:.1f} s)", flush=True)

    rows = list(generate_rows(ROSTER_ROWS, seed=20240607))
    expected = plant_bad_rows(rows)
    xlsx = work / "e2e-roster.xlsx"
    write_roster_xlsx(xlsx, rows)
    broken = work / "broken.mp4"  # not a video: its encoding fails, the library retries it
    broken.write_bytes(b"not a video, " * 997)
    return {
        "VIDEO_PATH": str(video),
        "BROKEN_VIDEO_PATH": str(broken),
        "VIDEO_SECONDS": str(seconds),
        "XLSX_PATH": str(xlsx),
        "EXPECTED_FAILED": json.dumps(expected, ensure_ascii=False),
        "EXPECTED_TOTAL": str(ROSTER_ROWS),
        "EXPECTED_CREATED": str(ROSTER_ROWS - len(expected)),
    }


def wait_for(predicate, *, timeout: float, what: str, procs: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{what}: {proc.args[2:5]} exited with {proc.returncode} (see the logs)")
        time.sleep(0.1)
    raise RuntimeError(f"{what}: not ready after {timeout:.0f} s (see the logs)")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


# migrate, create_tenant and create_user in one process: Django starts in seconds here, once is enough.
PROVISION = """
import io, sys, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
out = io.StringIO()
call_command("create_tenant", "E2E Academy", stdout=out)
tenant_id = out.getvalue().strip()
call_command("create_user", sys.argv[1], tenant=int(tenant_id), role="owner", password=sys.argv[2], stdout=io.StringIO())
print(tenant_id)
"""


def provision(env: dict) -> str:
    """Migrate, create the tenant and its owner; return the tenant id."""
    env = {**env, "DJANGO_SETTINGS_MODULE": "academy.settings"}
    done = subprocess.run([PY, "-c", PROVISION, USERNAME, PASSWORD], env=env, cwd=ROOT, check=True,
                          capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]


def stop(proc: subprocess.Popen) -> None:
    """Stop one child we started (its own process group), gently first."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        except ProcessLookupError:
            pass


def main() -> int:
    started = time.monotonic()

    def lap(what: str) -> None:
        print(f"e2e-launcher: [{time.monotonic() - started:.1f}s] {what}", flush=True)

    artifacts = Path(os.environ.get("ARTIFACTS_DIR") or ROOT / "artifacts" / "e2e").resolve()
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    work = Path(tempfile.mkdtemp(prefix="academy-e2e-"))
    summary = None
    stops = []
    children: list[subprocess.Popen] = []
    logs = []
    env = dict(os.environ)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # each process keeps its own metrics here
    try:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"], stop_pg = services.start_postgres(str(work))
            stops.append(stop_pg)
        if not env.get("REDIS_URL"):
            env["REDIS_URL"], stop_redis = services.start_redis(str(work))
            stops.append(stop_redis)
        env["CELERY_BROKER_URL"] = env.get("CELERY_BROKER_URL") or env["REDIS_URL"]
        env.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
        env.update({
            "ACADEMY_VAR_DIR": str(work / "var"),
            "MEDIA_ROOT": str(work / "media"),
            "PROGRESS_MIN_INTERVAL": "0.3",
            "VIDEO_PROGRESS_INTERVAL": "0.3",
            "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
            "DEBUG": "",
        })
        lap(f"DATABASE_URL={env['DATABASE_URL']} REDIS_URL={env['REDIS_URL']}")

        tenant_id = provision(env)
        lap(f"migrated, tenant {tenant_id} and user {USERNAME!r} created")

        def start(name: str, args: list[str]) -> subprocess.Popen:
            log = open(artifacts / f"{name}.log", "w")
            logs.append(log)
            proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            children.append(proc)
            return proc

        worker = start("worker", [PY, "-m", "celery", "-A", "academy", "worker", "--pool=solo", "--loglevel=INFO",
                                  "--without-gossip", "--without-mingle", "--without-heartbeat",
                                  "--hostname", f"e2e-{os.getpid()}@%h"])
        app_port = services.free_port(28080)
        stream_port = services.free_port(app_port + 1)
        port = services.free_port(stream_port + 1)
        base_url = f"http://127.0.0.1:{port}"
        server = start("gunicorn", [PY, "-m", "gunicorn", "academy.wsgi:application", "--bind",
                                    f"127.0.0.1:{app_port}", "--workers", "3", "--timeout", "120",
                                    "--access-logfile", "-"])
        # As deploy/ runs it: the progress stream on the ASGI entry point (uvicorn), nginx in
        # front sending its path there and everything else to gunicorn.
        stream = start("uvicorn", [PY, "-m", "uvicorn", "academy.asgi:application", "--host", "127.0.0.1",
                                   "--port", str(stream_port), "--lifespan", "off", "--log-level", "warning"])
        proxy = stack.nginx(port=port, upstream_port=app_port, stream_port=stream_port, work=work / "nginx")
        stops.append(proxy.stop)
        inputs = make_inputs(work)  # while the worker and the servers boot
        wait_for(lambda: healthy(base_url), timeout=30, what="gunicorn /healthz (through nginx)", procs=[server])
        wait_for(lambda: stack.port_open(stream_port), timeout=30, what="uvicorn (the stream)", procs=[stream])
        worker_log = artifacts / "worker.log"
        wait_for(lambda: " ready." in worker_log.read_text(errors="replace"), timeout=30, what="celery worker",
                 procs=[worker])
        lap(f"stack up at {base_url}")

        node_env = dict(os.environ)
        node_env.update(inputs)
        node_env.update({"BASE_URL": base_url, "USERNAME": USERNAME, "PASSWORD": PASSWORD,
                         "TENANT_ID": tenant_id, "ARTIFACTS_DIR": str(artifacts), "MEDIA_ROOT": env["MEDIA_ROOT"],
                         # run.mjs stops the stream server to see polling take over.
                         "STREAM_PID": str(stream.pid)})
        node = subprocess.Popen(["node", str(ROOT / "web" / "e2e" / "run.mjs")], env=node_env, cwd=ROOT / "web",
                                stdout=subprocess.PIPE, text=True, start_new_session=True)
        children.append(node)
        timeout = float(os.environ.get("E2E_NODE_TIMEOUT", "360"))
        timer = threading.Timer(timeout, lambda: node.poll() is None and os.killpg(node.pid, signal.SIGKILL))
        timer.start()
        try:
            for line in node.stdout:  # passed through, except the summary: printed last, below
                if SUMMARY.match(line.strip()):
                    summary = line.strip()
                else:
                    print(line, end="", flush=True)
            code = node.wait()
        finally:
            timer.cancel()
        if code < 0:
            print(f"e2e-launcher: the browser test was stopped (signal {-code}; limit {timeout:.0f} s)",
                  file=sys.stderr, flush=True)
            code = 124
        died = [f"{name} exited with {proc.returncode}" for name, proc in (("worker", worker), ("gunicorn", server))
                if proc.poll() is not None]
        # One check of the launcher's own, counted into the closing line.
        print(f"  {'FAIL' if died else 'PASS'}  stack: the worker and gunicorn ran until the end"
              f"{' — ' + ', '.join(died) if died else ''}", flush=True)
        found = SUMMARY.match(summary or "")
        passed, failed = (int(found[1]), int(found[2])) if found else (0, 1)
        summary = f"e2e: {passed + (not died)} passed, {failed + bool(died)} failed"
        return code or int(bool(died))
    except KeyboardInterrupt:
        return 130
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", None) or ""
        print(f"e2e-launcher: {exc}\n{detail}", file=sys.stderr, flush=True)
        return 1
    finally:
        for proc in reversed(children):
            stop(proc)
        for log in logs:
            log.close()
        for stop_service in reversed(stops):
            stop_service()
        shutil.rmtree(work, ignore_errors=True)
        lap(f"stopped everything; artifacts in {artifacts}")
        # The closing line, alone: node's summary, or one failed check when node gave none.
        print(summary or "e2e: 0 passed, 1 failed", flush=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
