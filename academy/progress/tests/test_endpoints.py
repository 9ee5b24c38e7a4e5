"""The progress endpoints: zero SQL on a hit, one guarded DB read on a miss, tenant isolation."""
import pytest

from academy.jobs.models import Job
from academy.jobs.selectors import job_ref, job_state
from academy.progress.publish import publish
from academy.progress.reporter import ProgressReporter
from academy.videos.models import Video
from academy.videos.selectors import video_ref, video_state
from academy.videos import services as video_services
from academy.jobs import services as job_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(make_member):
    return make_member()


def running_video(tenant):
    video = Video.objects.create(tenant=tenant, title="Lecture 1")
    publish(video_ref(video), video_state(video))
    video_services.video_mark_processing(video_id=video.pk, attempt=1)
    reporter = ProgressReporter(video_ref(video), attempt=1, min_interval=0,
                                steps=[("probe", 1), ("transcode 720p", 8), ("poster", 1)])
    reporter.step(1)
    reporter.update(0.55)
    return video


def running_job(tenant):
    job = Job.objects.create(tenant=tenant, job_type="excel_student_import", payload={})
    publish(job_ref(job), job_state(job))
    job_services.job_mark_processing(job_id=str(job.job_id), attempt=1)
    reporter = ProgressReporter(job_ref(job), attempt=1, min_interval=0, fields={"job_type": job.job_type},
                                steps=[("parsing", 1), ("creating students", 1), ("finishing", 1)])
    reporter.step(1)
    reporter.update(0.1)
    return job


def test_video_progress_running_and_finished_with_zero_sql(member, api, django_assert_num_queries):
    tenant, _, token = member
    video = running_video(tenant)
    client = api(token)
    with django_assert_num_queries(0):
        body = client.get(f"/media/videos/{video.pk}/progress/").json()
    assert body["status"] == "PROCESSING"
    assert body["encoding_step_index"] == 2 and body["encoding_step_total"] == 3
    assert body["encoding_step_name"] == "transcode 720p" and body["encoding_step_percent"] == 55
    assert body["encoding_progress"] == int(100 * (1 + 8 * 0.55) / 10)
    assert (body["encoding_step_code"], body["encoding_step_params"]) == ("transcode", {"renditions": ["720p"]})
    assert set(body) == {"id", "status", "encoding_progress", "encoding_remaining_seconds", "encoding_step_index",
                         "encoding_step_total", "encoding_step_name", "encoding_step_percent", "encoding_step_code",
                         "encoding_step_params"}

    video_services.video_complete(video_id=video.pk, attempt=1, hls_path="videos/1/hls/master.m3u8", duration=5.0)
    with django_assert_num_queries(0):
        body = client.get(f"/media/videos/{video.pk}/progress/").json()
    assert body["status"] == "READY" and body["hls_path"] == "videos/1/hls/master.m3u8" and body["duration"] == 5.0
    assert body["encoding_progress"] == 100


def test_job_progress_running_and_finished_with_zero_sql(member, api, django_assert_num_queries):
    tenant, _, token = member
    job = running_job(tenant)
    client = api(token)
    with django_assert_num_queries(0):
        body = client.get(f"/api/v1/jobs/{job.job_id}/progress/").json()
    assert body["status"] == "PROCESSING" and body["job_type"] == "excel_student_import"
    assert body["progress"]["step_index"] == 2 and body["progress"]["step_name_display"] == "creating students"
    assert (body["progress"]["step_code"], body["progress"]["step_params"]) == ("creating_students", {})
    assert body["progress"]["step_percent"] == 10 and body["progress"]["step_total"] == 3

    job_services.job_complete(job_id=str(job.job_id), attempt=1, result={"created": 3, "total": 3})
    with django_assert_num_queries(0):
        body = client.get(f"/api/v1/jobs/{job.job_id}/progress/").json()
    assert body["status"] == "DONE" and body["result"] == {"created": 3, "total": 3}

    failed = running_job(tenant)
    job_services.job_fail(job_id=str(failed.job_id), attempt=1, error_message="The file is not an xlsx workbook.")
    with django_assert_num_queries(0):
        body = client.get(f"/api/v1/jobs/{failed.job_id}/progress/").json()
    assert body["status"] == "FAILED" and body["error_message"] == "The file is not an xlsx workbook."


