"""The video library: one statement a page, live progress of encoding videos, delete with its files."""
from urllib.parse import quote

import pytest

from academy.progress import reporter as reporter_module
from academy.progress.api import ProgressReporter
from academy.progress.testing import publish, task_keys
from academy.tenants.models import Role
from academy.videos import services
from academy.videos.models import Video, VideoStatus
from academy.videos.selectors import video_ref, video_state
from academy.videos.tasks import video_encode
from academy.videos.tests.conftest import ffmpeg_children

pytestmark = pytest.mark.django_db

VIDEOS = "/media/videos/"
NOT_FOUND = {"detail": "Not found.", "code": "not_found", "params": {}}


def encoding(tenant, title: str) -> Video:
    video = Video.objects.create(tenant=tenant, title=title)
    publish(video_ref(video), video_state(video))
    services.video_mark_processing(video_id=video.pk, attempt=1)
    reporter = ProgressReporter(video_ref(video), attempt=1, min_interval=0,
                                steps=[("probe", 1), ("transcode 720p", 8), ("poster", 1)])
    reporter.step(1)
    reporter.update(0.5)
    return video


@pytest.fixture
def library(owner, make_member):
    tenant = owner[0]
    Video.objects.bulk_create([
        Video(tenant=tenant, title=f"수학 {n}강" if n % 2 else f"Physics {n}", status=VideoStatus.READY,
              hls_path=f"videos/{tenant.pk}/{n}/a1/master.m3u8", poster_path=f"videos/{tenant.pk}/{n}/a1/poster.jpg",
              duration=60.0 + n)
        for n in range(210)
    ])
    Video.objects.create(tenant=tenant, title="Broken", status=VideoStatus.FAILED, error_reason="The file is empty.",
                         error_code="video_file_empty")
    running = [encoding(tenant, f"Encoding {n}") for n in range(2)]
    Video.objects.create(tenant=make_member()[0], title="Theirs")
    return running


@pytest.mark.parametrize("page_size", [10, 100])
def test_one_statement_per_page_whatever_its_size(library, owner, api, page_size, django_assert_num_queries):
    client = api(owner[2])
    with django_assert_num_queries(1):
        body = client.get(f"{VIDEOS}?page_size={page_size}").json()
    assert len(body["results"]) == page_size
    with django_assert_num_queries(1):
        assert len(client.get(body["next"]).json()["results"]) == page_size


def test_the_library_lists_poster_title_duration_status_and_live_progress(pages, library, owner, api):
    listed = pages(api(owner[2]), f"{VIDEOS}?page_size=100")

    assert len(listed) == 213  # not the other academy's
    assert [v["title"] for v in listed[:2]] == ["Encoding 1", "Encoding 0"]  # newest first
    for video in listed[:2]:
        assert video["status"] == "PROCESSING" and video["poster_url"] is None
        assert video["live"]["encoding_step_name"] == "transcode 720p" and video["live"]["encoding_step_index"] == 2
    broken = listed[2]
    assert (broken["status"], broken["error_code"], broken["live"]) == ("FAILED", "video_file_empty", None)
    ready = next(v for v in listed if v["title"] == "Physics 4")
    assert ready["duration"] == 64.0 and ready["live"] is None
    assert "/media/hls/" in ready["poster_url"] and ready["poster_url"].endswith("/poster.jpg")


def test_search_by_title_and_status(pages, library, owner, api):
    client = api(owner[2])
    # Percent-encoded, as browsers send it (the next link keeps it).
    assert len(pages(client, f"{VIDEOS}?q={quote('수학')}&page_size=100")) == 105
    assert [v["title"] for v in pages(client, f"{VIDEOS}?q=physics 20")] == ["Physics 208", "Physics 206",
                                                                            "Physics 204", "Physics 202",
                                                                            "Physics 200", "Physics 120",
                                                                            "Physics 20"]
    assert [v["title"] for v in pages(client, f"{VIDEOS}?status=FAILED")] == ["Broken"]
    assert client.get(f"{VIDEOS}?status=GONE").json()["code"] == "invalid"


@pytest.mark.parametrize("role", [Role.STUDENT, Role.PARENT])
def test_students_and_parents_neither_list_nor_delete(library, owner, make_member, api, role):
    _, _, token = make_member(tenant=owner[0], role=role)
    video = Video.objects.filter(tenant=owner[0], status=VideoStatus.READY).first()
    for response in (api(token).get(VIDEOS), api(token).delete(f"{VIDEOS}{video.pk}/")):
        assert response.status_code == 403
    assert Video.objects.filter(pk=video.pk).exists()


