"""The documented systemd units (deploy/systemd) are valid and restart what dies."""
from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
SERVICES = sorted(UNITS.glob("*.service"))


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(path)
    return parser


def test_every_service_is_restarted_whenever_it_stops():
    assert {p.name for p in SERVICES} == {"academy-web.service", "academy-stream.service",
                                           "academy-worker-video.service", "academy-worker-jobs.service",
                                           "academy-beat.service"}
    for path in SERVICES:
        service = _unit(path)["Service"]
        assert service["Restart"] == "always", path.name
        assert float(service["RestartSec"]) <= 5, path.name
    wanted = _unit(UNITS / "academy.target")["Unit"]["Wants"].split()
    assert sorted(wanted) == sorted(p.name for p in SERVICES)


def test_the_workers_split_the_queues_the_settings_route_to(settings):
    queues = set()
    for path in SERVICES:
        command = _unit(path)["Service"]["ExecStart"].split()
        if "worker" in command:
            queues.update(command[command.index("-Q") + 1].split(","))
    assert queues == {settings.JOBS_QUEUE, settings.VIDEO_QUEUE}
    assert {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} == queues


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units_with_this_virtualenv(tmp_path):
    # systemd itself checks the syntax and that every command is executable; the paths are
    # those of the install guide (/opt/academy), pointed at this checkout and its virtualenv.
    env_file = tmp_path / "env"
    env_file.write_text((UNITS / "env.example").read_text())
    for path in [*SERVICES, UNITS / "academy.target"]:
        text = (path.read_text().replace("/opt/academy/venv/bin", str(Path(sys.executable).parent))
                .replace("/opt/academy", str(ROOT)).replace("/etc/academy/env", str(env_file))
                .replace("User=academy", "User=root").replace("Group=academy", "Group=root"))
        (tmp_path / path.name).write_text(text)
    done = subprocess.run(["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.glob("academy*"))],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
