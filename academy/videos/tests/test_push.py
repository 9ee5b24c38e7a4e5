"""A real encode watched over the progress stream: every state change arrives, in order."""
import pytest

from academy.progress.tests.streaming import StreamReader, asgi_server  # noqa: F401 (fixture)
from academy.videos.tasks import video_encode

RANK = {"PENDING": 0, "PROCESSING": 1, "READY": 2}


@pytest.mark.django_db(transaction=True)
def test_a_real_encode_streams_its_states_in_order(asgi_server, upload, clip, owner, api, settings):
    settings.VIDEO_PROGRESS_INTERVAL = 0.2
    tenant, _, token = owner
    ticket = api(token).post("/api/v1/progress/stream-ticket/").json()["ticket"]
    reader = StreamReader(*asgi_server, f"/api/v1/progress/stream/?ticket={ticket}")
    reader.until(lambda e: e.event == "sync")

    video_id = upload(clip).json()["id"]  # PENDING, announced once the row commits
    assert video_encode(video_id, 1) == "READY"

    events = [e for e in reader.until(lambda e: e.event == "video" and e.data["status"] == "READY")
              if e.event == "video"]
    assert {e.data["id"] for e in events} == {video_id}
    statuses = [e.data["status"] for e in events]
    assert statuses[0] == "PENDING" and statuses[-1] == "READY"
    assert [RANK[s] for s in statuses] == sorted(RANK[s] for s in statuses), "never backwards"
    running = [e.data for e in events if e.data["status"] == "PROCESSING"]
    steps = [(body["encoding_step_index"], body["encoding_progress"]) for body in running]
    assert steps == sorted(steps), "steps and percent only move forward"
    # Marked running, then probe, transcode, poster, finalize. The writer coalesces progress, so
    # a step shorter than its interval (poster, finalize) may be announced only by the next state.
    indexes = {index for index, _ in steps}
    assert {0, 2} <= indexes <= {0, 1, 2, 3, 4}, indexes
    assert len(running) >= 6
    event_ids = [progress_key(e.id) for e in events]
    assert event_ids == sorted(event_ids) and len(set(event_ids)) == len(event_ids)
    final = events[-1].data
    assert final["hls_path"].endswith("/a1/master.m3u8") and final["encoding_progress"] == 100
    # The terminal event carries what the progress endpoint answers.
    assert api(token).get(f"/media/videos/{video_id}/progress/").json() == final
    reader.close()


def progress_key(event_id: str) -> tuple[int, int]:
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq)
