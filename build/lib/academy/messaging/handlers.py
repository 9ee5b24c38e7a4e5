"""The "message_send" job: a saved message in, the sending report out."""
from __future__ import annotations

from academy.jobs.handlers import JobHandler, PayloadInvalid, failures_summary, handler_register
from academy.messaging.services import MESSAGE_JOB_TYPE, MESSAGE_STEPS, message_send_run

# Failures Redis keeps of a large report; the job detail has them all.
SUMMARY_FAILURES = 100


def message_payload_validate(payload) -> dict:
    """Return the payload cleaned, or raise PayloadInvalid."""
    message_id = payload.get("message_id") if isinstance(payload, dict) else None
    if not isinstance(message_id, int) or isinstance(message_id, bool) or message_id < 1:
        raise PayloadInvalid("The payload must be {\"message_id\": <id of a saved message>}.")
    return {"message_id": message_id}


def message_run(job, reporter) -> dict:
    """Send the job's message within the job's tenant."""
    return message_send_run(tenant_id=job.tenant_id, message_id=job.payload["message_id"], reporter=reporter)


handler_register(JobHandler(
    job_type=MESSAGE_JOB_TYPE,
    steps=MESSAGE_STEPS,
    category="messaging",
    run=message_run,
    validate=message_payload_validate,
    summarize=failures_summary(listed=SUMMARY_FAILURES),
))
