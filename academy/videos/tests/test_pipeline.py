"""The encoding pipeline end to end: real ffmpeg, real PostgreSQL, real Redis, no mocks of either."""
import json
import subprocess
import tempfile
import threading
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

from academy.progress import reporter as reporter_module
from academy.progress import testing as store
from academy.progress.api import STUCK_REASON
from academy.progress.testing import redis_client as get_redis
from academy.videos import pipeline, services, storage
from academy.videos.models import Video, VideoStatus
from academy.videos.selectors import video_ref
from academy.videos.tasks import video_encode
from academy.videos.tests.conftest import ffmpeg_children, ffprobe_duration


class Watch:
    """What Redis holds after each progress write of the pipeline; on_write runs right after it."""

    def __init__(self):
        self.states = []
        self.on_write = None

    def running(self):
        return [state for state in self.states if state is not None and state.status == "PROCESSING"]

    def step_names(self):
        names = []
        for state in self.running():
            if not names or names[-1] != state.step["name"]:
                names.append(state.step["name"])
        return names


@pytest.fixture
def watch(monkeypatch):
    """Read Redis back after every write the pipeline's reporter makes."""
    watch = Watch()
    real_publish = reporter_module.publish

    def publish(ref, state, **kwargs):
        applied = real_publish(ref, state, **kwargs)
        watch.states.append(store.state_read(ref))
        if watch.on_write is not None:
            watch.on_write(watch.states[-1])
        return applied

    monkeypatch.setattr(reporter_module, "publish", publish)
    return watch


@pytest.fixture
def private_tmp(monkeypatch, tmp_path):
    """Give tempfile a folder of this test, to see that the pipeline leaves nothing in it."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def pg_stat_reset():
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        cursor.execute("SELECT pg_stat_statements_reset()")


def pg_statements(table: str) -> list[tuple[str, int]]:
    """Return (normalized query, calls) PostgreSQL ran on `table` in this database since the reset."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT query, calls FROM pg_stat_statements "
            "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND query ILIKE %s AND query NOT ILIKE %s",
            [f"%{table}%", "%pg_stat_statements%"],
        )
        return cursor.fetchall()


def queued_encodes() -> list[tuple[str, str]]:
    """Return (task name, args) of the messages waiting in the real Celery broker."""
    messages = [json.loads(raw) for raw in get_redis().lrange(settings.VIDEO_QUEUE, 0, -1)]
    return [(m["headers"]["task"], m["headers"]["argsrepr"]) for m in messages]


def files_under(folder) -> list:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


@pytest.fixture(scope="module")
def audio_only(tmp_path_factory):
    path = tmp_path_factory.mktemp("audio") / "voice.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
                    "-c:a", "aac", str(path)], check=True)
    return path.read_bytes()


# The happy path


@pytest.mark.django_db(transaction=True)
def test_an_upload_becomes_playable_hls_with_two_sql_writes(upload, clip, owner, api, media, live_server):
    tenant, _, token = owner

    response = upload(clip)

    assert response.status_code == 201
    video_id = response.json()["id"]
    assert response.json() == {"id": video_id, "status": "PENDING"}
    # Once the row committed, the encoding was queued in the real broker.
    assert queued_encodes() == [("academy.videos.tasks.video_encode", f"({video_id}, 1)")]

    pg_stat_reset()
    assert video_encode(video_id, 1) == "READY"  # the Celery task itself, run in this process

    # PostgreSQL itself counted what the whole encoding cost it: the mark-processing and
    # the completion, each a row lock and an update, plus the count of the tenant's running
    # encodes (VIDEO_TENANT_MAX_CONCURRENT). Progress never reached it.
    statements = pg_statements("videos_video")
    assert sum(calls for _, calls in statements) == 5, statements
    assert sorted(q.split()[0] for q, calls in statements for _ in range(calls)) == [
        "SELECT", "SELECT", "SELECT", "UPDATE", "UPDATE"]
    assert sum("FOR UPDATE" in q for q, calls in statements for _ in range(calls)) == 2
    assert sum("COUNT(" in q.upper() for q, calls in statements for _ in range(calls)) == 1

    detail = api(token).get(f"/media/videos/{video_id}/").json()
    assert detail["status"] == "READY" and detail["error_reason"] == "" and detail["attempt"] == 1
    assert detail["hls_path"] == f"videos/{tenant.pk}/{video_id}/a1/master.m3u8"
    assert detail["duration"] == pytest.approx(5, abs=1)
    assert ffprobe_duration(str(media / detail["hls_path"])) == pytest.approx(5, abs=1)
    # ffprobe plays it through the signed URL: variant playlist and segments resolve under the token.
    assert ffprobe_duration(live_server.url + urlsplit(detail["playback_url"]).path) == pytest.approx(5, abs=1)
    assert urlsplit(detail["poster_url"]).path.endswith("/poster.jpg")
    # The upload is kept (a retry encodes it again); nothing else of ours is left in the temp folder.
    assert files_under(media / "videos" / str(tenant.pk) / "sources")


