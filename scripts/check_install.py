#!/usr/bin/env python3
"""`make test-install`: the declared dependencies alone run the web app and the worker.

Installs the package with a bare `pip install .` (no extras, no editable install) into a
fresh virtualenv, then, on a throwaway PostgreSQL and Redis (scripts/services.py), runs
migrations, gunicorn and one Celery worker per queue from that virtualenv, outside the
source tree, and uploads a short generated video through the API until it is READY.
A dependency that only the test extra brings in (as `packaging` once was) fails here.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def outer() -> int:
    """Make the virtualenv, then run the inner check in it with throwaway servers."""
    work = Path(tempfile.mkdtemp(prefix="academy-install-"))
    work.chmod(0o755)  # PostgreSQL runs as its own user when we are root and starts in this directory
    try:
        venv = work / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        py = str(venv / "bin" / "python")
        # From a copy of what the package is built from: building in the checkout would leave build/ there.
        source = work / "source"
        source.mkdir()
        shutil.copy(ROOT / "pyproject.toml", source)
        shutil.copytree(ROOT / "academy", source / "academy", ignore=shutil.ignore_patterns("__pycache__"))
        subprocess.run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(source)], check=True)
        # The check runs from `work`, so `import academy` finds the installed copy, not the source tree.
        shutil.copy(__file__, work / "check_install.py")
        return subprocess.run([sys.executable, str(ROOT / "scripts" / "services.py"), "--",
                               py, str(work / "check_install.py"), "--inner"], cwd=work).returncode
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _http(method: str, url: str, *, token: str = "", body: bytes | None = None,
          content_type: str = "application/json") -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, {"body": exc.read().decode(errors="replace")[:500]}


def _multipart(fields: dict[str, str], file_name: str, file_bytes: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + file_bytes + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def inner() -> int:
    """Inside the bare virtualenv: start the processes and push one video through."""
    work = Path.cwd()
    py = sys.executable
    port = 28000 + os.getpid() % 2000
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "academy.settings", "SECRET_KEY": "install-check-only",
           "MEDIA_ROOT": str(work / "media"), "DB_CONN_MAX_AGE": "0"}
    import academy

    assert "site-packages" in academy.__file__, f"not the installed copy: {academy.__file__}"

    def manage(*args: str) -> str:
        return subprocess.run([py, "-m", "django", *args], env=env, check=True, capture_output=True,
                              text=True).stdout.strip()

    manage("migrate", "--verbosity", "0")
    tenant_id = int(manage("create_tenant", "Install Check"))
    manage("create_user", "owner", "--tenant", str(tenant_id), "--role", "owner", "--password", "install-pw-1")
    procs: list[tuple[str, subprocess.Popen, Path]] = []

    def start(name: str, args: list[str]) -> None:
        log = work / f"{name}.log"
        with open(log, "wb") as out:
            procs.append((name, subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT,
                                                 start_new_session=True), log))

    try:
        start("gunicorn", [py, "-m", "gunicorn", "-c", "python:academy.gunicorn_conf", "--bind",
                           f"127.0.0.1:{port}", "academy.wsgi:application"])
        start("worker", [py, "-m", "celery", "-A", "academy", "worker", "-Q", "jobs,video", "--concurrency=1",
                         "--without-gossip", "--without-mingle", "--loglevel=INFO"])
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = _http("GET", base + "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not become healthy")
            time.sleep(0.3)
        status, token = _http("POST", base + "/api/v1/auth/token/", body=json.dumps(
            {"username": "owner", "password": "install-pw-1", "tenant_id": tenant_id}).encode())
        assert status == 200, (status, token)
        # academy.testdata is not in the built package: make the clip with ffmpeg here.
        clip = work / "clip.mp4"
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                        "testsrc2=size=320x240:rate=25:duration=2", "-c:v", "libx264", "-preset", "ultrafast",
                        "-pix_fmt", "yuv420p", str(clip)], check=True)
        body, content_type = _multipart({"title": "install check"}, "clip.mp4", Path(clip).read_bytes())
        status, created = _http("POST", base + "/media/videos/", token=token["access"], body=body,
                                content_type=content_type)
        assert status == 201, (status, created)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            status, progress = _http("GET", f"{base}/media/videos/{created['id']}/progress/", token=token["access"])
            if progress.get("status") in ("READY", "FAILED"):
                break
            time.sleep(0.5)
        assert progress.get("status") == "READY", progress
        print(f"install check: bare `pip install .` served the API and its worker encoded video "
              f"{created['id']} to READY", flush=True)
        return 0
    except BaseException:
        for name, _, log in procs:
            print(f"--- {name} log (tail) ---\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
        raise
    finally:
        for _, proc, _ in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _, proc, _ in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


if __name__ == "__main__":
    sys.exit(inner() if "--inner" in sys.argv else outer())
