"""Reads of jobs: the DB side (detail, progress-store mirror) and the progress rendering."""
from __future__ import annotations

import uuid

import orjson
from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery

from academy.access.roles import task_owner_fields
from academy.jobs.handlers import handler_get
from academy.jobs.models import Job, JobStatus
from academy.jobs.results import result_dumps
from academy.progress.api import KIND_JOB, TaskRef, TaskState, error_fields, error_render, step_code
from academy.tenants.models import User


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


def job_list(*, tenant_id: int, job_type: str = "", status: str = "", created_by_id: int | None = None
             ) -> QuerySet[Job]:
    """Return the tenant's jobs for the history, without payloads and results (they can be MBs).

    One statement per page: the creator's name comes by a correlated subquery, not a query per row.
    """
    jobs = Job.objects.filter(tenant_id=tenant_id).defer("payload", "result")
    if job_type:
        jobs = jobs.filter(job_type=job_type)
    if status:
        jobs = jobs.filter(status=status)
    if created_by_id is not None:
        jobs = jobs.filter(created_by_id=created_by_id)
    creator = User.objects.filter(pk=OuterRef("created_by_id")).values("username")[:1]
    return jobs.annotate(created_by_name=Subquery(creator))


def job_result_json(job: Job) -> str:
    """Return the result as Redis holds it: all of it, or a summary and a reference when large.

    Keys the handler marks detail_only stay in the DB; `detail_only` lists them instead.
    """
    handler = handler_get(job.job_type)
    result = job.result
    hidden = [key for key in handler.detail_only if isinstance(result, dict) and key in result]
    if hidden:
        result = {key: value for key, value in result.items() if key not in hidden}
        result["detail_only"] = hidden
    raw = result_dumps(result)
    if len(raw) <= settings.JOB_RESULT_REDIS_MAX_BYTES:
        return raw.decode()
    summary = handler.summarize(result) if handler.summarize else None
    return orjson.dumps({"summary": summary, "truncated": True, "size_bytes": len(raw),
                         "detail_url": f"/api/v1/jobs/{job.job_id}/"}).decode()


def job_state(job: Job) -> TaskState:
    """Return the progress-store state that mirrors a job row."""
    # Who may read it travels with it, so the progress path checks roles without SQL.
    fields = {"job_type": job.job_type,
              **task_owner_fields(owner_id=job.created_by_id)}
    if job.status == JobStatus.DONE:
        fields["result"] = job_result_json(job)
    elif job.status == JobStatus.FAILED:
        fields["error_message"] = job.error_message
        fields.update(error_fields(code=job.error_code, params=job.error_params))
    return TaskState(status=job.status, attempt=job.attempt, fields=fields)


def job_progress_render(job_id: str, state: TaskState) -> dict:
    """Return the public progress body of a job (the web app's contract) from its stored state."""
    step = state.step
    code, params = step_code(step.get("name", ""))
    body = {
        "job_id": job_id,
        "job_type": state.fields.get("job_type", ""),
        "status": state.status,
        "progress": {
            "percent": int(state.progress.get("percent") or (100 if state.status == JobStatus.DONE else 0)),
            "step_index": int(step.get("index") or 0),
            "step_total": int(step.get("total") or 0),
            "step_name_display": step.get("name", ""),
            "step_code": code,
            "step_params": params,
            "step_percent": int(step.get("percent") or 0),
            "remaining_seconds": state.remaining_seconds,
        },
    }
    if state.status == JobStatus.DONE:
        body["result"] = orjson.loads(state.fields.get("result") or "null")
    elif state.status == JobStatus.FAILED:
        body["error_message"] = state.fields.get("error_message", "")
        body.update(error_render(state.fields))
    return body
