"""The task lifecycle contract, run for videos."""
import pytest

from academy.progress.api import KIND_VIDEO
from academy.progress.tests.contract import TaskLifecycleContract

pytestmark = pytest.mark.django_db


class TestVideoLifecycle(TaskLifecycleContract):
    kind = KIND_VIDEO
    task_name = "academy.videos.tasks.video_encode"
    success = "READY"
    error_field = "error_reason"

    def fields(self):
        return {"title": "Lecture 1"}

    def success_changes(self):
        return {"hls_path": "videos/1/1/a1/master.m3u8", "duration": 5.0, "error_reason": ""}

    def progress_url(self, row):
        return f"/media/videos/{row.pk}/progress/"

    def run_args(self, row, attempt):
        return repr((row.pk, attempt))
