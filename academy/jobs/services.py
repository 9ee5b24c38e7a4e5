"""Writes of jobs: the kind-specific parts; the lifecycle itself is progress's (one for every kind)."""
from __future__ import annotations

from academy.jobs.handlers import handler_get
from academy.jobs.models import Job
from academy.progress import api as progress


def job_enqueue(job: Job) -> None:
    """Queue a run of the job's current attempt (the lifecycle calls it on commit)."""
    from academy.jobs.tasks import job_run

    job_run.delay(str(job.job_id), job.attempt)


def job_create(*, tenant_id: int, job_type: str, payload: dict, created_by_id: int | None = None,
               title: str = "", title_params: dict | None = None) -> Job:
    """Validate the payload, save the job PENDING and queue it once committed.

    The title is the caller's, else the handler's from the payload.
    """
    handler = handler_get(job_type)
    cleaned = handler.validate(payload)
    if not title and handler.title is not None:
        described = handler.title(cleaned)
        title, title_params = described["title"], described["title_params"]
    return progress.task_create(kind=progress.KIND_JOB, tenant_id=tenant_id, job_type=job_type, payload=cleaned,
                                created_by_id=created_by_id, title=title[:200], title_params=title_params or {})


def job_mark_processing(*, job_id: str, attempt: int) -> Job | None:
    """Move the job to PROCESSING for this attempt; None if the attempt is stale or ended."""
    return progress.task_mark_processing(kind=progress.KIND_JOB, task_id=job_id, attempt=attempt)


def job_complete(*, job_id: str, attempt: int, result) -> Job | None:
    """Save DONE with its result, then publish it (with the result) to Redis."""
    return progress.task_finish(kind=progress.KIND_JOB, task_id=job_id, attempt=attempt, result=result,
                                error_message="")


def job_fail(*, job_id: str, attempt: int, error_message: str, error_code: str = "",
             error_params: dict | None = None) -> Job | None:
    """Save FAILED with its reason (and the reason's code and params), then publish it."""
    return progress.task_fail(kind=progress.KIND_JOB, task_id=job_id, attempt=attempt, reason=error_message,
                              code=error_code, params=error_params, result=None)


def job_cancel(*, tenant_id: int, job_id: str) -> Job | None:
    """End the tenant's running job CANCELLED; None when it has no such running job."""
    return progress.task_cancel(kind=progress.KIND_JOB, tenant_id=tenant_id, task_id=job_id)


def job_retry(*, tenant_id: int, job_id: str) -> Job | None:
    """Start a new attempt of a FAILED, CANCELLED or stuck job; None when it may not be retried."""
    return progress.task_retry(kind=progress.KIND_JOB, tenant_id=tenant_id, task_id=job_id)