def test_active_list_with_zero_sql(member, api, django_assert_num_queries):
    tenant, _, token = member
    video, job = running_video(tenant), running_job(tenant)
    client = api(token)
    with django_assert_num_queries(0):
        body = client.get("/api/v1/tasks/active/").json()
    assert {(t["kind"], t["id"]) for t in body["results"]} == {("video", str(video.pk)), ("job", str(job.job_id))}
    job_services.job_complete(job_id=str(job.job_id), attempt=1, result={})
    with django_assert_num_queries(0):
        body = client.get("/api/v1/tasks/active/").json()
    assert [(t["kind"], t["id"]) for t in body["results"]] == [("video", str(video.pk))], "finished tasks leave it"


def test_other_tenants_task_looks_exactly_missing(make_member, api):
    tenant_a, _, _ = make_member()
    _, _, token_b = make_member()
    video, job = running_video(tenant_a), running_job(tenant_a)
    client = api(token_b)
    for theirs, missing in [
        (f"/media/videos/{video.pk}/progress/", f"/media/videos/{video.pk + 1000}/progress/"),
        (f"/media/videos/{video.pk}/", f"/media/videos/{video.pk + 1000}/"),
        (f"/api/v1/jobs/{job.job_id}/progress/", "/api/v1/jobs/00000000-0000-0000-0000-000000000000/progress/"),
        (f"/api/v1/jobs/{job.job_id}/", "/api/v1/jobs/00000000-0000-0000-0000-000000000000/"),
        (f"/api/v1/jobs/{job.job_id}/progress/", "/api/v1/jobs/not-a-uuid/progress/"),
    ]:
        a, b = client.get(theirs), client.get(missing)
        assert a.status_code == b.status_code == 404
        assert a.content == b.content
        assert a["Content-Type"] == b["Content-Type"]


def test_miss_reads_db_once_then_rewarms(member, api, redis_client, django_assert_num_queries):
    tenant, _, token = member
    job = running_job(tenant)
    job_services.job_complete(job_id=str(job.job_id), attempt=1, result={"created": 1})
    redis_client.flushdb()  # the cache is lost
    client = api(token)
    with django_assert_num_queries(1):
        body = client.get(f"/api/v1/jobs/{job.job_id}/progress/").json()
    assert body["status"] == "DONE" and body["result"] == {"created": 1}
    with django_assert_num_queries(0):
        assert client.get(f"/api/v1/jobs/{job.job_id}/progress/").json() == body


def test_missing_task_is_remembered_briefly(member, api, redis_client, django_assert_num_queries):
    _, _, token = member
    client = api(token)
    with django_assert_num_queries(1):
        assert client.get("/media/videos/999999/progress/").status_code == 404
    with django_assert_num_queries(0):
        assert client.get("/media/videos/999999/progress/").status_code == 404
    assert 0 < redis_client.ttl("tenant:%d:video:{999999}:status" % member[0].pk) <= 30


def test_created_task_replaces_the_missing_marker(member, api, django_capture_on_commit_callbacks):
    tenant, _, token = member
    client = api(token)
    assert client.get(f"/media/videos/{Video.objects.count() + 10_000}/progress/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        video = video_services.video_create(tenant_id=tenant.pk, title="t", enqueue=False)
    assert client.get(f"/media/videos/{video.pk}/progress/").json()["status"] == "PENDING"


def test_detail_endpoints_read_the_db(member, api):
    tenant, _, token = member
    video, job = running_video(tenant), running_job(tenant)
    client = api(token)
    detail = client.get(f"/media/videos/{video.pk}/").json()
    assert {"id", "title", "status", "hls_path", "duration", "error_reason", "created_at", "updated_at"} <= set(detail)
    job_detail = client.get(f"/api/v1/jobs/{job.job_id}/").json()
    assert {"job_id", "job_type", "status", "result", "error_message", "created_at", "updated_at"} <= set(job_detail)
    assert job_detail["status"] == "PROCESSING"
