"""Bring Redis back in line with the database: after a Redis loss, and for dead workers."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis
from django.conf import settings

from academy.progress import store
from academy.progress.lifecycle import task_fail
from academy.progress.registry import kinds_all
from academy.progress.statuses import Status

logger = logging.getLogger(__name__)

STUCK_REASON = "The worker stopped reporting progress (it may have died); the task was stopped. Retry it."


@dataclass
class ReconcileReport:
    rewarmed: int = 0
    failed_stuck: int = 0
    unchanged: int = 0


def progress_reconcile(*, heartbeat_timeout: int | None = None, now: float | None = None) -> ReconcileReport:
    """Re-warm every unfinished task into Redis and fail those whose heartbeat stopped.

    Finished tasks are re-warmed lazily by the read-through fallback, so a Redis loss
    costs one query per finished task that someone actually looks at.
    """
    timeout = settings.PROGRESS_HEARTBEAT_TIMEOUT if heartbeat_timeout is None else heartbeat_timeout
    now = time.time() if now is None else now
    report = ReconcileReport()
    for kind in kinds_all():
        for ref, db_state in kind.unfinished():
            cached = store.state_read(ref)
            if db_state.status == Status.PROCESSING and _stuck(cached, db_state, timeout, now):
                task_fail(kind=kind.name, task_id=ref.task_id, attempt=db_state.attempt, reason=STUCK_REASON,
                          code="task_stuck")
                report.failed_stuck += 1
                continue
            if cached is None or cached.attempt < db_state.attempt or not cached.exists:
                store.state_write(ref, db_state)
                report.rewarmed += 1
            else:
                report.unchanged += 1
            store.active_add(ref)
    return report


def _stuck(cached, db_state, timeout: int, now: float) -> bool:
    """A PROCESSING task is stuck when its last heartbeat (or, lacking one, ever) is too old."""
    if cached is None or cached.attempt != db_state.attempt:
        # Redis lost it: without a heartbeat we cannot tell; give it one timeout from now.
        return False
    heartbeat = cached.fields.get("hb")
    return heartbeat is not None and now - float(heartbeat) > timeout


def progress_reconcile_safe() -> ReconcileReport | None:
    try:
        return progress_reconcile()
    except redis.RedisError as exc:
        logger.warning("progress reconcile skipped, Redis unavailable: %s", exc)
        return None
