"""Reconcile from the DB's truth (real PostgreSQL, Redis and broker queue), and the Redis breaker."""
from __future__ import annotations

import os
import signal
import time

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from academy.jobs.models import Job
from academy.progress import api as progress
from academy.progress import testing
from academy.progress.breaker import breaker
from academy.progress.reconcile import STUCK_REASON, progress_reconcile
from academy.progress.tests.test_failures import private_redis  # noqa: F401 (fixture)


def job(tenant, **fields) -> Job:
    row = progress.task_create(kind=progress.KIND_JOB, tenant_id=tenant.pk, enqueue=False,
                               job_type="excel_student_import", payload={})
    if fields:
        Job.objects.filter(pk=row.pk).update(**fields)
        row.refresh_from_db()
    return row


def age(row, seconds: float) -> None:
    """Pretend the row was last written `seconds` ago."""
    from django.utils import timezone
    from datetime import timedelta

    Job.objects.filter(pk=row.pk).update(updated_at=timezone.now() - timedelta(seconds=seconds))


@pytest.fixture
def broker(redis_client):
    """The broker's own Redis, its queues emptied: the progress Redis may be a cluster, the broker not."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, decode_responses=True)
    client.delete(settings.JOBS_QUEUE, settings.VIDEO_QUEUE)
    yield client
    client.delete(settings.JOBS_QUEUE, settings.VIDEO_QUEUE)
    client.close()


def queued(client) -> list[str]:
    import json

    return [json.loads(m)["headers"]["argsrepr"] for m in client.lrange(settings.JOBS_QUEUE, 0, -1)]


@pytest.mark.django_db(transaction=True)
def test_a_pending_task_whose_message_was_lost_is_queued_again_once(make_member, redis_client, broker, settings):
    settings.PROGRESS_PENDING_GRACE = 60
    tenant = make_member()[0]
    lost, waiting, fresh = job(tenant), job(tenant), job(tenant)
    for row in (lost, waiting, fresh):
        age(row, 120) if row is not fresh else None
    waiting_run = (str(waiting.pk), 1)  # its message is still in the broker

    report = progress_reconcile(queued_runs={waiting_run})
    assert report.requeued_lost == 1
    lost.refresh_from_db()
    assert (lost.status, lost.attempt) == ("PENDING", 2)
    assert queued(broker) == [repr((str(lost.pk), 2))]
    # Idempotent: the new attempt is queued and recent; a second run changes nothing.
    report = progress_reconcile(queued_runs={waiting_run, (str(lost.pk), 2)})
    assert report.requeued_lost == 0 and len(queued(broker)) == 1
    assert Job.objects.get(pk=waiting.pk).attempt == 1 and Job.objects.get(pk=fresh.pk).attempt == 1


@pytest.mark.django_db(transaction=True)
def test_the_broker_is_read_for_real(make_member, redis_client, broker, settings):
    """Without a given set, reconcile lists the real broker: a queued message counts as a run."""
    settings.PROGRESS_PENDING_GRACE = 0
    tenant = make_member()[0]
    row = progress.task_create(kind=progress.KIND_JOB, tenant_id=tenant.pk, job_type="excel_student_import",
                               payload={})
    assert queued(broker) == [repr((str(row.pk), 1))]
    time.sleep(0.01)
    assert progress_reconcile().requeued_lost == 0
    broker.delete(settings.JOBS_QUEUE)  # the message is lost
    assert progress_reconcile().requeued_lost == 1
    assert queued(broker) == [repr((str(row.pk), 2))]


@pytest.mark.django_db(transaction=True)
def test_a_processing_task_without_heartbeat_is_requeued_then_failed(make_member, redis_client, broker, settings):
    settings.PROGRESS_HEARTBEAT_TIMEOUT = 60
    settings.PROGRESS_STUCK_MAX_ATTEMPTS = 2
    tenant = make_member()[0]
    alive, dead, rewarmed = job(tenant), job(tenant), job(tenant)
    for row in (alive, dead, rewarmed):
        progress.task_mark_processing(kind=progress.KIND_JOB, task_id=row.pk, attempt=1)
        age(row, 600)  # the DB row is old; only the heartbeat in Redis tells who is alive
    # dead: its heartbeat stopped 10 minutes ago; rewarmed: Redis lost it (flush, re-warm) and
    # nothing has written since, so the row's last update counts: 10 minutes too.
    redis_client.hset(testing.task_keys(progress.TaskRef(tenant.pk, "job", str(dead.pk)))[0], "hb",
                      int(time.time()) - 600)
    redis_client.delete(*testing.task_keys(progress.TaskRef(tenant.pk, "job", str(rewarmed.pk))))

    report = progress_reconcile(queued_runs=set())
    assert report.requeued_stuck == 2
    assert [Job.objects.get(pk=r.pk).attempt for r in (alive, dead, rewarmed)] == [1, 2, 2]
    assert sorted(queued(broker)) == sorted([repr((str(dead.pk), 2)), repr((str(rewarmed.pk), 2))])

    # The second attempt dies too: at PROGRESS_STUCK_MAX_ATTEMPTS it is failed with a reason.
    progress.task_mark_processing(kind=progress.KIND_JOB, task_id=dead.pk, attempt=2)
    age(dead, 600)
    redis_client.hset(testing.task_keys(progress.TaskRef(tenant.pk, "job", str(dead.pk)))[0], "hb",
                      int(time.time()) - 600)
    report = progress_reconcile(queued_runs={(str(rewarmed.pk), 2)})
    dead.refresh_from_db()
    assert report.failed_stuck == 1 and (dead.status, dead.error_message) == ("FAILED", STUCK_REASON)
    assert testing.state_read(progress.TaskRef(tenant.pk, "job", str(dead.pk))).status == "FAILED"


@pytest.mark.django_db(transaction=True)
def test_retry_accepts_a_task_stuck_past_the_timeout(make_member, redis_client, settings):
    settings.PROGRESS_HEARTBEAT_TIMEOUT = 60
    tenant = make_member()[0]
    row = job(tenant)
    progress.task_mark_processing(kind=progress.KIND_JOB, task_id=row.pk, attempt=1)
    assert progress.task_retry(kind=progress.KIND_JOB, tenant_id=tenant.pk, task_id=row.pk) is None  # alive
    redis_client.flushdb()  # the heartbeat is lost with Redis; the row's age decides
    age(row, 120)
    retried = progress.task_retry(kind=progress.KIND_JOB, tenant_id=tenant.pk, task_id=row.pk)
    assert retried is not None and (retried.status, retried.attempt) == ("PENDING", 2)


@pytest.mark.django_db(transaction=True)
def test_redis_restored_from_an_old_snapshot_is_repaired_from_finished_rows(make_member, redis_client):
    tenant = make_member()[0]
    row = job(tenant)
    ref = progress.TaskRef(tenant.pk, "job", str(row.pk))
    progress.task_mark_processing(kind=progress.KIND_JOB, task_id=row.pk, attempt=1)
    snapshot = {key: redis_client.dump(key) for key in
                [*testing.task_keys(ref), f"tenant:{tenant.pk}:active"] if redis_client.exists(key)}
    progress.task_finish(kind=progress.KIND_JOB, task_id=row.pk, attempt=1, result={"created": 1})
    redis_client.flushdb()
    for key, value in snapshot.items():  # Redis comes back from the older snapshot
        redis_client.restore(key, 0, value)
    assert testing.state_read(ref).status == "PROCESSING"

    with CaptureQueriesContext(connection) as queries:
        report = progress_reconcile(queued_runs=set())
    assert report.repaired_finished == 1
    assert testing.state_read(ref).status == "DONE"
    assert [m for m, _ in testing.active_list(tenant.pk)] == []
    # Unfinished rows of each kind (2), the tenant ids (1), the listed rows of the job kind (1).
    assert len(queries) == 4, [q["sql"] for q in queries]
    with CaptureQueriesContext(connection) as queries:
        assert progress_reconcile(queued_runs=set()).repaired_finished == 0
    assert len(queries) == 3  # a clean run


@pytest.mark.django_db(transaction=True)
def test_a_frozen_redis_opens_the_breaker_and_polls_come_from_the_db(private_redis, make_member, api, settings):
    settings.REDIS_SOCKET_TIMEOUT = 0.3
    testing.reset_redis()
    tenant, _, token = make_member()
    row = job(tenant)
    client = api(token)
    path = f"/api/v1/jobs/{row.pk}/progress/"
    assert client.get(path).json()["status"] == "PENDING"

    os.kill(private_redis.proc.pid, signal.SIGSTOP)
    try:
        for _ in range(settings.PROGRESS_BREAKER_FAILURES):
            assert client.get(path).json()["status"] == "PENDING"  # each waited a timeout, then the DB
        assert breaker.is_open
        # Open: Redis is not asked at all; a poll is one DB read (single flight, then cached briefly).
        with CaptureQueriesContext(connection) as queries:
            answers = [client.get(path).json()["status"] for _ in range(20)]
        assert answers == ["PENDING"] * 20
        assert len([q for q in queries if "jobs_job" in q["sql"]]) <= 1
        # No poll reached the frozen Redis: another timeout would have counted as a failure.
        assert breaker.failures == settings.PROGRESS_BREAKER_FAILURES
    finally:
        os.kill(private_redis.proc.pid, signal.SIGCONT)
    # After the open period one probe finds Redis back and closes the breaker.
    breaker.open_until = 0
    assert client.get(path).json()["status"] == "PENDING"
    assert not breaker.is_open
