"""The job history: filters, titles people read, who/when/how long, live progress, one statement a page."""
from datetime import timedelta

import pytest
from django.utils import timezone

from academy.jobs import services
from academy.jobs.models import Job, JobStatus
from academy.jobs.selectors import job_ref, job_state
from academy.progress.api import ProgressReporter
from academy.progress.testing import publish
from academy.tenants.models import Role

pytestmark = pytest.mark.django_db

JOBS = "/api/v1/jobs/"


@pytest.fixture
def history(owner, make_member):
    """220 finished jobs of three types, and 3 running imports with progress in Redis."""
    tenant, user, _ = owner
    now = timezone.now()
    types = ["short_answer_grading", "message_send", "excel_student_import"]
    Job.objects.bulk_create([
        Job(tenant=tenant, job_type=types[n % 3], status=JobStatus.DONE if n % 4 else JobStatus.FAILED,
            created_by_id=user.pk, title=f"job {n}", started_at=now, finished_at=now + timedelta(seconds=n))
        for n in range(220)
    ])
    running = []
    for n in range(3):
        job = Job.objects.create(tenant=tenant, job_type="excel_student_import", created_by_id=user.pk,
                                 title=f"Student import: class-{n}.xlsx")
        publish(job_ref(job), job_state(job))
        services.job_mark_processing(job_id=str(job.job_id), attempt=1)
        reporter = ProgressReporter(job_ref(job), attempt=1, min_interval=0, fields={"job_type": job.job_type},
                                    steps=[("parsing", 1), ("creating students", 1)])
        reporter.step(1)
        reporter.update(0.5)
        running.append(job)
    Job.objects.create(tenant=make_member()[0], job_type="message_send", title="theirs")
    return running


@pytest.mark.parametrize("page_size", [10, 100])
def test_one_statement_per_page_whatever_its_size(history, owner, api, page_size, django_assert_num_queries):
    client = api(owner[2])
    with django_assert_num_queries(1):
        body = client.get(f"{JOBS}?page_size={page_size}").json()
    assert len(body["results"]) == page_size
    with django_assert_num_queries(1):
        assert len(client.get(body["next"]).json()["results"]) == page_size


def test_newest_first_with_who_when_how_long_and_live_progress(pages, history, owner, api):
    tenant, user, token = owner
    listed = pages(api(token), f"{JOBS}?page_size=100")

    assert len(listed) == 223  # not the other academy's
    assert [j["created_at"] for j in listed] == sorted((j["created_at"] for j in listed), reverse=True)
    running = {j["job_id"]: j for j in listed if j["status"] == "PROCESSING"}
    assert set(running) == {str(job.job_id) for job in history}
    for job in running.values():
        assert job["title"].startswith("Student import: class-")
        assert job["live"]["progress"]["step_name_display"] == "creating students"
        assert job["live"]["progress"]["step_index"] == 2 and job["duration_seconds"] is None
    done = next(j for j in listed if j["title"] == "job 7")
    assert done["created_by"] == {"id": user.pk, "username": user.username}
    assert done["duration_seconds"] == 7.0 and done["live"] is None
    assert "payload" not in done and "result" not in done


def test_filters_by_type_and_status(pages, history, owner, api):
    client = api(owner[2])
    grading = pages(client, f"{JOBS}?job_type=short_answer_grading&page_size=100")
    assert len(grading) == 74 and {j["job_type"] for j in grading} == {"short_answer_grading"}
    failed = pages(client, f"{JOBS}?status=FAILED&page_size=100")
    assert len(failed) == 55 and {j["status"] for j in failed} == {"FAILED"}
    response = client.get(f"{JOBS}?status=LOST")
    assert response.status_code == 400 and response.json()["params"]["fields"]["status"][0]["code"] == "invalid_choice"


@pytest.mark.parametrize("role", [Role.STUDENT, Role.PARENT])
def test_students_and_parents_see_no_history(history, owner, make_member, api, role):
    _, _, token = make_member(tenant=owner[0], role=role)
    response = api(token).get(JOBS)
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_every_job_gets_a_title_for_people(pages, owner, api, django_capture_on_commit_callbacks):
    client = api(owner[2])
    response = client.post("/api/v1/ai/jobs/", {"job_type": "short_answer_grading", "payload": {
        "answer_key": [{"question": "1+1", "answer": "2"}, {"question": "2+2", "answer": "4"}],
        "submissions": [{"student": "kim", "answers": ["2", "4"]}]}}, format="json")
    assert response.status_code == 202
    response = client.post("/api/v1/messages/", {"recipients": ["01012345678", "mom@example.com"],
                                                 "subject": "", "body": "내일 휴원합니다\n자세한 내용은…"},
                           format="json")
    assert response.status_code == 202

    titles = {j["job_type"]: (j["title"], j["title_params"]) for j in pages(client, JOBS)}

    assert titles["short_answer_grading"] == ("Short-answer grading: 1 submissions x 2 questions",
                                              {"submissions": 1, "questions": 2})
    assert titles["message_send"] == ("Message: 내일 휴원합니다 (2 recipients)",
                                      {"text": "내일 휴원합니다", "recipients": 2})


def test_cancel_ends_a_running_job_cancelled_once(history, owner, make_member, api,
                                                  django_capture_on_commit_callbacks):
    client = api(owner[2])
    job = history[0]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{JOBS}{job.job_id}/cancel/")

    assert response.status_code == 202 and response.json() == {"job_id": str(job.job_id), "status": "CANCELLED"}
    assert client.get(f"{JOBS}{job.job_id}/progress/").json()["status"] == "CANCELLED"
    again = client.post(f"{JOBS}{job.job_id}/cancel/")
    assert again.status_code == 409 and again.json()["code"] == "cancel_not_allowed"
    assert again.json()["params"] == {"status": "CANCELLED"}
    stranger = make_member()[2]
    assert api(stranger).post(f"{JOBS}{history[1].job_id}/cancel/").status_code == 404
    student = make_member(tenant=owner[0], role=Role.STUDENT)[2]
    assert api(student).post(f"{JOBS}{history[1].job_id}/cancel/").status_code == 403
    assert Job.objects.get(pk=history[1].pk).status == JobStatus.PROCESSING
