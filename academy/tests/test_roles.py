"""Inside one academy: students and parents read only their own tasks; staff read all of them."""
from __future__ import annotations

import pytest

from academy.jobs.models import Job, JobStatus
from academy.jobs.selectors import job_ref, job_state
from academy.progress.testing import publish
from academy.tenants.models import Role

pytestmark = pytest.mark.django_db


def ai_job(tenant, user, *, status=JobStatus.PROCESSING) -> Job:
    """A grading job started by `user`, as the workers leave it in the DB and in Redis."""
    job = Job.objects.create(tenant=tenant, job_type="short_answer_grading", payload={}, created_by_id=user.pk,
                             status=status, result={"students": [{"name": "김민준", "score": 7}]}
                             if status == JobStatus.DONE else None)
    publish(job_ref(job), job_state(job))
    return job


@pytest.fixture
def academy_members(make_member):
    tenant, owner, owner_token = make_member()
    _, teacher, teacher_token = make_member(tenant=tenant, role=Role.TEACHER)
    _, student, student_token = make_member(tenant=tenant, role=Role.STUDENT)
    _, parent, parent_token = make_member(tenant=tenant, role=Role.PARENT)
    return {"tenant": tenant, "teacher": (teacher, teacher_token), "student": (student, student_token),
            "parent": (parent, parent_token), "owner": (owner, owner_token)}


def active_ids(client) -> set[str]:
    response = client.get("/api/v1/tasks/active/")
    assert response.status_code == 200
    return {entry["id"] for entry in response.json()["results"]}


def test_a_student_gets_404_on_a_teachers_ai_job_and_sees_none_of_it(academy_members, api,
                                                                      django_assert_num_queries):
    tenant, (teacher, teacher_token) = academy_members["tenant"], academy_members["teacher"]
    running = ai_job(tenant, teacher)
    finished = ai_job(tenant, teacher, status=JobStatus.DONE)
    missing = "00000000-0000-4000-8000-000000000000"

    for who in ("student", "parent"):
        client = api(academy_members[who][1])
        for job in (running, finished):
            with django_assert_num_queries(0):  # the role check rides on the Redis hash, no SQL
                progress = client.get(f"/api/v1/jobs/{job.job_id}/progress/")
            detail = client.get(f"/api/v1/jobs/{job.job_id}/")
            nothing = client.get(f"/api/v1/jobs/{missing}/progress/")
            assert progress.status_code == detail.status_code == 404, who
            assert progress.content == nothing.content == detail.content, "exactly like a missing job"
            assert "김민준" not in progress.content.decode() + detail.content.decode()
        assert active_ids(client) == set(), who

    staff = api(teacher_token)
    with django_assert_num_queries(0):
        assert staff.get(f"/api/v1/jobs/{running.job_id}/progress/").status_code == 200
    assert staff.get(f"/api/v1/jobs/{finished.job_id}/").json()["result"]["students"][0]["name"] == "김민준"
    assert active_ids(staff) == {str(running.job_id)}
    assert active_ids(api(academy_members["owner"][1])) == {str(running.job_id)}


def test_a_student_reads_the_task_they_started(academy_members, api, django_assert_num_queries):
    tenant, (student, student_token) = academy_members["tenant"], academy_members["student"]
    own = ai_job(tenant, student)
    other_students = ai_job(tenant, academy_members["parent"][0])
    client = api(student_token)

    with django_assert_num_queries(0):
        assert client.get(f"/api/v1/jobs/{own.job_id}/progress/").status_code == 200
    assert client.get(f"/api/v1/jobs/{own.job_id}/").status_code == 200
    assert client.get(f"/api/v1/jobs/{other_students.job_id}/progress/").status_code == 404
    assert active_ids(client) == {str(own.job_id)}


def test_the_role_check_survives_a_lost_cache(academy_members, api, redis_client):
    """After a flush the progress is re-read from the DB, the owner included."""
    tenant, (teacher, _) = academy_members["tenant"], academy_members["teacher"]
    job = ai_job(tenant, teacher)
    redis_client.flushdb()

    assert api(academy_members["student"][1]).get(f"/api/v1/jobs/{job.job_id}/progress/").status_code == 404
    assert api(academy_members["teacher"][1]).get(f"/api/v1/jobs/{job.job_id}/progress/").status_code == 200
    assert api(academy_members["student"][1]).get(f"/api/v1/jobs/{job.job_id}/progress/").status_code == 404


def test_a_revoked_token_is_refused_on_the_progress_path_without_sql(academy_members, api, transactional_db,
                                                                     django_assert_num_queries):
    from academy.tenants.services import password_change

    tenant, (teacher, teacher_token) = academy_members["tenant"], academy_members["teacher"]
    job = ai_job(tenant, teacher)
    client = api(teacher_token)
    assert client.get(f"/api/v1/jobs/{job.job_id}/progress/").status_code == 200

    password_change(user_id=teacher.pk, tenant_id=tenant.pk, old_password="pw-123456",
                    new_password="a-new-secret-pass-9")

    with django_assert_num_queries(0):
        assert client.get(f"/api/v1/jobs/{job.job_id}/progress/").status_code == 401


def test_a_student_gets_404_on_a_teachers_video_too(academy_members, api, django_assert_num_queries):
    from academy.videos.models import Video
    from academy.videos.selectors import video_ref, video_state

    tenant, (teacher, teacher_token) = academy_members["tenant"], academy_members["teacher"]
    video = Video.objects.create(tenant=tenant, title="Lecture 1", created_by_id=teacher.pk)
    publish(video_ref(video), video_state(video))
    client = api(academy_members["student"][1])

    with django_assert_num_queries(0):
        progress = client.get(f"/media/videos/{video.pk}/progress/")
    assert progress.status_code == client.get(f"/media/videos/{video.pk}/").status_code == 404
    assert progress.content == client.get("/media/videos/999999999/progress/").content
    assert active_ids(client) == set()
    assert active_ids(api(teacher_token)) == {str(video.pk)}
