"""Sending a message as a job: real PostgreSQL, Redis, and a real HTTP gateway or file outbox."""
from __future__ import annotations

import json
import time

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from academy.jobs import services as jobs
from academy.jobs.models import Job, JobStatus
from academy.jobs.selectors import job_ref
from academy.jobs.tasks import job_run
from academy.messaging.models import Delivery, Message
from academy.messaging.services import MessageInvalid, message_send_run, message_send_start
from academy.messaging.tests.conftest import phones
from academy.progress import testing as store
from academy.progress.api import ProgressReporter

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_sending")]


@pytest.fixture
def tenant(make_member):
    return make_member()[0]


def start(tenant, **kwargs):
    kwargs.setdefault("body", "내일 수업은 휴강입니다.")
    return message_send_start(tenant_id=tenant.pk, **kwargs)


def deliveries(job: Job) -> dict[str, tuple[str, str]]:
    rows = Delivery.objects.filter(message_id=job.payload["message_id"])
    return {d.address: (d.status, d.error) for d in rows}


def redis_state(job: Job):
    return store.state_read(job_ref(job))


# --- checking the input: 400 reasons, and nothing saved ------------------------------------

@pytest.mark.parametrize("kwargs, reason", [
    ({"body": "", "recipients": ["01012345678"]}, "body is empty"),
    ({"body": "  \n ", "recipients": ["01012345678"]}, "body is empty"),
    ({"body": "x" * 2001, "recipients": ["01012345678"]}, "2001 characters; at most 2000"),
    ({"subject": "s" * 201, "recipients": ["01012345678"]}, "subject has 201 characters"),
    ({}, "either recipients or student_ids"),
    ({"recipients": ["01012345678"], "student_ids": [1]}, "either recipients or student_ids"),
    ({"recipients": []}, "recipients is empty"),
    ({"student_ids": []}, "student_ids is empty"),
])
def test_bad_input_is_refused_before_anything_is_saved(tenant, kwargs, reason):
    with pytest.raises(MessageInvalid, match=reason):
        start(tenant, **kwargs)
    assert (Message.objects.count(), Delivery.objects.count(), Job.objects.count()) == (0, 0, 0)


def test_every_invalid_recipient_is_listed_with_its_reason(tenant):
    with pytest.raises(MessageInvalid) as info:
        start(tenant, recipients=["010-1234-5678", "011-123-4567", "parent@", 1012345678, "mom@example.com"])

    assert info.value.body() == {
        "detail": "3 of 5 recipients are invalid; nothing was sent.",
        "code": "recipients_invalid",
        "params": {"count": 3, "total": 5},
        "invalid_count": 3,
        "invalid_recipients": [
            {"index": 1, "recipient": "011-123-4567",
             "error": "phone '011-123-4567' uses the retired 011 prefix; use the 010 number",
             "code": "phone_retired_prefix", "params": {"value": "011-123-4567", "prefix": "011"}},
            {"index": 2, "recipient": "parent@", "error": "not a valid e-mail address: 'parent@'",
             "code": "email_invalid", "params": {"value": "parent@"}},
            {"index": 3, "recipient": "1012345678", "error": "recipient must be a string, got int",
             "code": "recipient_not_text", "params": {"type": "int"}},
        ],
    }
    assert Message.objects.count() == 0


def test_recipient_limit(tenant, settings):
    settings.MESSAGING_MAX_RECIPIENTS = 3
    with pytest.raises(MessageInvalid, match="recipients has 4 entries; at most 3 per message"):
        start(tenant, recipients=phones(4))
    assert Message.objects.count() == 0