@pytest.mark.django_db
def test_a_poster_the_encode_could_not_take_is_taken_on_its_own(upload, clip, media, monkeypatch, private_tmp):
    from academy.videos import hls

    # A file whose frames end before its poster time: the encode's poster branch gets no frame.
    monkeypatch.setattr(hls, "poster_seconds", lambda duration: 500.0)
    video_id = upload(clip).json()["id"]

    assert video_encode(video_id, 1) == "READY"

    video = Video.objects.get(pk=video_id)
    assert video.poster_path.endswith("/poster.jpg")
    assert (media / video.poster_path).read_bytes()[:2] == b"\xff\xd8", "make_poster fell back to the first frame"
    assert not files_under(private_tmp)


@pytest.mark.django_db
def test_progress_moves_through_the_steps_in_redis(upload, clip, settings, watch, private_tmp):
    settings.VIDEO_PROGRESS_INTERVAL = 0  # write every ffmpeg report, to see each of them
    video_id = upload(clip).json()["id"]

    assert video_encode(video_id, 1) == "READY"

    running = watch.running()
    assert watch.step_names() == ["probe", "transcode 240p", "poster", "finalize"]
    assert [int(s.step["index"]) for s in running] == sorted(int(s.step["index"]) for s in running)
    assert {s.step["total"] for s in running} == {"4"}
    percents = [int(s.progress["percent"]) for s in running]
    assert percents == sorted(percents) and percents[0] == 0 and percents[-1] == 100
    transcode = [s for s in running if s.step["name"].startswith("transcode")]
    # The encode fractions drive the step percent, and the rate gives an ETA.
    assert int(transcode[-1].step["percent"]) == 100
    assert any(s.progress["remaining"] != "" for s in transcode)
    # Each write also slid the heartbeat reconcile watches.
    assert all("hb" in s.fields for s in running)

    final = store.state_read(video_ref(Video.objects.get(pk=video_id)))
    assert final.status == "READY" and final.fields["hls_path"].endswith("/a1/master.m3u8")
    assert final.progress == {} and final.step == {}
    assert not store.active_list(Video.objects.get(pk=video_id).tenant_id)
    assert list(private_tmp.iterdir()) == []


# Bad input: FAILED with a reason a person understands, never stuck in PROCESSING


