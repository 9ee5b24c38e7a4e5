"""Grading as a job: registered, checked before anything is queued, results served from Redis."""
from __future__ import annotations

import json

import pytest
from django.conf import settings

from academy.ai import grading
from academy.ai.payload import payload_validate
from academy.ai.tests.test_grading import ANSWER_KEY, CLASS, _synthetic_exam
from academy.jobs.handlers import handler_get
from academy.jobs.models import Job, JobStatus
from academy.jobs.tasks import job_run
from academy.progress.api import KIND_JOB, ProgressReporter, TaskRef
from academy.progress.testing import redis_client as get_redis
from academy.tenants.models import Role

URL = "/api/v1/ai/jobs/"


def queued_jobs() -> list[tuple[str, str]]:
    messages = [json.loads(raw) for raw in get_redis().lrange(settings.JOBS_QUEUE, 0, -1)]
    return [(m["headers"]["task"], m["headers"]["argsrepr"]) for m in messages]


def exam(count: int) -> tuple[list, list]:
    """Return the answer key and the first `count` submissions of the synthetic exam."""
    key, submissions, _ = _synthetic_exam(1501)  # it plants a copier at index 1500
    return key, submissions[:count]


@pytest.fixture
def client(make_member, api):
    return api(make_member()[2])


def test_grading_is_a_registered_ai_job():
    handler = handler_get("short_answer_grading")
    assert (handler.category, tuple(handler.steps)) == ("ai", grading.STEPS)
    assert handler.summarize is grading.summarize_result


@pytest.mark.django_db
@pytest.mark.parametrize("body, reason", [
    ({"job_type": "short_answer_grading", "payload": {"submissions": []}}, "payload is missing 'answer_key'"),
    ({"job_type": "short_answer_grading", "payload": {"answer_key": [], "submissions": []}}, "answer_key is empty"),
    ({"job_type": "short_answer_grading", "payload": {"answer_key": ANSWER_KEY, "submissions": [{"student": "a"}]}},
     "submissions[0].answers must be a list, got NoneType"),
    ({"job_type": "short_answer_grading", "payload": [1, 2]}, "payload must be an object, got list"),
    ({"job_type": "essay_scoring", "payload": {}}, "Unknown job_type 'essay_scoring'; known: "),
    ({"job_type": "excel_student_import", "payload": {}}, "job_type 'excel_student_import' cannot be started here."),
])
def test_unknown_job_type_or_bad_payload_answers_400_and_queues_nothing(client, body, reason,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith(reason)
    assert callbacks == [] and queued_jobs() == [] and Job.objects.count() == 0


@pytest.mark.django_db
def test_the_reason_of_a_deep_error_is_given(client):
    submissions = [{"student": "a", "answers": []}, {"student": "a", "answers": []}]
    response = client.post(URL, {"job_type": "short_answer_grading",
                                 "payload": {"answer_key": ANSWER_KEY, "submissions": submissions}}, format="json")
    assert response.json() == {"detail": "submissions[1].student 'a' already appears in submissions[0]",
                               "code": "payload_invalid", "params": {}}


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.STUDENT, Role.PARENT])
def test_only_staff_may_start_ai_jobs(make_member, api, role):
    response = api(make_member(role=role)[2]).post(
        URL, {"job_type": "short_answer_grading", "payload": {"answer_key": ANSWER_KEY, "submissions": CLASS}},
        format="json")
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_small_class_is_graded_and_the_whole_result_is_in_redis(client, django_capture_on_commit_callbacks,
                                                                   django_assert_num_queries):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"job_type": "short_answer_grading",
                                     "payload": {"answer_key": ANSWER_KEY, "submissions": CLASS}}, format="json")

    assert response.status_code == 202
    job_id = response.json()["job_id"]
    assert queued_jobs() == [("academy.jobs.tasks.job_run", f"('{job_id}', 1)")]
    job = Job.objects.get(pk=job_id)
    # The payload is stored cleaned: defaults filled in, valid input again.
    assert job.payload == payload_validate({"answer_key": ANSWER_KEY, "submissions": CLASS})

    assert job_run(job_id, 1) == "DONE"

    with django_assert_num_queries(0):
        body = client.get(f"/api/v1/jobs/{job_id}/progress/").json()
    assert body["status"] == "DONE"
    assert body["result"] == Job.objects.get(pk=job_id).result  # small enough: all of it
    assert body["result"]["summary"]["submissions"] == 5


@pytest.mark.django_db
def test_a_large_result_stays_in_the_db_and_redis_holds_a_summary(client, django_assert_num_queries):
    key, submissions = exam(300)
    response = client.post(URL, {"job_type": "short_answer_grading",
                                 "payload": {"answer_key": key, "submissions": submissions}}, format="json")
    job_id = response.json()["job_id"]

    assert job_run(job_id, 1) == "DONE"

    job = Job.objects.get(pk=job_id)
    assert len(job.result["students"]) == 300
    with django_assert_num_queries(0):
        cached = client.get(f"/api/v1/jobs/{job_id}/progress/").json()["result"]
    assert cached["truncated"] is True and cached["size_bytes"] > 8192
    assert cached["detail_url"] == f"/api/v1/jobs/{job_id}/"
    assert cached["summary"] == grading.summarize_result(job.result)
    assert client.get(f"/api/v1/jobs/{job_id}/").json()["result"] == job.result


@pytest.mark.django_db
def test_progress_moves_through_the_grading_steps(make_member):
    from academy.ai.handlers import grading_run

    tenant = make_member()[0]
    key, submissions = exam(200)
    job = Job.objects.create(tenant=tenant, job_type="short_answer_grading", status=JobStatus.PROCESSING,
                             payload=payload_validate({"answer_key": key, "submissions": submissions}))
    written = []
    reporter = ProgressReporter(TaskRef(tenant.pk, KIND_JOB, str(job.job_id)), attempt=1, steps=grading.STEPS,
                                min_interval=0, write=lambda ref, state: written.append(state))

    grading_run(job, reporter)

    names = [state.step["name"] for state in written]
    assert list(dict.fromkeys(names)) == ["normalising", "scoring", "checking similarity"]
    percents = [int(state.progress["percent"]) for state in written]
    assert percents == sorted(percents) and percents[-1] == 100
