"""The Celery task that runs every job kind through its handler."""
from __future__ import annotations

import logging
import time

from celery import shared_task
from django.conf import settings

from academy.jobs import services
from academy.jobs.handlers import JobFailed, handler_get
from academy.counters import JOB_DURATION
from academy.jobs.selectors import job_ref
from academy.progress import api as progress

logger = logging.getLogger(__name__)

INTERNAL_ERROR = "The job stopped on an internal error; it has been logged. Try again or contact support."


@shared_task(bind=True, name="academy.jobs.tasks.job_run", acks_late=True, reject_on_worker_lost=True,
             max_retries=None)
def job_run(self, job_id: str, attempt: int) -> str:
    """Run one attempt of a job: PROCESSING, the handler with a reporter, then DONE or FAILED.

    A second delivery of an attempt another worker runs now is asked again after one lease
    period (academy/progress/lease.py), so an import or a send never runs twice at once.
    """
    job = services.job_mark_processing(job_id=job_id, attempt=attempt)
    if job is None:
        return "skipped"
    with progress.attempt_lease(job_ref(job), attempt) as held:
        if not held:
            logger.info("job %s attempt %s is being run by another worker", job_id, attempt)
            raise self.retry(countdown=settings.TASK_LEASE_TTL)
        return _run(job, attempt=attempt)


def _run(job, *, attempt: int) -> str:
    job_id = str(job.job_id)
    handler = handler_get(job.job_type)
    # A refused progress write (the job was cancelled, failed as stuck or retried meanwhile)
    # raises TaskCancelled inside the handler, where it reports: the work stops there.
    reporter = progress.ProgressReporter(job_ref(job), attempt=attempt, steps=handler.steps,
                                         fields={"job_type": job.job_type}, raise_on_cancel=True)
    started = time.monotonic()
    try:
        result = handler.run(job, reporter)
    except progress.TaskCancelled:
        logger.info("job %s (%s) attempt %s ended elsewhere; stopped", job_id, job.job_type, attempt)
        status = "CANCELLED"
    except JobFailed as exc:
        services.job_fail(job_id=job_id, attempt=attempt, error_message=exc.message, error_code=exc.code,
                          error_params=exc.params)
        status = "FAILED"
    except Exception:
        logger.exception("job %s (%s) failed", job_id, job.job_type)
        services.job_fail(job_id=job_id, attempt=attempt, error_message=INTERNAL_ERROR, error_code="internal_error")
        status = "FAILED"
    else:
        # None: the attempt ended meanwhile (cancelled, failed as stuck) and keeps that end.
        done = services.job_complete(job_id=job_id, attempt=attempt, result=result)
        status = "DONE" if done is not None else "superseded"
    JOB_DURATION.labels(job.job_type, status).observe(time.monotonic() - started)
    return status
