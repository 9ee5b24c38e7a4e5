"""Faults on the real stack; after each, every accepted task finishes and DB and Redis agree.

Each case ends with the same checks (`settled`): every task it accepted reaches READY within
a deadline derived from the heartbeat timeout (nothing stays unfinished, nothing is lost),
Redis holds each task's DB status and attempt and its tenant's active index lists none of
them, and the worker is alive: the same process, or the one a supervisor (systemd's
Restart=always, played here by the test) started after a kill, encodes a new upload.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import time
import uuid
from pathlib import Path

import pytest

from academy.progress.api import state_decode
from academy.tests import stack
from academy.testdata.clips import generate_test_clip
from academy.videos.models import Video
from chaos.conftest import HEARTBEAT_TIMEOUT, RECONCILE_INTERVAL, pg_restart

# Beyond this a task counts as stuck: a re-queue needs the heartbeat timeout, a reconcile
# run, and an encode; the rest is slack for a loaded 2-core machine.
SETTLE_SECONDS = HEARTBEAT_TIMEOUT + RECONCILE_INTERVAL + 150


@pytest.fixture(scope="session")
def long_clip(tmp_path_factory) -> bytes:
    """30 s of 640x360 video: a few seconds of encoding, long enough to hit mid-way."""
    path = tmp_path_factory.mktemp("clips") / "long.mp4"
    return Path(generate_test_clip(path, seconds=30, width=640, height=360)).read_bytes()


@pytest.fixture(scope="session")
def short_clip(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("clips") / "short.mp4"
    return Path(generate_test_clip(path, seconds=2, width=320, height=240)).read_bytes()


def _request(port: int, method: str, path: str, token: str, body: bytes | None = None,
             content_type: str = "") -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw or b"{}")
    finally:
        conn.close()


def upload(chaos_stack, token: str, clip: bytes) -> int:
    """Upload through gunicorn, as a user does; return the accepted video's id."""
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nchaos\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n").encode() + clip + f"\r\n--{boundary}--\r\n".encode()
    status, created = _request(chaos_stack.port, "POST", "/media/videos/", token, body,
                               f"multipart/form-data; boundary={boundary}")
    assert status == 201, created
    return created["id"]


def poll(chaos_stack, token: str, video_id: int) -> tuple[int, dict, float]:
    started = time.monotonic()
    status, body = _request(chaos_stack.port, "GET", f"/media/videos/{video_id}/progress/", token)
    return status, body, time.monotonic() - started


def row(video_id: int) -> Video:
    return Video.objects.get(pk=video_id)


def redis_task(redis_server, tenant_id: int, video_id: int) -> dict:
    """Return the status and attempt Redis holds for the video ({} when none), decoded as the app does."""
    state = state_decode(redis_server.client().hgetall(f"tenant:{tenant_id}:video:{{{video_id}}}:status"))
    return {} if state is None else {"status": state.status, "attempt": str(state.attempt)}


def encoding_midway(redis_server, tenant_id: int, video_id: int) -> bool:
    """True once the encode has reported transcoding progress (ffmpeg is running)."""
    progress = redis_server.client().hgetall(f"tenant:{tenant_id}:video:{{{video_id}}}:progress")
    return row(video_id).status == "PROCESSING" and float(progress.get("percent", 0) or 0) >= 3


