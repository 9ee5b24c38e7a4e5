"""Writes of jobs: the DB first, then the progress store after commit."""
from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from academy.jobs.handlers import handler_get
from academy.jobs.models import Job, JobStatus
from academy.jobs.selectors import job_ref, job_state
from academy.progress.keys import TaskRef
from academy.progress.publish import publish, publish_on_commit

logger = logging.getLogger(__name__)


def _enqueue(job: Job) -> None:
    from academy.jobs.tasks import job_run

    job_id, attempt = str(job.job_id), job.attempt
    transaction.on_commit(lambda: job_run.delay(job_id, attempt))


def job_create(*, tenant_id: int, job_type: str, payload: dict, created_by_id: int | None = None) -> Job:
    """Validate the payload, save the job PENDING and queue it once committed."""
    handler = handler_get(job_type)
    cleaned = handler.validate(payload)
    with transaction.atomic():
        job = Job.objects.create(tenant_id=tenant_id, job_type=job_type, payload=cleaned,
                                 created_by_id=created_by_id)
        publish_on_commit(job_ref(job), job_state(job))
        _enqueue(job)
    return job


def job_mark_processing(*, job_id: str, attempt: int) -> Job | None:
    """Move the job to PROCESSING for this attempt; None if the attempt is stale or ended."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(job_id=job_id).first()
        if job is None or job.attempt != attempt or job.status not in (JobStatus.PENDING, JobStatus.PROCESSING):
            return None
        job.status = JobStatus.PROCESSING
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["status", "started_at", "updated_at"])
    publish(job_ref(job), job_state(job))
    return job


def _finish(*, job_id: str, attempt: int, status: str, result=None, error_message: str = "") -> Job | None:
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(job_id=job_id).first()
        if job is None or job.attempt != attempt or job.status in (JobStatus.DONE, JobStatus.FAILED):
            return None
        job.status = status
        job.result = result
        job.error_message = error_message
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "result", "error_message", "finished_at", "updated_at"])
    publish(job_ref(job), job_state(job))
    return job


def job_complete(*, job_id: str, attempt: int, result) -> Job | None:
    """Save DONE with its result, then publish it (with the result) to Redis."""
    return _finish(job_id=job_id, attempt=attempt, status=JobStatus.DONE, result=result)


def job_fail(*, job_id: str, attempt: int, error_message: str) -> Job | None:
    """Save FAILED with its reason, then publish it."""
    return _finish(job_id=job_id, attempt=attempt, status=JobStatus.FAILED, error_message=error_message)


def job_fail_stuck(ref: TaskRef, attempt: int, reason: str) -> None:
    job_fail(job_id=ref.task_id, attempt=attempt, error_message=reason)


def job_retry(*, tenant_id: int, job_id: str) -> Job | None:
    """Start a new attempt of a FAILED job; None when the tenant has no such failed job."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(tenant_id=tenant_id, job_id=job_id).first()
        if job is None or job.status != JobStatus.FAILED:
            return None
        job.attempt += 1
        job.status = JobStatus.PENDING
        job.result = None
        job.error_message = ""
        job.started_at = job.finished_at = None
        job.save()
        publish_on_commit(job_ref(job), job_state(job))
        _enqueue(job)
    return job
