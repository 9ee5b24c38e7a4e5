"""The ffmpeg layer against real ffmpeg: tiny clips keep the whole file fast."""

import dataclasses
import json
import os
import subprocess
import threading

import pytest

from academy.testdata.clips import generate_test_clip
from academy.videos import hls
from academy.videos.hls import EncodingCancelled, EncodingTimeout, MediaError, Probe, Rendition
from academy.videos.tests.procs import child_processes


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return generate_test_clip(
        tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=5, width=320, height=240
    )


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    # Long enough that ffmpeg is still running when the first progress report arrives.
    return generate_test_clip(
        tmp_path_factory.mktemp("long") / "long.mp4", seconds=20, width=320, height=240
    )


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-y", "-v", "error", *args], check=True)


def ffprobe_json(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(out)


def probe_of(width, height):
    return Probe(duration=10, width=width, height=height, has_audio=True, video_codec="h264", frame_rate=25)


# probe


def test_probe_reads_a_clip(clip):
    info = hls.probe(clip)

    assert info.duration == pytest.approx(5, abs=0.2)
    assert (info.width, info.height) == (320, 240)
    assert info.has_audio
    assert info.video_codec == "h264"
    assert info.frame_rate == pytest.approx(25)


def test_probe_judges_the_content_not_the_name(tmp_path):
    fake = tmp_path / "lecture.mp4"
    fake.write_text("This is a text file, whatever its name says.\n" * 20)

    with pytest.raises(MediaError) as error:
        hls.probe(fake)
    assert error.value.reason == "The file is not a video we can read."


def test_probe_rejects_an_empty_file(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.touch()

    with pytest.raises(MediaError, match="The file is empty."):
        hls.probe(empty)


@pytest.mark.parametrize("name", ["voice.m4a", "voice.wav"])
def test_probe_rejects_audio_only(tmp_path, name):
    audio = tmp_path / name
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", str(audio))

    with pytest.raises(MediaError) as error:
        hls.probe(audio)
    assert "no video stream" in error.value.reason


def test_probe_refuses_a_playlist_posing_as_a_video(tmp_path):
    # An HLS playlist can make ffmpeg read other local files: never follow one.
    evil = tmp_path / "evil.mp4"
    evil.write_text("#EXTM3U\n#EXTINF:10.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n")

    with pytest.raises(MediaError, match="not a video we can read"):
        hls.probe(evil)


def test_probe_enforces_max_duration(clip):
    with pytest.raises(MediaError) as error:
        hls.probe(clip, max_duration=3)
    assert error.value.reason == "The video is longer than the limit of 3 seconds."
    assert hls.probe(clip, max_duration=3600).duration < 3600


def test_probe_measures_a_file_written_without_duration(tmp_path):
    # What a streaming recorder leaves behind: matroska written to a pipe has no duration.
    piped = tmp_path / "recorded.mkv"
    with open(piped, "wb") as out:
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=2",
             "-c:v", "libx264", "-preset", "ultrafast", "-f", "matroska", "-"],
            stdout=out, check=True,
        )
    assert "duration" not in ffprobe_json(piped)["format"]

    assert hls.probe(piped).duration == pytest.approx(2, abs=0.2)


# plan_ladder


@pytest.mark.parametrize(
    "width, height, expected",
    [
        (320, 240, [("240p", 320, 240)]),
        (640, 480, [("360p", 480, 360)]),
        (1280, 720, [("360p", 640, 360), ("720p", 1280, 720)]),
        (1920, 1080, [("360p", 640, 360), ("720p", 1280, 720), ("1080p", 1920, 1080)]),
        (3840, 2160, [("360p", 640, 360), ("720p", 1280, 720), ("1080p", 1920, 1080)]),
        # Portrait phone video gets the same ladder, on its short side.
        (720, 1280, [("360p", 360, 640), ("720p", 720, 1280)]),
        # Odd sizes become even: x264 needs even dimensions for 4:2:0.
        (321, 241, [("240p", 320, 240)]),
    ],
)
def test_plan_ladder_never_upscales(width, height, expected):
    ladder = hls.plan_ladder(probe_of(width, height))

    assert [(r.name, r.width, r.height) for r in ladder] == expected
    bitrates = [r.video_bitrate for r in ladder]
    assert bitrates == sorted(bitrates)


# build_hls_command


def test_build_hls_command_without_audio_maps_no_audio():
    ladder = hls.plan_ladder(probe_of(1280, 720))

    command = hls.build_hls_command("in.mp4", "/out", ladder, has_audio=False, frame_rate=25, progress=False)

    assert command.count("ffmpeg") == 1
    assert "0:a:0" not in command and "-c:a" not in command
    assert "-progress" not in command
    assert command[command.index("-g") + 1] == "100"  # 4 s at 25 fps
    assert command[command.index("-var_stream_map") + 1] == "v:0,name:360p v:1,name:720p"
    assert command[-1] == "/out/%v/index.m3u8"


def test_build_hls_command_with_progress_reports_on_stdout():
    command = hls.build_hls_command("in.mp4", "/out", hls.plan_ladder(probe_of(320, 240)), has_audio=True)

    assert command[command.index("-progress") + 1] == "pipe:1"
    assert "-nostats" in command
    assert command[command.index("-var_stream_map") + 1] == "v:0,a:0,name:240p"


# encode_hls