def test_one_delivery_per_address_saved_in_bulk(tenant):
    with CaptureQueriesContext(connection) as queries:
        job = start(tenant, subject="안내", recipients=["010-1234-5678", "+82 10 1234 5678", "Mom@Example.com",
                                                       "mom@example.com", *phones(300, 1)])

    # Three statements for 302 recipients: the message, all deliveries in one INSERT, the job.
    writes = [q["sql"].split(" (")[0] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert writes == ['INSERT INTO "messaging_message"', 'INSERT INTO "messaging_delivery"', 'INSERT INTO "jobs_job"']

    message = Message.objects.get(pk=job.payload["message_id"])
    assert (message.tenant_id, message.subject, message.body) == (tenant.pk, "안내", "내일 수업은 휴강입니다.")
    rows = list(Delivery.objects.filter(message=message).order_by("pk").values_list("kind", "address", "status"))
    assert rows[:2] == [("sms", "01012345678", "PENDING"), ("email", "Mom@example.com", "PENDING")]
    assert len(rows) == 302  # the same phone twice, the same e-mail twice: one delivery each
    assert (job.job_type, job.status, job.payload) == ("message_send", JobStatus.PENDING, {"message_id": message.pk})


# --- the parents of students ------------------------------------------------------------------

def make_students(tenant, rows):
    from academy.students.models import Student

    return [Student.objects.create(tenant=tenant, ps_number=f"P{tenant.pk}-{i}", name=name, parent_phone=phone)
            for i, (name, phone) in enumerate(rows)]


def test_parents_of_students_get_it_once_per_parent(tenant, make_member):
    kim, kim_sister, lee, gone = make_students(tenant, [
        ("김민준", "01011112222"), ("김서연", "01011112222"), ("이하은", "01033334444"), ("박지호", "01055556666")])
    gone.deleted_at = gone.created_at
    gone.save()
    other_tenant = make_member()[0]
    [stranger] = make_students(other_tenant, [("최수아", "01077778888")])

    job = start(tenant, student_ids=[kim.pk, kim_sister.pk, lee.pk])
    assert deliveries(job) == {"01011112222": ("PENDING", ""), "01033334444": ("PENDING", "")}

    # Deleted students and another academy's students are unknown alike.
    with pytest.raises(MessageInvalid) as info:
        start(tenant, student_ids=[kim.pk, gone.pk, stranger.pk])
    assert info.value.body()["unknown_student_ids"] == [gone.pk, stranger.pk]
    assert Message.objects.count() == 1


# --- sending ------------------------------------------------------------------------------------

def test_500_recipients_three_refused_then_a_rerun_sends_nothing_twice(tenant, gateway, capsys):
    numbers = [n.replace("-", "") for n in phones(500)]
    gateway.refuse = {numbers[7], numbers[250], numbers[499]}
    job = start(tenant, recipients=phones(500))

    assert job_run(str(job.job_id), 1) == "DONE"

    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    result = job.result
    assert (result["sent"], result["total"], result["skipped_already_sent"]) == (497, 500, 0)
    assert sorted(result["failed"], key=lambda f: f["recipient"]) == [
        {"recipient": n, "error": f"gateway rejected (400): number {n} is not reachable"}
        for n in sorted(gateway.refuse)]
    rows = deliveries(job)
    assert sum(status == "SENT" for status, _ in rows.values()) == 497
    assert {n for n, (status, _) in rows.items() if status == "FAILED"} == gateway.refuse
    assert all(Delivery.objects.filter(status="SENT").values_list("provider_message_id", flat=True))
    # Each delivery's id went to the gateway as its idempotency key.
    assert sorted(map(int, gateway.keys)) == sorted(
        Delivery.objects.filter(status="SENT").values_list("pk", flat=True))
    # Redis holds the outcome, result included: nobody needs the DB to show it.
    state = redis_state(job)
    assert state.status == "DONE" and json.loads(state.fields["result"]) == result

    # A second run of the same message (a redelivered or retried job): only the three
    # failed deliveries are tried again; the 497 already sent are not.
    again = message_send_run(tenant_id=tenant.pk, message_id=job.payload["message_id"])

    assert (again["sent"], again["skipped_already_sent"], again["total"]) == (0, 497, 500)
    assert len(again["failed"]) == 3
    assert max(gateway.accepted.values()) == 1  # nobody got the message twice
    assert {n: c for n, c in gateway.requests.items() if c > 1} == {n: 2 for n in gateway.refuse}


def count_send_statements(tenant, recipients: int) -> tuple[int, list[str]]:
    job = start(tenant, recipients=phones(recipients))
    with CaptureQueriesContext(connection) as queries:
        assert job_run(str(job.job_id), 1) == "DONE"
    assert Job.objects.get(pk=job.pk).result["sent"] == recipients
    # Savepoints are the test's transaction showing through; in production they are BEGIN/COMMIT.
    sql = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    return len(sql), sql


def test_statements_grow_with_batches_not_recipients(tenant, settings, capsys):
    """Sending through the file outbox, 100 per batch: one SELECT and one UPDATE per batch."""
    assert settings.MESSAGING_BATCH_SIZE == 100
    count_500, sql_500 = count_send_statements(tenant, 500)
    count_1000, sql_1000 = count_send_statements(tenant, 1000)

    per_batch = (count_1000 - count_500) / (10 - 5)
    fixed = count_500 - 5 * per_batch
    with capsys.disabled():
        print(f"\nmessage_send job SQL statements: 500 recipients {count_500}, 1000 recipients {count_1000} "
              f"({per_batch:g} per batch of 100, {fixed:g} fixed)")
    assert per_batch == 2  # the batch's SELECT and the UPDATE of its sent deliveries
    # PROCESSING and DONE (a locking SELECT and an UPDATE each), the message, the counts,
    # and the SELECT that finds no more deliveries.
    assert fixed == 7
    updates = [sql for sql in sql_1000 if sql.startswith('UPDATE "messaging_delivery"')]
    assert len(updates) == 10 and all('CASE "id" WHEN' in sql for sql in updates)
    assert not any(sql.startswith("INSERT") for sql in sql_1000)


def test_failures_cost_one_more_update_per_batch(tenant, gateway):
    numbers = [n.replace("-", "") for n in phones(300)]
    gateway.refuse = set(numbers[::7])  # failures in every batch
    job = start(tenant, recipients=phones(300))

    with CaptureQueriesContext(connection) as queries:
        assert job_run(str(job.job_id), 1) == "DONE"

    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "messaging_delivery"')]
    assert len(updates) == 6  # per batch: one for the sent, one for the failed
    assert len(Job.objects.get(pk=job.pk).result["failed"]) == len(gateway.refuse)


def test_a_provider_outage_fails_the_job_and_a_retry_continues(tenant, gateway, api, make_member):
    gateway.down_after = 130  # the gateway answers 503 after 130 messages
    job = start(tenant, recipients=phones(250))

    assert job_run(str(job.job_id), 1) == "FAILED"

    job.refresh_from_db()
    assert job.error_message == (
        "Sending stopped: SMS gateway answered 503: maintenance. 130 of 250 recipients have the "
        "message. Retry the job to send to the rest: nobody gets it twice.")
    assert (job.error_code, job.error_params) == ("sending_stopped", {
        "reason": "SMS gateway answered 503: maintenance", "sent": 130, "total": 250, "wait_seconds": None})
    statuses = [status for status, _ in deliveries(job).values()]
    assert (statuses.count("SENT"), statuses.count("PENDING")) == (130, 120)
    assert redis_state(job).fields["error_message"] == job.error_message

    gateway.down_after = None
    retried = jobs.job_retry(tenant_id=tenant.pk, job_id=job.job_id)
    assert job_run(str(job.job_id), retried.attempt) == "DONE"

    job.refresh_from_db()
    assert job.result == {"sent": 120, "failed": [], "total": 250, "skipped_already_sent": 130}
    assert sum(gateway.accepted.values()) == 250 and max(gateway.accepted.values()) == 1
    assert set(deliveries(job).values()) == {("SENT", "")}


def test_email_recipients_go_through_django_mail(tenant, gateway):
    job = start(tenant, subject="학부모 안내", recipients=["mom@example.com", "010-1234-5678", "dad@example.com"])

    assert job_run(str(job.job_id), 1) == "DONE"

    assert sorted(m.to[0] for m in mail.outbox) == ["dad@example.com", "mom@example.com"]
    assert {m.subject for m in mail.outbox} == {"학부모 안내"}
    assert gateway.accepted == {"01012345678": 1}
    assert Job.objects.get(pk=job.pk).result["sent"] == 3


def test_the_outbox_is_the_default_provider(tenant, settings, tmp_path):
    job = start(tenant, recipients=["010-1234-5678"])

    assert job_run(str(job.job_id), 1) == "DONE"

    [outbox] = (tmp_path / "outbox").glob("outbox-*.jsonl")
    [line] = [json.loads(raw) for raw in outbox.read_text(encoding="utf-8").splitlines()]
    delivery = Delivery.objects.get(message_id=job.payload["message_id"])
    assert (line["to"], line["body"], line["idempotency_key"]) == ("01012345678", "내일 수업은 휴강입니다.",
                                                                   str(delivery.pk))
    assert delivery.provider_message_id == line["id"] and delivery.sent_at is not None


def test_sending_keeps_to_the_tenants_rate(tenant, settings):
    settings.MESSAGING_RATE_PER_SECOND = 50
    settings.MESSAGING_RATE_BURST = 5
    job = start(tenant, recipients=phones(30))

    started = time.monotonic()
    assert job_run(str(job.job_id), 1) == "DONE"
    elapsed = time.monotonic() - started

    # 5 at once, then 25 more at 50 per second: the worker slept for its tokens.
    # Only the lower bound is behaviour; an upper one would time the machine, not the code.
    assert elapsed >= 25 / 50 * 0.95


def test_a_large_report_stays_in_the_db_and_redis_keeps_a_summary(tenant, gateway):
    numbers = [n.replace("-", "") for n in phones(400)]
    gateway.refuse = set(numbers[:300])
    job = start(tenant, recipients=phones(400))

    assert job_run(str(job.job_id), 1) == "DONE"

    job.refresh_from_db()
    assert len(job.result["failed"]) == 300
    cached = json.loads(redis_state(job).fields["result"])
    assert cached["truncated"] is True and cached["size_bytes"] > 8192
    summary = cached["summary"]
    assert (summary["sent"], summary["total"], summary["failed_count"]) == (100, 400, 300)
    assert summary["failed"] == job.result["failed"][:100]


def test_a_message_of_another_tenant_is_never_sent(tenant, make_member):
    job = start(tenant, recipients=["010-1234-5678"])
    other = make_member()[0]

    from academy.jobs.handlers import JobFailed

    with pytest.raises(JobFailed, match="no longer exists"):
        message_send_run(tenant_id=other.pk, message_id=job.payload["message_id"])


def test_progress_counts_recipients_processed(tenant):
    from academy.messaging.services import MESSAGE_STEPS

    job = start(tenant, recipients=phones(250))
    written = []
    reporter = ProgressReporter(job_ref(job), attempt=1, steps=MESSAGE_STEPS,
                                min_interval=0, write=lambda ref, state: written.append(state))

    message_send_run(tenant_id=tenant.pk, message_id=job.payload["message_id"], reporter=reporter)

    assert {state.step["name"] for state in written} == {"sending messages"}
    percents = [int(state.progress["percent"]) for state in written]
    assert len(written) == 251  # the step, then one report per recipient (coalesced in a job)
    assert percents == sorted(percents) and (percents[0], percents[125], percents[-1]) == (0, 50, 100)
