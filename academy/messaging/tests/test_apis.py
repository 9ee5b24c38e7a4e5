"""POST /api/v1/messages/: checked, saved and queued in the real broker; progress from Redis."""
from __future__ import annotations

import json

import pytest
from django.conf import settings

from academy.jobs.models import Job
from academy.jobs.tasks import job_run
from academy.messaging.models import Delivery, Message
from academy.progress.testing import redis_client as get_redis
from academy.tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_sending")]

URL = "/api/v1/messages/"


def queued_jobs() -> list[tuple[str, str]]:
    """Return (task name, args) of the messages waiting in the real Celery broker."""
    messages = [json.loads(raw) for raw in get_redis().lrange(settings.JOBS_QUEUE, 0, -1)]
    return [(m["headers"]["task"], m["headers"]["argsrepr"]) for m in messages]


@pytest.fixture
def owner(make_member, api):
    tenant, _, token = make_member()
    return tenant, api(token)


def test_a_message_is_queued_sent_and_reported_from_redis(owner, gateway, django_capture_on_commit_callbacks,
                                                          django_assert_num_queries):
    tenant, client = owner

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"recipients": ["010-1234-5678", "mom@example.com"], "subject": "안내",
                                     "body": "내일 휴강입니다."}, format="json")

    assert response.status_code == 202
    job_id = response.json()["job_id"]
    assert response.json() == {"job_id": job_id}
    # Committed, then queued in the real broker.
    assert queued_jobs() == [("academy.jobs.tasks.job_run", f"('{job_id}', 1)")]
    with django_assert_num_queries(0):
        pending = client.get(f"/api/v1/jobs/{job_id}/progress/").json()
    assert (pending["job_type"], pending["status"]) == ("message_send", "PENDING")

    assert job_run(job_id, 1) == "DONE"  # the Celery task itself, run in this process

    with django_assert_num_queries(0):
        done = client.get(f"/api/v1/jobs/{job_id}/progress/").json()
    assert done["status"] == "DONE" and done["progress"]["percent"] == 100
    assert done["result"] == {"sent": 2, "failed": [], "total": 2, "skipped_already_sent": 0}
    assert client.get(f"/api/v1/jobs/{job_id}/").json()["result"] == done["result"]


def test_parents_of_students_by_id(owner, gateway):
    from academy.students.models import Student

    tenant, client = owner
    kim = Student.objects.create(tenant=tenant, ps_number="1", name="김민준", parent_phone="01011112222")

    response = client.post(URL, {"student_ids": [kim.pk], "body": "상담 안내"}, format="json")

    assert response.status_code == 202
    job_id = response.json()["job_id"]
    assert job_run(job_id, 1) == "DONE"
    assert gateway.accepted == {"01011112222": 1}


def invalid(field: str, code: str, message: str, legacy=None) -> dict:
    """The body of a serializer's 400: DRF's shape, and the code of each field error."""
    return {field.split(".")[0]: legacy or [message], "detail": "Invalid input.", "code": "invalid",
            "params": {"fields": {field: [{"code": code, "message": message}]}}}


@pytest.mark.parametrize("payload, expected", [
    ({"recipients": ["01012345678"], "body": ""},
     {"detail": "The message body is empty.", "code": "body_empty", "params": {}}),
    ({"body": "hi"}, {"detail": "Give either recipients or student_ids (one of them, not both).",
                      "code": "recipients_either_or", "params": {}}),
    ({"recipients": ["01012345678"], "student_ids": [1], "body": "hi"},
     {"detail": "Give either recipients or student_ids (one of them, not both).",
      "code": "recipients_either_or", "params": {}}),
    ({"recipients": [], "body": "hi"}, {"detail": "recipients is empty: nobody to send to.",
                                        "code": "recipients_empty", "params": {"field": "recipients"}}),
    ({"recipients": ["01012345678", "02-123-4567"], "body": "hi"},
     {"detail": "1 of 2 recipients are invalid; nothing was sent.", "code": "recipients_invalid",
      "params": {"count": 1, "total": 2}, "invalid_count": 1,
      "invalid_recipients": [{"index": 1, "recipient": "02-123-4567",
                              "error": "phone '02-123-4567' is not a mobile number starting with 010",
                              "code": "phone_not_010", "params": {"value": "02-123-4567"}}]}),
    ({"student_ids": [999999], "body": "hi"},
     {"detail": "1 student ids are unknown (or deleted); nothing was sent.", "code": "students_unknown",
      "params": {"count": 1}, "unknown_student_ids": [999999]}),
    ({"recipients": "01012345678", "body": "hi"},
     invalid("recipients", "not_a_list", 'Expected a list of items but got type "str".')),
    ({"student_ids": ["kim"], "body": "hi"},
     invalid("student_ids.0", "invalid", "A valid integer is required.",
             legacy={"0": ["A valid integer is required."]})),
    ({"recipients": ["01012345678"]}, invalid("body", "required", "This field is required.")),
])
def test_bad_input_answers_400_with_the_reason_and_queues_nothing(owner, payload, expected,
                                                                  django_capture_on_commit_callbacks):
    _, client = owner

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(URL, payload, format="json")

    assert response.status_code == 400
    assert response.json() == expected
    assert callbacks == [] and queued_jobs() == []
    assert (Message.objects.count(), Delivery.objects.count(), Job.objects.count()) == (0, 0, 0)


def test_too_many_recipients(owner, settings):
    settings.MESSAGING_MAX_RECIPIENTS = 10_000
    _, client = owner
    response = client.post(URL, {"recipients": ["01012345678"] * 10_001, "body": "hi"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "recipients has 10001 entries; at most 10000 per message.",
                               "code": "recipients_too_many",
                               "params": {"field": "recipients", "count": 10_001, "limit": 10_000}}


@pytest.mark.parametrize("role", [Role.STUDENT, Role.PARENT])
def test_only_staff_may_send(make_member, api, role):
    _, _, token = make_member(role=role)
    response = api(token).post(URL, {"recipients": ["01012345678"], "body": "hi"}, format="json")
    assert response.status_code == 403
    assert Message.objects.count() == 0


def test_a_token_is_required(api):
    assert api().post(URL, {"recipients": ["01012345678"], "body": "hi"}, format="json").status_code == 401


def test_a_message_job_cannot_be_started_from_the_ai_endpoint(owner):
    _, client = owner
    response = client.post("/api/v1/ai/jobs/", {"job_type": "message_send", "payload": {"message_id": 1}},
                           format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "job_type 'message_send' cannot be started here.",
                               "code": "job_type_not_here", "params": {"job_type": "message_send"}}
