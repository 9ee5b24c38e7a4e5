"""The "excel_student_import" job: a stored roster file in, the import report out."""
from __future__ import annotations

from django.core.files.storage import default_storage

from academy.jobs.handlers import JobCategory, JobFailed, JobHandler, PayloadInvalid, failures_summary, handler_register
from academy.students.parsing import ImportFileError
from academy.students.services import IMPORT_JOB_TYPE, IMPORT_STEPS, student_import_run

SUMMARY_FAILURES = 50


def import_payload_validate(payload) -> dict:
    """Return the payload cleaned, or raise PayloadInvalid."""
    if not isinstance(payload, dict):
        raise PayloadInvalid("payload_invalid", "The payload must be an object.")
    path = payload.get("path")
    if not isinstance(path, str) or not path.startswith("imports/") or ".." in path:
        raise PayloadInvalid("payload_invalid", "path must name a stored roster under imports/.")
    dry_run = payload.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise PayloadInvalid("payload_invalid", "dry_run must be true or false.")
    # A password_hash of jobs queued before activation codes is dropped: codes replace it.
    return {"path": path, "dry_run": dry_run}


def import_run(job, reporter) -> dict:
    """Import the job's stored roster into the job's tenant."""
    payload = job.payload
    if not payload["path"].startswith(f"imports/{job.tenant_id}/"):
        raise JobFailed("import_file_foreign", "The roster file belongs to another academy.")
    try:
        with default_storage.open(payload["path"], "rb") as file:
            return student_import_run(tenant_id=job.tenant_id, source=file,
                                      dry_run=payload["dry_run"], reporter=reporter)
    except FileNotFoundError:
        raise JobFailed("import_file_gone", "The uploaded roster file is gone; upload it again.") from None
    except ImportFileError as exc:
        raise JobFailed(exc.code, exc.reason, exc.params) from None


def import_title(payload: dict, *, filename: str = "") -> dict:
    """Return the job's title (and its params): the roster's file name; a dry run says so."""
    name = filename[-100:]
    title = f"Student import: {name}" if name else "Student import"
    return {"title": title + (" (dry run)" if payload["dry_run"] else ""),
            "title_params": {"filename": name, "dry_run": payload["dry_run"]}}


handler_register(JobHandler(
    title=import_title,
    job_type=IMPORT_JOB_TYPE,
    steps=IMPORT_STEPS,
    category=JobCategory.IMPORT,
    run=import_run,
    validate=import_payload_validate,
    summarize=failures_summary(listed=SUMMARY_FAILURES),
    # Activation codes are credentials: only in the DB row, read by staff through the detail.
    detail_only=("accounts",),
))
