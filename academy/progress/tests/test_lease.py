"""The attempt lease on a real Redis (and on the cluster in make test-scale)."""
import socket
import time

import pytest
from celery.exceptions import Retry

from academy.jobs.tasks import job_run
from academy.progress import lease as lease_module
from academy.progress.client import reset_redis
from academy.progress.keys import lease_key
from academy.progress.lease import AttemptLease, attempt_lease
from academy.progress.types import TaskRef

REF = TaskRef(7, "video", "12")


def test_the_key_is_pinned():
    assert lease_key(REF) == "tenant:7:video:{12}:lease"


def test_one_holder_at_a_time(redis_client):
    first = AttemptLease(REF, 1)
    assert first.acquire()
    second = AttemptLease(REF, 1)
    assert not second.acquire(), "a second delivery finds the lease held"
    second.release()  # releasing a refused lease must not free the holder's
    assert redis_client.get(lease_key(REF)) == first.token
    first.release()
    assert redis_client.get(lease_key(REF)) is None
    with attempt_lease(REF, 1) as held:
        assert held


def test_a_live_holder_keeps_its_lease_past_the_ttl(redis_client):
    holder = AttemptLease(REF, 1, ttl=0.3)
    assert holder.acquire()
    deadline = time.monotonic() + 1.0  # over three periods: only the renewals keep it
    while time.monotonic() < deadline:
        assert not AttemptLease(REF, 1, ttl=0.3).acquire()
        time.sleep(0.05)
    holder.release()
    assert AttemptLease(REF, 1, ttl=0.3).acquire()


def test_a_dead_holders_lease_lapses(redis_client):
    # A worker killed mid-task renews nothing: its lease ends one period later.
    redis_client.set(lease_key(REF), "1:dead-worker", px=300)
    assert not AttemptLease(REF, 1).acquire()
    deadline = time.monotonic() + 2
    while redis_client.exists(lease_key(REF)) and time.monotonic() < deadline:
        time.sleep(0.05)
    taker = AttemptLease(REF, 1)
    assert taker.acquire(), "the redelivered attempt runs once the dead holder's lease lapsed"
    taker.release()


def test_a_newer_attempt_takes_over_a_dead_workers_lease(redis_client):
    # Reconcile re-queued the task as attempt 2 after attempt 1's worker died: attempt 2 must
    # not wait out the dead worker's lease (it would sit unreported and be called stuck again).
    redis_client.set(lease_key(REF), "1:dead-worker", px=60_000)
    newer = AttemptLease(REF, 2)
    assert newer.acquire()
    assert redis_client.get(lease_key(REF)) == newer.token
    # A late copy of the old attempt, or a second copy of the new one, is still put off.
    assert not AttemptLease(REF, 1).acquire()
    assert not AttemptLease(REF, 2).acquire()
    newer.release()
    assert redis_client.get(lease_key(REF)) is None


def test_redis_down_never_stops_the_work(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    settings.REDIS_URL = f"redis://127.0.0.1:{dead_port}/0"
    settings.REDIS_SOCKET_TIMEOUT = 0.2
    reset_redis()
    try:
        with attempt_lease(REF, 1) as held:
            assert held
    finally:
        reset_redis()


@pytest.mark.django_db
def test_a_second_delivery_of_a_running_job_is_put_off(make_member, redis_client, settings,
                                                        django_capture_on_commit_callbacks):
    from academy.jobs import services
    from academy.jobs.models import Job, JobStatus
    from academy.jobs.selectors import job_ref

    tenant = make_member()[0]
    job = services.job_create(tenant_id=tenant.pk, job_type="excel_student_import",
                              payload={"path": f"imports/{tenant.pk}/x.xlsx", "password_hash": "", "dry_run": True})
    holder = AttemptLease(job_ref(job), 1)  # the worker that runs it now
    assert holder.acquire()
    try:
        with pytest.raises(Retry):
            job_run(str(job.job_id), 1)
        assert Job.objects.get(pk=job.pk).status == JobStatus.PROCESSING, "nothing ran, nothing ended"
    finally:
        holder.release()
    assert job_run(str(job.job_id), 1) == "FAILED", "once free it runs (this roster file does not exist)"
    assert lease_module.get_redis().get(lease_key(job_ref(job))) is None, "released at the end"