def truncated(path) -> bytes:
    data = open(path, "rb").read()
    return data[: len(data) // 2]


@pytest.mark.django_db
@pytest.mark.parametrize("kind, reason, code", [
    ("text", "The file is not a video we can read.", "video_unreadable"),
    ("empty", "The file is empty.", "video_file_empty"),
    ("audio", "The file has no video stream (it holds only audio).", "video_audio_only"),
    ("truncated", "The file is not a video we can read.", "video_unreadable"),
    ("too long", "The video is longer than the limit of 3 seconds.", "video_too_long"),
])
def test_bad_input_fails_with_its_reason(kind, reason, code, upload, clip, audio_only, owner, api, settings, media,
                                         private_tmp):
    settings.VIDEO_MAX_DURATION = 3
    content = {
        "text": b"Chapter 1. This is a text file, whatever its name says.\n" * 40,
        "empty": b"",
        "audio": audio_only,
        "truncated": truncated(clip),
        "too long": open(clip, "rb").read(),
    }[kind]
    video_id = upload(content, name="lecture.mp4").json()["id"]

    assert video_encode(video_id, 1) == "FAILED"

    client = api(owner[2])
    detail = client.get(f"/media/videos/{video_id}/").json()
    assert detail["status"] == "FAILED" and detail["error_reason"] == reason
    assert detail["playback_url"] is None and detail["hls_path"] == ""
    progress = client.get(f"/media/videos/{video_id}/progress/").json()
    assert progress["status"] == "FAILED" and progress["error_reason"] == reason
    # What the web app localises: the same code in the detail and in the progress body.
    assert detail["error_code"] == progress["error_code"] == code
    assert detail["error_params"] == progress["error_params"]
    if code == "video_too_long":
        assert progress["error_params"]["limit_seconds"] == 3 and progress["error_params"]["duration_seconds"] > 3
    assert not files_under(media / "videos" / str(owner[0].pk) / str(video_id))
    assert list(private_tmp.iterdir()) == []


@pytest.mark.django_db
def test_an_unexpected_error_fails_generically_logs_and_removes_partial_output(upload, clip, owner, media,
                                                                              monkeypatch, caplog):
    real_upload = storage.tree_upload

    def upload_then_break(local_dir, prefix, **kwargs):
        real_upload(local_dir, prefix, **kwargs)
        raise OSError("the bucket went away")

    monkeypatch.setattr(storage, "tree_upload", upload_then_break)
    video_id = upload(clip).json()["id"]

    assert video_encode(video_id, 1) == "FAILED"

    video = Video.objects.get(pk=video_id)
    assert video.status == VideoStatus.FAILED and video.error_reason == pipeline.INTERNAL_ERROR
    assert video.error_code == "internal_error"
    assert "the bucket went away" in caplog.text
    assert not files_under(media / "videos" / str(owner[0].pk) / str(video_id))


@pytest.mark.django_db
def test_the_time_limit_kills_ffmpeg(upload, clip, settings, private_tmp):
    settings.VIDEO_ENCODE_TIMEOUT = 0.001
    video_id = upload(clip).json()["id"]

    assert video_encode(video_id, 1) == "FAILED"

    video = Video.objects.get(pk=video_id)
    assert (video.error_reason, video.error_code) == ("The video took too long to encode.", "video_encode_timeout")
    assert not ffmpeg_children()
    assert list(private_tmp.iterdir()) == []


# Cancelling


@pytest.mark.django_db
def test_cancel_kills_ffmpeg_and_cleans_up(upload, clip, watch, private_tmp):
    video_id = upload(clip).json()["id"]
    cancel = threading.Event()
    watch.on_write = lambda state: state.step.get("name", "").startswith("transcode") and cancel.set()

    assert pipeline.video_encode_run(video_id=video_id, attempt=1, cancel=cancel) == "FAILED"

    assert Video.objects.get(pk=video_id).error_reason == "The encoding was cancelled."
    assert not ffmpeg_children()
    assert list(private_tmp.iterdir()) == []


@pytest.mark.django_db
def test_an_attempt_failed_elsewhere_stops_its_encoding(upload, clip, watch, settings, private_tmp):
    # What reconcile does to a task whose heartbeat it lost: FAILED in the DB, then in Redis.
    settings.VIDEO_PROGRESS_INTERVAL = 0
    video_id = upload(clip).json()["id"]

    def fail_once_transcoding(state):
        if state.status == "PROCESSING" and state.step.get("name", "").startswith("transcode"):
            services.video_fail(video_id=video_id, attempt=1, error_reason=STUCK_REASON)

    watch.on_write = fail_once_transcoding

    assert video_encode(video_id, 1) == "FAILED"

    video = Video.objects.get(pk=video_id)
    assert video.status == VideoStatus.FAILED and video.error_reason == STUCK_REASON
    assert watch.step_names()[-1].startswith("transcode")  # nothing after: no poster, no finalize
    assert not ffmpeg_children()
    assert list(private_tmp.iterdir()) == []


@pytest.mark.django_db
def test_a_cancelled_attempt_kills_ffmpeg_and_stays_cancelled(upload, clip, owner, watch, settings, private_tmp,
                                                             django_capture_on_commit_callbacks):
    settings.VIDEO_PROGRESS_INTERVAL = 0
    video_id = upload(clip).json()["id"]

    def cancel_once_transcoding(state):
        if state.status == "PROCESSING" and state.step.get("name", "").startswith("transcode"):
            with django_capture_on_commit_callbacks(execute=True):
                services.video_cancel(tenant_id=owner[0].pk, video_id=video_id)

    watch.on_write = cancel_once_transcoding

    video_encode(video_id, 1)

    video = Video.objects.get(pk=video_id)
    assert (video.status, video.error_reason, video.hls_path) == (VideoStatus.CANCELLED, "", "")
    assert store.state_read(video_ref(video)).status == "CANCELLED"
    assert watch.step_names()[-1].startswith("transcode")  # nothing after: no poster, no finalize
    assert not ffmpeg_children()
    assert list(private_tmp.iterdir()) == []


# Retry


@pytest.mark.django_db(transaction=True)
def test_retry_encodes_a_new_attempt_to_ready(upload, clip, owner, make_member, api, settings, media):
    tenant, _, token = owner
    client = api(token)
    settings.VIDEO_ENCODE_TIMEOUT = 0.001  # the first attempt runs out of time
    video_id = upload(clip).json()["id"]
    assert video_encode(video_id, 1) == "FAILED"
    get_redis().delete(settings.VIDEO_QUEUE)
    settings.VIDEO_ENCODE_TIMEOUT = 60

    response = client.post(f"/media/videos/{video_id}/retry/")

    assert response.status_code == 202
    assert response.json() == {"id": video_id, "status": "PENDING", "attempt": 2}
    assert queued_encodes() == [("academy.videos.tasks.video_encode", f"({video_id}, 2)")]
    assert client.get(f"/media/videos/{video_id}/progress/").json()["status"] == "PENDING"
    assert video_encode(video_id, 1) == "skipped"  # a late message of the old attempt does nothing
    assert video_encode(video_id, 2) == "READY"
    detail = client.get(f"/media/videos/{video_id}/").json()
    assert detail["attempt"] == 2 and detail["status"] == "READY" and detail["error_reason"] == ""
    assert detail["hls_path"] == f"videos/{tenant.pk}/{video_id}/a2/master.m3u8"
    assert ffprobe_duration(str(media / detail["hls_path"])) == pytest.approx(5, abs=1)

    # Only a FAILED video can be retried, and only by its own tenant.
    assert client.post(f"/media/videos/{video_id}/retry/").status_code == 400
    _, _, stranger = make_member()
    assert api(stranger).post(f"/media/videos/{video_id}/retry/").status_code == 404