def test_delete_removes_the_row_its_files_and_its_progress(upload, clip, owner, make_member, api, media,
                                                           redis_client, django_capture_on_commit_callbacks):
    client = api(owner[2])
    video_id = upload(clip).json()["id"]
    assert video_encode(video_id, 1) == "READY"
    video = Video.objects.get(pk=video_id)
    files = [p for p in media.rglob("*") if p.is_file()]
    assert any(p.name == "master.m3u8" for p in files) and any("sources" in p.parts for p in files)
    assert redis_client.exists(task_keys(video_ref(video))[0])
    stranger = make_member()[2]
    assert api(stranger).delete(f"{VIDEOS}{video_id}/").json() == NOT_FOUND

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"{VIDEOS}{video_id}/")

    assert response.status_code == 204
    assert [p for p in media.rglob("*") if p.is_file()] == []
    assert not any(redis_client.exists(key) for key in task_keys(video_ref(video)))
    assert client.get(f"{VIDEOS}{video_id}/").json() == NOT_FOUND
    assert client.get(f"{VIDEOS}{video_id}/progress/").json() == NOT_FOUND
    assert client.delete(f"{VIDEOS}{video_id}/").json() == NOT_FOUND


def test_a_video_still_encoding_is_not_deleted(library, owner, api):
    video = library[0]
    response = api(owner[2]).delete(f"{VIDEOS}{video.pk}/")
    assert response.status_code == 409
    assert response.json() == {"detail": "The video is still encoding: cancel it before deleting it.",
                               "code": "task_running", "params": {"status": "PROCESSING"}}
    assert Video.objects.filter(pk=video.pk).exists()


def test_cancel_through_the_api_kills_the_encode_and_ends_cancelled(upload, clip, owner, make_member, api, settings,
                                                                   monkeypatch, django_capture_on_commit_callbacks):
    settings.VIDEO_PROGRESS_INTERVAL = 0
    client = api(owner[2])
    video_id = upload(clip).json()["id"]
    answers = []
    real_publish = reporter_module.publish

    def publish(ref, state, **kwargs):
        applied = real_publish(ref, state, **kwargs)
        if not answers and state.status == "PROCESSING" and state.step.get("name", "").startswith("transcode"):
            # What a teacher's click does while ffmpeg runs: the worker notices on its next write.
            with django_capture_on_commit_callbacks(execute=True):
                answers.append(client.post(f"{VIDEOS}{video_id}/cancel/"))
        return applied

    monkeypatch.setattr(reporter_module, "publish", publish)

    video_encode(video_id, 1)

    assert answers[0].status_code == 202 and answers[0].json() == {"id": video_id, "status": "CANCELLED"}
    assert not ffmpeg_children()
    video = Video.objects.get(pk=video_id)
    assert (video.status, video.hls_path) == (VideoStatus.CANCELLED, "")
    assert client.get(f"{VIDEOS}{video_id}/progress/").json()["status"] == "CANCELLED"
    again = client.post(f"{VIDEOS}{video_id}/cancel/")
    assert again.status_code == 409 and again.json() == {
        "detail": "Only a waiting or encoding video can be cancelled.", "code": "cancel_not_allowed",
        "params": {"status": "CANCELLED"}}
    assert api(make_member()[2]).post(f"{VIDEOS}{video_id}/cancel/").json() == NOT_FOUND
    assert client.post(f"{VIDEOS}{video_id}/retry/").json()["attempt"] == 2  # forward: a new attempt


def test_the_live_progress_of_a_page_is_one_redis_round_trip(library, owner, api, monkeypatch):
    # A spy, not a fake: every pipeline still runs against the real Redis; this counts them.
    import redis.client

    executed = []
    real_execute = redis.client.Pipeline.execute

    def execute(self, *args, **kwargs):
        executed.append(len(self.command_stack))
        return real_execute(self, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", execute)
    body = api(owner[2]).get(f"{VIDEOS}?page_size=100").json()

    assert sum(1 for video in body["results"] if video["live"]) == 2
    assert executed == [2 * 3], "one pipeline: the status, progress and step hashes of both encoding videos"
