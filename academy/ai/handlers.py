"""The "short_answer_grading" job: an answer key and submissions in, graded results out."""
from __future__ import annotations

from academy.ai import grading
from academy.ai.payload import payload_validate
from academy.jobs.handlers import JobCategory, JobFailed, JobHandler, PayloadInvalid, handler_register

GRADING_JOB_TYPE = "short_answer_grading"
_STEP_INDEX = {name: index for index, (name, _) in enumerate(grading.STEPS)}


def grading_payload_validate(payload) -> dict:
    """Return the payload cleaned, or raise PayloadInvalid with the reason."""
    try:
        return payload_validate(payload)
    except ValueError as exc:
        raise PayloadInvalid("payload_invalid", str(exc)) from None


def grading_run(job, reporter) -> dict:
    """Grade the job's submissions, reporting each grading step to the reporter."""

    def on_progress(done: int, total: int, step: str) -> None:
        index = _STEP_INDEX[step]
        if index != reporter.index or done == 0:
            reporter.step(index)  # a step change is written at once
        reporter.advance(done, total)

    try:
        return grading.grade(job.payload, on_progress=on_progress)
    except ValueError as exc:  # validated at creation; only a payload edited since lands here
        raise JobFailed("payload_invalid", f"The payload is invalid: {exc}") from None


def grading_title(payload: dict) -> dict:
    """Return the job's title (and its params): how many submissions of how many questions."""
    params = {"submissions": len(payload["submissions"]), "questions": len(payload["answer_key"])}
    return {"title": f"Short-answer grading: {params['submissions']} submissions x {params['questions']} questions",
            "title_params": params}


handler_register(JobHandler(
    job_type=GRADING_JOB_TYPE,
    title=grading_title,
    steps=grading.STEPS,
    category=JobCategory.AI,
    run=grading_run,
    validate=grading_payload_validate,
    summarize=grading.summarize_result,
))
