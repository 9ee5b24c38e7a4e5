"""The Celery task that runs every job kind through its handler."""
from __future__ import annotations

import logging
import time

from celery import shared_task

from academy.jobs import services
from academy.jobs.handlers import JobFailed, handler_get
from academy.jobs.selectors import job_ref
from academy.metrics import JOB_DURATION
from academy.progress.reporter import ProgressReporter

logger = logging.getLogger(__name__)

INTERNAL_ERROR = "The job stopped on an internal error; it has been logged. Try again or contact support."


@shared_task(name="academy.jobs.tasks.job_run", acks_late=True, reject_on_worker_lost=True)
def job_run(job_id: str, attempt: int) -> str:
    """Run one attempt of a job: PROCESSING, the handler with a reporter, then DONE or FAILED."""
    job = services.job_mark_processing(job_id=job_id, attempt=attempt)
    if job is None:
        return "skipped"
    handler = handler_get(job.job_type)
    reporter = ProgressReporter(job_ref(job), attempt=attempt, steps=handler.steps,
                                fields={"job_type": job.job_type})
    started = time.monotonic()
    try:
        result = handler.run(job, reporter)
    except JobFailed as exc:
        services.job_fail(job_id=job_id, attempt=attempt, error_message=exc.reason)
        status = "FAILED"
    except Exception:
        logger.exception("job %s (%s) failed", job_id, job.job_type)
        services.job_fail(job_id=job_id, attempt=attempt, error_message=INTERNAL_ERROR)
        status = "FAILED"
    else:
        services.job_complete(job_id=job_id, attempt=attempt, result=result)
        status = "DONE"
    JOB_DURATION.labels(job.job_type, status).observe(time.monotonic() - started)
    return status
