"""The task lifecycle contract, run for jobs."""
import pytest

from academy.progress.api import KIND_JOB
from academy.progress.tests.contract import TaskLifecycleContract

pytestmark = pytest.mark.django_db


class TestJobLifecycle(TaskLifecycleContract):
    kind = KIND_JOB
    task_name = "academy.jobs.tasks.job_run"
    success = "DONE"
    error_field = "error_message"

    def fields(self):
        return {"job_type": "message_send", "payload": {"message_id": 1}}

    def success_changes(self):
        return {"result": {"sent": 1}, "error_message": ""}

    def progress_url(self, row):
        return f"/api/v1/jobs/{row.job_id}/progress/"

    def run_args(self, row, attempt):
        return repr((str(row.job_id), attempt))
