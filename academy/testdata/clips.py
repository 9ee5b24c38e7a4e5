"""Synthetic video clips for tests, the end-to-end run and the video benchmark."""
from __future__ import annotations

import os
import subprocess

from academy.videos import hls


def generate_test_clip(
    path: str | os.PathLike,
    *,
    seconds: float,
    width: int,
    height: int,
    audio: bool = True,
    frame_rate: int = 25,
    timeout: float = 120,
) -> str:
    """Write a synthetic H.264 (+ AAC sine) clip for tests and benchmarks; return its path."""
    path = os.fspath(path)
    command = [
        hls.FFMPEG, "-hide_banner", "-nostdin", "-y", "-v", "error",
        "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={frame_rate}:duration={seconds}",
    ]
    if audio:
        command += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    command += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        command += ["-c:a", "aac", "-shortest"]
    subprocess.run(command + [path], capture_output=True, check=True, timeout=timeout)
    return path
