"""The one face of the progress core: everything other apps may use of it.

Other apps import this module only, never keys, store, client or the other modules
behind it (a test keeps it so); they therefore never see Redis. `apis.py` beside it
holds the HTTP endpoints, which urls.py routes like every app's.

    from academy.progress import api as progress

    progress.task_finish(kind=progress.KIND_VIDEO, task_id=video.pk, attempt=1, hls_path=...)
    state = progress.progress_get(progress.TaskRef(tenant_id, progress.KIND_JOB, job_id))
"""
from __future__ import annotations

from academy.progress.client import ping, redis_used_memory
from academy.progress.codec import state_decode
from academy.progress.lease import attempt_lease
from academy.progress.lifecycle import (
    RETRYABLE,
    TenantAtCapacity,
    task_cancel,
    task_create,
    task_fail,
    task_finish,
    task_mark_processing,
    task_requeue,
    task_retry,
    task_stuck,
)
from academy.progress.models import TaskRow
from academy.progress.reconcile import STUCK_REASON
from academy.progress.registry import TaskKind, kind_get, kind_register
from academy.progress.reporter import ProgressReporter
from academy.progress.publish import unpublish
from academy.progress.selectors import active_tasks, attempt_ended, progress_get, progress_get_also, progress_live
from academy.progress.statuses import RUNNING, TERMINAL, Status
from academy.progress.steps import error_fields, error_render, step_code
from academy.progress.stream import STREAM_PATH, stream_app
from academy.progress.types import KIND_JOB, KIND_VIDEO, TaskCancelled, TaskRef, TaskState

__all__ = [
    "KIND_JOB", "KIND_VIDEO", "RETRYABLE", "RUNNING", "STUCK_REASON", "TERMINAL",
    "STREAM_PATH", "ProgressReporter", "Status", "TaskCancelled", "TaskKind", "TaskRef", "TaskRow", "TaskState",
    "TenantAtCapacity",
    "active_tasks", "attempt_ended", "attempt_lease", "error_fields", "error_render", "kind_get", "kind_register",
    "ping", "progress_get", "progress_get_also", "progress_live", "redis_used_memory", "state_decode", "step_code",
    "stream_app",
    "task_cancel", "task_create", "task_fail", "task_finish", "task_mark_processing", "task_requeue", "task_retry",
    "task_stuck", "unpublish",
]
