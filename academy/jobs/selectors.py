"""Reads of jobs: the DB side (detail, progress-store mirror) and the progress rendering."""
from __future__ import annotations

import uuid

import orjson
from django.conf import settings

from academy.jobs.handlers import handler_get
from academy.jobs.models import Job, JobStatus
from academy.progress.api import KIND_JOB, TaskRef, TaskState


def job_ref(job: Job) -> TaskRef:
    return TaskRef(job.tenant_id, KIND_JOB, str(job.job_id))


def job_id_parse(job_id: str) -> uuid.UUID | None:
    """Return the UUID a job id names, or None when it is not one (no query is made then)."""
    try:
        return uuid.UUID(job_id)
    except ValueError:
        return None


def job_get(*, tenant_id: int, job_id: str) -> Job | None:
    """Return the tenant's job, or None: another tenant's job is as missing as no job.

    `job_id` is canonical: the URL's path converter lets no other spelling through.
    """
    return Job.objects.filter(tenant_id=tenant_id, job_id=job_id).first()


def job_result_json(job: Job) -> str:
    """Return the result as Redis holds it: all of it, or a summary and a reference when large."""
    raw = orjson.dumps(job.result)
    if len(raw) <= settings.JOB_RESULT_REDIS_MAX_BYTES:
        return raw.decode()
    handler = handler_get(job.job_type)
    summary = handler.summarize(job.result) if handler.summarize else None
    return orjson.dumps({"summary": summary, "truncated": True, "size_bytes": len(raw),
                         "detail_url": f"/api/v1/jobs/{job.job_id}/"}).decode()


def job_state(job: Job) -> TaskState:
    """Return the progress-store state that mirrors a job row."""
    fields = {"job_type": job.job_type}
    if job.status == JobStatus.DONE:
        fields["result"] = job_result_json(job)
    elif job.status == JobStatus.FAILED:
        fields["error_message"] = job.error_message
    return TaskState(status=job.status, attempt=job.attempt, fields=fields)


def job_progress_render(job_id: str, state: TaskState) -> dict:
    """Return the public progress body of a job (the web app's contract) from its stored state."""
    step = state.step
    body = {
        "job_id": job_id,
        "job_type": state.fields.get("job_type", ""),
        "status": state.status,
        "progress": {
            "percent": int(state.progress.get("percent") or (100 if state.status == JobStatus.DONE else 0)),
            "step_index": int(step.get("index") or 0),
            "step_total": int(step.get("total") or 0),
            "step_name_display": step.get("name", ""),
            "step_percent": int(step.get("percent") or 0),
            "remaining_seconds": state.remaining_seconds,
        },
    }
    if state.status == JobStatus.DONE:
        body["result"] = orjson.loads(state.fields.get("result") or "null")
    elif state.status == JobStatus.FAILED:
        body["error_message"] = state.fields.get("error_message", "")
    return body
