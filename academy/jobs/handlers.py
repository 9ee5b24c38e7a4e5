"""The job-type registry: job_type -> how to validate its payload and run it."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Callable, Sequence

from academy.errors import ApplicationError

if TYPE_CHECKING:
    from academy.jobs.models import Job
    from academy.progress.api import ProgressReporter


class JobCategory(StrEnum):
    """Which endpoint may create a job type."""

    AI = "ai"  # POST /api/v1/ai/jobs/
    MESSAGING = "messaging"  # POST /api/v1/messages/
    IMPORT = "import"  # POST /api/v1/students/import/


class JobFailed(ApplicationError):
    """A handler's clean failure: the message is the job's error_message, with its code and params."""


class PayloadInvalid(ApplicationError):
    """The payload is unusable: answered with 400 before anything is queued."""


@dataclass(frozen=True)
class JobHandler:
    """validate(payload) returns the cleaned payload or raises PayloadInvalid.
    run(job, reporter) returns the JSON-serialisable result.
    summarize(result) returns a small version of a large result for Redis.
    title(payload) returns the job's name for people and its params, {"title": "Short-answer
    grading: 30 submissions x 5 questions", "title_params": {...}}; clients localise it by job_type.
    detail_only names result keys that never go to Redis (secrets such as activation codes):
    the progress endpoint's result lacks them, the DB-backed detail endpoint has them."""

    job_type: str
    steps: Sequence[tuple[str, float]]
    category: JobCategory
    run: Callable[["Job", "ProgressReporter"], Any]
    validate: Callable[[Any], Any] = lambda payload: payload
    summarize: Callable[[Any], Any] | None = None
    title: Callable[[Any], dict] | None = None
    detail_only: tuple[str, ...] = ()


def failures_summary(*, listed: int) -> Callable[[dict], dict]:
    """Return a summarize for results with a `failed` list: every count, the first failures."""

    def summarize(result: dict) -> dict:
        summary = {key: value for key, value in result.items() if key != "failed"}
        summary["failed"] = result["failed"][:listed]
        summary["failed_count"] = len(result["failed"])
        return summary

    return summarize


_handlers: dict[str, JobHandler] = {}


def handler_register(handler: JobHandler) -> JobHandler:
    _handlers[handler.job_type] = handler
    return handler


def handler_get(job_type: str) -> JobHandler:
    """Return the handler, or raise PayloadInvalid for an unknown job type."""
    try:
        return _handlers[job_type]
    except KeyError:
        known = ", ".join(sorted(_handlers)) or "none"
        raise PayloadInvalid("job_type_unknown", f"Unknown job_type {job_type!r}; known: {known}.",
                             {"job_type": job_type, "known": sorted(_handlers)}) from None
