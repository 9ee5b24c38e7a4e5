"""Fixtures of the video tests: a real clip, a private MEDIA_ROOT, uploads through the API."""
from __future__ import annotations

import os
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from academy.videos import hls


@pytest.fixture(scope="session")
def clip(tmp_path_factory) -> str:
    """A 5-second 320x240 H.264 + AAC clip: real video, cheap to encode."""
    return hls.generate_test_clip(tmp_path_factory.mktemp("clip") / "lecture.mp4", seconds=5, width=320,
                                  height=240)


@pytest.fixture
def media(settings, tmp_path):
    """Point the default storage at an empty MEDIA_ROOT of this test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def owner(make_member):
    """(tenant, user, token) of an academy owner."""
    return make_member()


@pytest.fixture
def upload(api, owner, media):
    """upload(path or bytes, name=...) posts a file as the owner and returns the response."""

    def post(content, *, name: str = "lecture.mp4", title: str = "Lecture 1", token: str | None = None):
        data = open(content, "rb").read() if isinstance(content, (str, os.PathLike)) else content
        file = SimpleUploadedFile(name, data, content_type="video/mp4")
        return api(token or owner[2]).post("/media/videos/", {"file": file, "title": title}, format="multipart")

    return post


def ffprobe_duration(target: str) -> float:
    """Return the duration ffprobe reads from a file or URL (an HLS master included)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", target],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout
    return float(out.strip())


def ffmpeg_children() -> list[int]:
    """Return the pids of ffmpeg/ffprobe processes this process has started and not reaped."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # exited meanwhile
        name = stat[stat.index("(") + 1: stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if ppid == os.getpid() and name.startswith("ff"):
            pids.append(int(entry))
    return pids
