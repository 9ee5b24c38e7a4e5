"""Probe uploads and encode them to HLS with ffmpeg.

Plain Python on purpose (no Django): the worker task, the tests and the benchmark all
drive ffmpeg through this module, so they run exactly the same command. Test clips are
made by academy.testdata.clips.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Sequence

logger = logging.getLogger(__name__)

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"

SEGMENT_SECONDS = 4
POSTER_MAX_HEIGHT = 720
_POSTER_SCALE = f"scale=-2:'min({POSTER_MAX_HEIGHT},ih)'"
MASTER_PLAYLIST = "master.m3u8"
VARIANT_PLAYLIST = "index.m3u8"

# Containers we accept, judged from what ffprobe finds inside the file, never from its
# name. Playlist-like demuxers (hls, concat, ...) can make ffmpeg open other local files,
# so ffprobe and ffmpeg refuse anything outside this list before they read a header.
VIDEO_FORMATS = ("mov", "matroska", "avi", "mpegts", "flv", "asf", "mpeg", "ogg")
# Audio containers are read only to tell the user "no video stream" instead of
# "not a video we can read".
AUDIO_FORMATS = ("mp3", "wav", "flac", "aac")
_INPUT_GUARD = (
    "-protocol_whitelist", "file",
    "-format_whitelist", ",".join(VIDEO_FORMATS + AUDIO_FORMATS),
)

ProgressCallback = Callable[[float, "float | None"], None]


class MediaError(Exception):
    """A file that cannot become a playable video: `reason` is shown to the user, `code` and
    `params` are what clients localise (the video's error_code and error_params)."""

    def __init__(self, code: str, reason: str, params: dict | None = None, *, detail: str = "") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.params = params or {}
        # ffmpeg's own words (stderr tail), for logs only: too technical for users.
        self.detail = detail


class EncodingCancelled(MediaError):
    """The encoding was stopped on request."""


class EncodingTimeout(MediaError):
    """The encoding ran longer than its time limit."""


@dataclass(frozen=True)
class Probe:
    duration: float  # seconds
    width: int  # as displayed: rotation and pixel aspect ratio applied
    height: int
    has_audio: bool
    video_codec: str
    frame_rate: float | None  # frames per second; None when the file does not say


@dataclass(frozen=True)
class Rendition:
    name: str  # "720p": named after the short side, so portrait video gets the same ladder
    width: int
    height: int
    video_bitrate: int  # bits per second
    audio_bitrate: int  # bits per second


@dataclass(frozen=True)
class HlsResult:
    master_path: str  # absolute path of the master playlist


# (short side, video bitrate, audio bitrate), smallest first.
LADDER = (
    (360, 800_000, 96_000),
    (720, 2_800_000, 128_000),
    (1080, 5_000_000, 128_000),
)


def _input_url(path: str | os.PathLike) -> str:
    # "file:" keeps a name like "-x.mp4" or "concat:a|b" from being read as an option
    # or another protocol.
    return "file:" + os.path.abspath(os.fspath(path))


def _rate(value: str | None) -> float | None:
    try:
        rate = Fraction(value or "")
    except (ValueError, ZeroDivisionError):
        return None
    return float(rate) if rate > 0 else None


def _seconds(value) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


def _rotation(stream: dict) -> int:
    for side_data in stream.get("side_data_list") or ():
        if "rotation" in side_data:
            return int(float(side_data["rotation"]))
    return int(float((stream.get("tags") or {}).get("rotate", 0) or 0))


def _display_size(stream: dict) -> tuple[int, int]:
    width, height = int(stream.get("width") or 0), int(stream.get("height") or 0)
    sar = _rate((stream.get("sample_aspect_ratio") or "").replace(":", "/"))
    if sar and sar != 1:
        width = round(width * sar)
    # ffmpeg rotates frames before our filters see them (autorotate), so plan on the
    # rotated size.
    if _rotation(stream) % 180:
        width, height = height, width
    return width, height


def _duration_from_packets(url: str, *, timeout: float) -> float | None:
    """Return the video stream's span read from its packets (files written without an index)."""
    command = [
        FFPROBE, "-v", "error", *_INPUT_GUARD, "-select_streams", "v:0",
        "-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0", url,
    ]
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True,
                             preexec_fn=die_with_parent()).stdout
    except (subprocess.TimeoutExpired, subprocess.CalledProcessError):
        return None
    first = last = None
    for line in out.splitlines():
        pts, _, length = line.partition(",")
        try:
            start = float(pts)
        except ValueError:
            continue  # "N/A"
        first = start if first is None else min(first, start)
        end = start + (_seconds(length) or 0.0)
        last = end if last is None else max(last, end)
    return _seconds(last - first) if first is not None else None