def ffmpeg_pids(tmp: Path) -> list[int]:
    """ffmpeg processes working in this test's temp folder (the workers' encodes)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = Path(f"/proc/{entry}/stat").read_text().split(") ", 1)[1][0]
        except OSError:
            continue
        if cmdline.startswith("ffmpeg") and str(tmp) in cmdline and state != "Z":
            found.append(int(entry))
    return found


def settled(chaos_stack, redis_server, tenant_id: int, token: str, video_ids: list[int], short_clip: bytes,
            *, since: float) -> float:
    """Check the suite's invariants; return seconds from `since` until the last task finished."""
    deadline = since + SETTLE_SECONDS
    for video_id in video_ids:
        stack.wait_for(lambda: row(video_id).status in ("READY", "FAILED", "CANCELLED"),
                       timeout=max(1, deadline - time.monotonic()), what=f"video {video_id} to finish",
                       step=0.25)
    recovered = time.monotonic() - since
    rows = {video_id: row(video_id) for video_id in video_ids}
    assert {v.status for v in rows.values()} == {"READY"}, {k: (v.status, v.error_reason) for k, v in rows.items()}
    # DB and Redis agree (reconcile repairs a Redis that missed the end within one interval).

    def agree() -> bool:
        for video_id, video in rows.items():
            cached = redis_task(redis_server, tenant_id, video_id)
            if cached.get("status") != video.status or int(cached.get("attempt", 0)) != video.attempt:
                return False
        active = redis_server.client().zrange(f"tenant:{tenant_id}:active", 0, -1)
        return not any(member.endswith(f"{{{video_id}}}") or member.endswith(f":{video_id}") for member in active
                       for video_id in rows)

    stack.wait_for(agree, timeout=RECONCILE_INTERVAL * 10 + 30, what="Redis to agree with the database")
    recovered = time.monotonic() - since  # finished in the DB and shown so by Redis
    for video_id in rows:
        status, body, _ = poll(chaos_stack, token, video_id)
        assert status == 200 and body["status"] == "READY", body
    # The worker is alive and works: a new upload is encoded.
    assert chaos_stack.worker.alive(), chaos_stack.worker.tail()
    probe = upload(chaos_stack, token, short_clip)
    stack.wait_for(lambda: row(probe).status == "READY", timeout=120, what="a new upload to be encoded", step=0.25)
    return recovered


def test_redis_sigkill_mid_task_and_back(chaos_stack, redis_server, owner, long_clip, short_clip):
    tenant, _, token = owner
    video_id = upload(chaos_stack, token, long_clip)
    stack.wait_for(lambda: encoding_midway(redis_server, tenant.pk, video_id), timeout=120, what="the encode")
    worker_pid = chaos_stack.worker.pid
    since = time.monotonic()
    redis_server.kill()  # no persistence: the queue, the unacked message and all progress are gone
    time.sleep(3)  # the outage itself
    redis_server.start()
    recovered = settled(chaos_stack, redis_server, tenant.pk, token, [video_id], short_clip, since=since)
    assert chaos_stack.worker.pid == worker_pid  # survived, not restarted
    print(f"\nchaos redis SIGKILL mid-task: finished {recovered:.1f} s after the kill")


def test_redis_sigstop_for_15_seconds(chaos_stack, redis_server, owner, long_clip, short_clip):
    tenant, _, token = owner
    video_id = upload(chaos_stack, token, long_clip)
    stack.wait_for(lambda: encoding_midway(redis_server, tenant.pk, video_id), timeout=120, what="the encode")
    worker_pid = chaos_stack.worker.pid
    pid = redis_server.pid()
    since = time.monotonic()
    os.kill(pid, signal.SIGSTOP)
    latencies = []
    try:
        while time.monotonic() - since < 15:
            status, body, seconds = poll(chaos_stack, token, video_id)
            assert status == 200 and body["status"] in ("PROCESSING", "READY"), body
            latencies.append(seconds)
    finally:
        os.kill(pid, signal.SIGCONT)
    recovered = settled(chaos_stack, redis_server, tenant.pk, token, [video_id], short_clip, since=since)
    assert chaos_stack.worker.pid == worker_pid
    latencies.sort()
    print(f"\nchaos redis SIGSTOP 15 s: {len(latencies)} polls answered while frozen, "
          f"median {latencies[len(latencies) // 2] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms; "
          f"finished {recovered:.1f} s after the stop")


def test_flushall_and_worker_sigkill_mid_encode(chaos_stack, redis_server, owner, long_clip, short_clip):
    tenant, _, token = owner
    video_id = upload(chaos_stack, token, long_clip)
    stack.wait_for(lambda: encoding_midway(redis_server, tenant.pk, video_id), timeout=120, what="the encode")
    assert ffmpeg_pids(chaos_stack.tmp)
    since = time.monotonic()
    redis_server.client().flushall()
    chaos_stack.worker.signal(signal.SIGKILL)
    # The pool process and its ffmpeg die with the worker (PR_SET_PDEATHSIG).
    stack.wait_for(lambda: not ffmpeg_pids(chaos_stack.tmp), timeout=30, what="ffmpeg to die with its worker")
    chaos_stack.worker_start()  # systemd's Restart=always
    recovered = settled(chaos_stack, redis_server, tenant.pk, token, [video_id], short_clip, since=since)
    assert row(video_id).attempt == 2  # re-queued once by reconcile
    leftovers = [p for p in (chaos_stack.tmp / "tmp").iterdir() if p.name.startswith("academy-video-")]
    assert leftovers == [], leftovers
    print(f"\nchaos FLUSHALL + worker SIGKILL mid-encode: READY {recovered:.1f} s after the kill")


