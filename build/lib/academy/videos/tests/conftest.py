"""Fixtures of the video tests: a real clip, a private MEDIA_ROOT, uploads through the API."""
from __future__ import annotations

import os
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from academy.testdata.clips import generate_test_clip
from academy.videos.tests.procs import child_processes


@pytest.fixture(scope="session")
def clip(tmp_path_factory) -> str:
    """A 5-second 320x240 H.264 + AAC clip: real video, cheap to encode."""
    return generate_test_clip(tmp_path_factory.mktemp("clip") / "lecture.mp4", seconds=5, width=320,
                              height=240)


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
    return [pid for pid, name, _ in child_processes() if name.startswith("ff")]