def probe(
    path: str | os.PathLike,
    *,
    timeout: float = 30,
    max_duration: float | None = None,
) -> Probe:
    """Read an upload's streams and return what the encoder needs; raise MediaError if unusable."""
    if os.path.getsize(path) == 0:
        raise MediaError("video_file_empty", "The file is empty.")
    url = _input_url(path)
    command = [
        FFPROBE, "-v", "error", *_INPUT_GUARD,
        "-print_format", "json", "-show_format", "-show_streams", url,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=die_with_parent())
    except subprocess.TimeoutExpired:
        raise MediaError("video_probe_timeout", "The file took too long to read.") from None
    if done.returncode != 0:
        raise MediaError("video_unreadable", "The file is not a video we can read.", detail=done.stderr[-2000:])
    try:
        info = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        raise MediaError("video_unreadable", "The file is not a video we can read.",
                         detail=done.stdout[-2000:]) from None

    fmt = info.get("format") or {}
    streams = info.get("streams") or []
    # A cover picture inside an audio file is a "video" stream to ffprobe, not to us.
    videos = [
        s for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    if not videos:
        if any(s.get("codec_type") == "audio" for s in streams):
            raise MediaError("video_audio_only", "The file has no video stream (it holds only audio).")
        if not streams:
            raise MediaError("video_unreadable", "The file is not a video we can read.")
        raise MediaError("video_no_stream", "The file has no video stream.")
    if not any(name in VIDEO_FORMATS for name in (fmt.get("format_name") or "").split(",")):
        raise MediaError("video_unreadable", "The file is not a video we can read.")
    video = videos[0]
    width, height = _display_size(video)
    if width < 2 or height < 2:
        raise MediaError("video_no_picture_size", "The video has no readable picture size.")

    duration = _seconds(fmt.get("duration")) or _seconds(video.get("duration"))
    if duration is None:
        # Recorders that stream their output (browser MediaRecorder webm) write no duration.
        duration = _duration_from_packets(url, timeout=timeout)
    if duration is None:
        raise MediaError("video_no_duration", "The length of the video could not be read.")
    if max_duration is not None and duration > max_duration:
        raise MediaError("video_too_long", f"The video is longer than the limit of {max_duration:g} seconds.",
                         {"limit_seconds": max_duration, "duration_seconds": round(duration, 3)})

    return Probe(
        duration=duration,
        width=width,
        height=height,
        has_audio=any(s.get("codec_type") == "audio" for s in streams),
        video_codec=video.get("codec_name") or "unknown",
        frame_rate=_rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate")),
    )


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def plan_ladder(probe: Probe) -> list[Rendition]:
    """Return the renditions to encode, smallest first, never above the source size."""
    short, long = sorted((probe.width, probe.height))
    portrait = probe.height > probe.width

    def rendition(lines: int, video_bitrate: int, audio_bitrate: int) -> Rendition:
        other = _even(long * lines / short)
        width, height = (lines, other) if portrait else (other, lines)
        return Rendition(f"{lines}p", width, height, video_bitrate, audio_bitrate)

    ladder = [rendition(lines, vb, ab) for lines, vb, ab in LADDER if lines <= short]
    if not ladder:
        # Smaller than the first rung: keep the source size, bitrate scaled by lines.
        lines, video_bitrate, audio_bitrate = LADDER[0]
        own = max(2, short - short % 2)
        ladder = [rendition(own, max(150_000, video_bitrate * own // lines // 1000 * 1000), audio_bitrate)]
    return ladder


def _keyframe_interval(frame_rate: float | None) -> int:
    # Bound odd rates (a VFR file may claim 1000 fps); forced keyframes below keep the
    # segment cuts on time whatever this says.
    fps = min(max(frame_rate or 30.0, 1.0), 120.0)
    return max(1, round(fps * SEGMENT_SECONDS))


def poster_seconds(duration: float) -> float:
    """Return where in a video its poster frame is taken: 10 % in, at most 10 s."""
    return min(max(duration, 0.0) * 0.1, 10.0)


def build_hls_command(
    src: str | os.PathLike,
    out_dir: str | os.PathLike,
    ladder: Sequence[Rendition],
    *,
    has_audio: bool,
    frame_rate: float | None = None,
    progress: bool = True,
    poster: str | os.PathLike | None = None,
    poster_at: float = 0.0,
) -> list[str]:
    """Return one ffmpeg command that writes every rendition and the master playlist.

    With `poster`, the same command also writes the JPEG poster (the first frame at or after
    `poster_at` seconds, at most POSTER_MAX_HEIGHT lines): taken from the frames the encode
    decodes anyway, where a separate run would decode up to a keyframe interval again.
    """
    if not ladder:
        raise ValueError("ladder is empty")
    out_dir = os.path.abspath(os.fspath(out_dir))
    count = len(ladder)
    gop = str(_keyframe_interval(frame_rate))

    # Decode once, split, scale each copy: one pass whatever the ladder length.
    branches = count + (1 if poster is not None else 0)
    graph = [f"[0:v]split={branches}" + "".join(f"[s{i}]" for i in range(branches))]
    graph += [
        f"[s{i}]scale={r.width}:{r.height},setsar=1,format=yuv420p[v{i}]"
        for i, r in enumerate(ladder)
    ]
    if poster is not None:
        # The second trim ends the branch after one frame: the rest of the video costs it nothing.
        graph.append(f"[s{count}]trim=start={max(0.0, poster_at):.3f},trim=end_frame=1,{_POSTER_SCALE}[poster]")

    command = [FFMPEG, "-hide_banner", "-nostdin", "-y", "-v", "error"]
    if progress:
        command += ["-progress", "pipe:1", "-nostats"]
    command += [*_INPUT_GUARD, "-i", _input_url(src), "-filter_complex", ";".join(graph)]
    stream_map = []
    for i, r in enumerate(ladder):
        command += [
            "-map", f"[v{i}]",
            f"-b:v:{i}", str(r.video_bitrate),
            f"-maxrate:v:{i}", str(r.video_bitrate * 107 // 100),
            f"-bufsize:v:{i}", str(r.video_bitrate * 3 // 2),
        ]
        entry = f"v:{i}"
        if has_audio:
            command += ["-map", "0:a:0", f"-b:a:{i}", str(r.audio_bitrate)]
            entry += f",a:{i}"
        stream_map.append(f"{entry},name:{r.name}")
    command += [
        "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high",
        # Keyframes exactly on segment boundaries, so every segment starts clean and
        # players can switch renditions there.
        "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
        "-force_key_frames", f"expr:gte(t,n_forced*{SEGMENT_SECONDS})",
    ]
    if has_audio:
        command += ["-c:a", "aac", "-ac", "2"]
    command += [
        "-f", "hls",
        "-hls_time", str(SEGMENT_SECONDS),
        "-hls_playlist_type", "vod",
        "-hls_flags", "independent_segments",
        "-hls_segment_filename", os.path.join(out_dir, "%v", "seg_%05d.ts"),
        "-master_pl_name", MASTER_PLAYLIST,
        "-var_stream_map", " ".join(stream_map),
        # ffmpeg creates the %v folders and writes the master beside them, in out_dir.
        os.path.join(out_dir, "%v", VARIANT_PLAYLIST),
    ]
    if poster is not None:
        command += ["-map", "[poster]", "-frames:v", "1", "-q:v", "3", "-update", "1",
                    os.path.abspath(os.fspath(poster))]
    return command


def encode_command(src: str | os.PathLike, out_dir: str | os.PathLike, *, ladder: Sequence[Rendition],
                   probe: Probe, poster: str | os.PathLike | None = None, progress: bool = True) -> list[str]:
    """Return the ffmpeg command encode_hls runs for this source (the benchmark runs it bare)."""
    return build_hls_command(src, out_dir, ladder, has_audio=probe.has_audio, frame_rate=probe.frame_rate,
                             progress=progress, poster=poster, poster_at=poster_seconds(probe.duration))


def _parse_speed(value: str) -> float | None:
    try:
        return float(value.strip().rstrip("x"))
    except ValueError:
        return None  # "N/A"


def _stderr_tail(file, *, limit: int = 4000) -> str:
    file.seek(0, os.SEEK_END)
    file.seek(max(0, file.tell() - limit))
    return file.read().decode("utf-8", "replace").strip()


def _failure(returncode: int, stderr: str) -> MediaError:
    """Return the error of a failed ffmpeg run, told from its exit and its stderr."""
    text = stderr.lower()
    if "no space left on device" in text:
        return MediaError("video_disk_full", "The video could not be saved: the server is out of disk space.",
                          detail=stderr)
    if any(
        sign in text
        for sign in ("invalid data found", "error while decoding", "corrupt", "moov atom not found")
    ):
        return MediaError("video_corrupt", "The video could not be decoded (corrupt data).", detail=stderr)
    if returncode < 0:
        return MediaError("video_encoder_crashed", "The encoder stopped unexpectedly.", detail=stderr)
    return MediaError("video_encode_failed", "The video could not be encoded.", detail=stderr)


def die_with(parent: int) -> None:
    """Have Linux SIGKILL this process when its parent `parent` dies; exit if it already has."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # not Linux: nothing to ask
    if os.getppid() != parent:
        os._exit(1)  # the parent died before the request took effect


def die_with_parent() -> Callable[[], None]:
    """Return a preexec_fn that has the child SIGKILLed when this process dies.

    ffmpeg ignores SIGPIPE, so a closed progress pipe does not stop it: without this, an
    encode whose worker was killed runs on as an orphan, holding a CPU and its temp files.
    """
    parent = os.getpid()
    return lambda: die_with(parent)


def _kill(process: subprocess.Popen) -> None:
    """Kill ffmpeg if it still runs and reap it, so it leaves no zombie."""
    if process.poll() is None:
        process.kill()
    process.wait()


def _pump(stream, lines: queue.Queue) -> None:
    """Move ffmpeg's progress lines to a queue, then None at end of output."""
    try:
        for line in stream:
            lines.put(line)
    except (OSError, ValueError):
        pass  # the pipe was closed under us: the encode is over either way
    finally:
        lines.put(None)


def encode_hls(
    src: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    ladder: Sequence[Rendition],
    probe: Probe,
    on_progress: ProgressCallback | None = None,
    timeout: float | None = None,
    cancel: threading.Event | None = None,
    poster: str | os.PathLike | None = None,
) -> HlsResult:
    """Encode `src` to HLS under `out_dir` and return where the master playlist is.

    Call `on_progress(fraction, speed)` once per ffmpeg progress report. Kill ffmpeg on
    timeout, on `cancel`, or on any exception (the callback's too). On failure `out_dir`
    may hold partial output; the caller owns it. With `poster`, the same run writes the
    poster there too (see build_hls_command); a video too short to reach its poster time
    leaves none, which the caller checks.
    """
    command = encode_command(src, out_dir, ladder=ladder, probe=probe, poster=poster)
    os.makedirs(out_dir, exist_ok=True)  # the poster may be written before the muxer makes it
    total_us = max(probe.duration, 0.001) * 1_000_000
    deadline = None if timeout is None else time.monotonic() + timeout
    logger.debug("ffmpeg: %s", subprocess.list2cmdline(command))

    # stderr goes to a file: it cannot fill a pipe and stall ffmpeg, and its tail is
    # cheap to read afterwards.
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr,
            text=True, encoding="utf-8", errors="replace", preexec_fn=die_with_parent(),
        )
        lines: queue.Queue = queue.Queue()
        reader = threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True)
        try:
            reader.start()
            fraction, speed, block = 0.0, None, {}
            while True:
                _check(cancel, deadline)
                try:
                    # Short waits so cancel and timeout are noticed between reports.
                    line = lines.get(timeout=_wait_slice(deadline))
                except queue.Empty:
                    continue
                if line is None:
                    break
                key, sep, value = line.strip().partition("=")
                if not sep:
                    continue
                block[key] = value.strip()
                if key != "progress":
                    continue
                out_us = block.get("out_time_us", "N/A")
                if out_us.lstrip("-").isdigit():
                    fraction = max(fraction, min(1.0, max(0, int(out_us)) / total_us))
                if value.strip() == "end":
                    fraction = 1.0
                reported = _parse_speed(block.get("speed", "N/A"))
                speed = speed if reported is None else reported
                block = {}
                if on_progress is not None:
                    on_progress(fraction, speed)
            while True:
                _check(cancel, deadline)
                try:
                    returncode = process.wait(timeout=_wait_slice(deadline))
                    break
                except subprocess.TimeoutExpired:
                    continue
        except BaseException:
            _kill(process)
            raise
        finally:
            reader.join(timeout=5)
            process.stdout.close()
        if returncode != 0:
            detail = _stderr_tail(stderr)
            logger.warning("ffmpeg exited with %s: %s", returncode, detail[-500:])
            raise _failure(returncode, detail)

    master = os.path.join(os.path.abspath(os.fspath(out_dir)), MASTER_PLAYLIST)
    if not os.path.isfile(master):
        raise MediaError("video_encode_failed", "The video could not be encoded.",
                         detail="ffmpeg wrote no master playlist")
    return HlsResult(master_path=master)


def _wait_slice(deadline: float | None) -> float:
    if deadline is None:
        return 0.2
    return max(0.01, min(0.2, deadline - time.monotonic()))


def _check(cancel: threading.Event | None, deadline: float | None) -> None:
    if cancel is not None and cancel.is_set():
        raise EncodingCancelled("video_cancelled", "The encoding was cancelled.")
    if deadline is not None and time.monotonic() >= deadline:
        raise EncodingTimeout("video_encode_timeout", "The video took too long to encode.")


def _run(command: list[str], *, timeout: float) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=die_with_parent())
    except subprocess.TimeoutExpired:
        # run() has already killed and reaped ffmpeg.
        raise EncodingTimeout("video_process_timeout", "The video took too long to process.") from None
    if done.returncode != 0:
        raise _failure(done.returncode, done.stderr[-4000:].strip())


def make_poster(
    src: str | os.PathLike,
    out_path: str | os.PathLike,
    *,
    at_seconds: float,
    timeout: float = 60,
) -> str:
    """Write one JPEG frame of `src`, at most 720 lines high, and return its path.

    A time past the end falls back to the first frame. The pipeline takes its poster inside
    the encode (encode_hls's `poster`) and runs this only when that left none.
    """
    out_path = os.path.abspath(os.fspath(out_path))

    def grab(at: float) -> bool:
        # -ss before -i seeks on keyframes, then decodes to the exact time: fast and exact.
        _run([
            FFMPEG, "-hide_banner", "-nostdin", "-y", "-v", "error",
            "-ss", f"{max(0.0, at):.3f}", *_INPUT_GUARD, "-i", _input_url(src),
            "-frames:v", "1", "-vf", _POSTER_SCALE, "-q:v", "3",
            "-update", "1", out_path,
        ], timeout=timeout)
        return os.path.isfile(out_path) and os.path.getsize(out_path) > 0

    if os.path.exists(out_path):
        os.remove(out_path)  # so a stale poster is never taken for a fresh one
    if not grab(at_seconds) and not (at_seconds > 0 and grab(0)):
        raise MediaError("video_no_poster_frame", "The video has no frame to show as a poster.")
    return out_path