def test_worker_sigkill_mid_encode(chaos_stack, redis_server, owner, long_clip, short_clip):
    tenant, _, token = owner
    video_id = upload(chaos_stack, token, long_clip)
    stack.wait_for(lambda: encoding_midway(redis_server, tenant.pk, video_id), timeout=120, what="the encode")
    since = time.monotonic()
    chaos_stack.worker.signal(signal.SIGKILL)
    stack.wait_for(lambda: not ffmpeg_pids(chaos_stack.tmp), timeout=30, what="ffmpeg to die with its worker")
    chaos_stack.worker_start()
    recovered = settled(chaos_stack, redis_server, tenant.pk, token, [video_id], short_clip, since=since)
    assert row(video_id).attempt == 2
    print(f"\nchaos worker SIGKILL mid-encode: READY {recovered:.1f} s after the kill")


def test_redis_restarted_from_an_older_snapshot_after_a_task_finished(chaos_stack, redis_server, owner,
                                                                       long_clip, short_clip):
    tenant, _, token = owner
    video_id = upload(chaos_stack, token, long_clip)
    stack.wait_for(lambda: encoding_midway(redis_server, tenant.pk, video_id), timeout=120, what="the encode")
    redis_server.snapshot()  # Redis on disk: PROCESSING, in the active index
    stack.wait_for(lambda: row(video_id).status == "READY", timeout=SETTLE_SECONDS, what="the encode to finish")
    since = time.monotonic()
    redis_server.kill()
    redis_server.start()  # loads the snapshot: the terminal write is lost
    try:
        stale = redis_task(redis_server, tenant.pk, video_id)
        assert stale.get("status") == "PROCESSING"  # the fault is real
        recovered = settled(chaos_stack, redis_server, tenant.pk, token, [video_id], short_clip, since=since)
    finally:
        redis_server.drop_snapshot()
    print(f"\nchaos Redis restarted from an older snapshot: Redis agrees with the DB {recovered:.1f} s after the restart")


def test_postgres_restart_while_polling(chaos_stack, redis_server, owner, long_clip, short_clip):
    tenant, _, token = owner
    video_id = upload(chaos_stack, token, long_clip)
    stack.wait_for(lambda: encoding_midway(redis_server, tenant.pk, video_id), timeout=120, what="the encode")
    since = time.monotonic()
    answered = []

    import threading

    stop = threading.Event()

    def keep_polling():
        while not stop.is_set():
            answered.append(poll(chaos_stack, token, video_id)[0])

    poller = threading.Thread(target=keep_polling, daemon=True)
    poller.start()
    try:
        stack.wait_for(lambda: len(answered) >= 20, timeout=60, what="polls before the restart")
        pg_restart()
        after = len(answered)
        stack.wait_for(lambda: len(answered) >= after + 20, timeout=60, what="polls after the restart")
    finally:
        stop.set()
        poller.join(timeout=60)
    from django.db import connection

    connection.close()  # this test's own connection was cut by the restart
    assert answered and set(answered) == {200}, answered  # polls never needed PostgreSQL
    recovered = settled(chaos_stack, redis_server, tenant.pk, token, [video_id], short_clip, since=since)
    print(f"\nchaos PostgreSQL restart while polling: {len(answered)} polls all 200; READY {recovered:.1f} s later")


def test_broker_message_lost_for_a_pending_task(chaos_stack, redis_server, owner, long_clip, short_clip):
    from django.conf import settings

    tenant, _, token = owner
    chaos_stack.worker.stop()  # nobody consumes: the message waits in the queue
    video_id = upload(chaos_stack, token, long_clip)
    client = redis_server.client()
    stack.wait_for(lambda: client.llen(settings.VIDEO_QUEUE) == 1, timeout=30, what="the queued message")
    since = time.monotonic()
    client.delete(settings.VIDEO_QUEUE)  # lost
    chaos_stack.worker_start()
    recovered = settled(chaos_stack, redis_server, tenant.pk, token, [video_id], short_clip, since=since)
    assert row(video_id).attempt == 2  # re-queued by reconcile as a new attempt
    print(f"\nchaos broker message lost for a PENDING task: READY {recovered:.1f} s after the loss")