def test_encode_hls_writes_a_playable_master(clip, tmp_path):
    info = hls.probe(clip)
    # Two renditions from a tiny source: the multi-variant path at little cost.
    ladder = [Rendition("120p", 160, 120, 200_000, 64_000), Rendition("240p", 320, 240, 400_000, 96_000)]
    reports = []

    result = hls.encode_hls(
        clip, tmp_path / "hls", ladder=ladder, probe=info,
        on_progress=lambda fraction, speed: reports.append((fraction, speed)),
    )

    assert result.master_path == str(tmp_path / "hls" / "master.m3u8")
    master = open(result.master_path).read()
    assert "120p/index.m3u8" in master and "240p/index.m3u8" in master
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in open(tmp_path / "hls" / "240p" / "index.m3u8").read()
    assert float(ffprobe_json(result.master_path)["format"]["duration"]) == pytest.approx(5, abs=1)
    fractions = [fraction for fraction, _ in reports]
    assert fractions == sorted(fractions)
    assert fractions[-1] == pytest.approx(1.0, abs=0.01)
    assert all(0 <= fraction <= 1 for fraction in fractions)
    assert not child_processes()


def test_encode_hls_handles_a_source_without_audio(tmp_path):
    silent = generate_test_clip(tmp_path / "silent.mp4", seconds=2, width=160, height=120, audio=False)
    info = hls.probe(silent)
    assert not info.has_audio

    result = hls.encode_hls(silent, tmp_path / "hls", ladder=hls.plan_ladder(info), probe=info)

    streams = ffprobe_json(result.master_path)["streams"]
    assert {s["codec_type"] for s in streams} == {"video"}


def test_encode_hls_reports_ffmpeg_failure_readably(tmp_path):
    # Skipping probe() lets garbage reach ffmpeg itself.
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(os.urandom(4096))

    with pytest.raises(MediaError) as error:
        hls.encode_hls(garbage, tmp_path / "hls", ladder=hls.plan_ladder(probe_of(320, 240)), probe=probe_of(320, 240))
    assert error.value.reason == "The video could not be decoded (corrupt data)."
    assert error.value.detail  # ffmpeg's words, kept for the logs
    assert not child_processes()


def test_cancel_kills_ffmpeg(long_clip, tmp_path):
    info = hls.probe(long_clip)
    cancel = threading.Event()
    reports = []

    def on_progress(fraction, speed):
        reports.append(fraction)
        cancel.set()

    with pytest.raises(EncodingCancelled):
        hls.encode_hls(long_clip, tmp_path / "hls", ladder=hls.plan_ladder(info), probe=info,
                       on_progress=on_progress, cancel=cancel)
    assert len(reports) == 1 and reports[0] < 1
    assert not child_processes()


def test_timeout_kills_ffmpeg(long_clip, tmp_path):
    info = hls.probe(long_clip)

    with pytest.raises(EncodingTimeout):
        hls.encode_hls(long_clip, tmp_path / "hls", ladder=hls.plan_ladder(info), probe=info, timeout=0.3)
    assert not child_processes()


@pytest.mark.parametrize("exception", [RuntimeError, KeyboardInterrupt])
def test_an_exception_in_the_callback_kills_ffmpeg(long_clip, tmp_path, exception):
    info = hls.probe(long_clip)

    def on_progress(fraction, speed):
        raise exception("stop")

    with pytest.raises(exception):
        hls.encode_hls(long_clip, tmp_path / "hls", ladder=hls.plan_ladder(info), probe=info, on_progress=on_progress)
    assert not child_processes()


# the poster inside the encode


def test_encode_hls_writes_the_poster_from_its_own_decoding(tmp_path):
    tall = generate_test_clip(tmp_path / "tall.mp4", seconds=2, width=480, height=1000, audio=False)
    info = hls.probe(tall)
    poster = tmp_path / "hls" / "poster.jpg"

    command = hls.encode_command(tall, tmp_path / "hls", ladder=hls.plan_ladder(info), probe=info, poster=poster)
    hls.encode_hls(tall, tmp_path / "hls", ladder=hls.plan_ladder(info), probe=info, poster=poster)

    assert command.count("ffmpeg") == 1 and command[-1] == str(poster), "one run, the poster its last output"
    assert "trim=start=0.200,trim=end_frame=1" in command[command.index("-filter_complex") + 1]
    assert open(poster, "rb").read(2) == b"\xff\xd8"
    stream = ffprobe_json(poster)["streams"][0]
    assert stream["height"] == 720 and stream["width"] == pytest.approx(480 * 720 / 1000, abs=2)
    assert (tmp_path / "hls" / "master.m3u8").is_file()
    assert not child_processes()


def test_a_poster_time_past_the_end_leaves_no_poster_and_no_failure(clip, tmp_path):
    info = hls.probe(clip)
    late = dataclasses.replace(info, duration=500.0)  # a file claiming more than it holds

    hls.encode_hls(clip, tmp_path / "hls", ladder=hls.plan_ladder(info), probe=late, poster=tmp_path / "hls" / "p.jpg")

    assert hls.poster_seconds(500.0) == 10.0
    assert not (tmp_path / "hls" / "p.jpg").exists(), "the pipeline then takes one with make_poster"
    assert (tmp_path / "hls" / "master.m3u8").is_file()


# make_poster


def test_make_poster_writes_one_small_jpeg(clip, tmp_path):
    poster = hls.make_poster(clip, tmp_path / "poster.jpg", at_seconds=1)

    assert open(poster, "rb").read(2) == b"\xff\xd8"
    stream = ffprobe_json(poster)["streams"][0]
    assert (stream["width"], stream["height"]) == (320, 240)


def test_make_poster_caps_the_height_and_survives_a_time_past_the_end(tmp_path):
    tall = generate_test_clip(tmp_path / "tall.mp4", seconds=1, width=480, height=1000, audio=False)

    poster = hls.make_poster(tall, tmp_path / "poster.jpg", at_seconds=99)

    stream = ffprobe_json(poster)["streams"][0]
    assert stream["height"] == 720
    assert stream["width"] == pytest.approx(480 * 720 / 1000, abs=2)
