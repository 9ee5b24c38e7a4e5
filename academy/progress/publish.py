"""Write-through publishing: the DB write is what counts, Redis follows and may fail."""
from __future__ import annotations

import logging
import time

import redis
from django.db import transaction

from academy.counters import REDIS_ERRORS
from academy.progress import store
from academy.progress.statuses import TERMINAL, Status
from academy.progress.types import TaskRef, TaskState

logger = logging.getLogger(__name__)


def publish(ref: TaskRef, state: TaskState, *, only_if_exists: bool = False, index: bool = True) -> bool:
    """Write the state to Redis and keep the active index in step; never raise on Redis errors.

    Progress reports pass index=False: the task joined the index when it started.
    Return whether Redis applied it. A failure is logged and counted: the reconcile
    command and read-through re-warming repair the cache later.
    """
    if state.status == Status.PROCESSING:
        # Heartbeat: reconcile fails tasks whose worker stopped writing.
        state.fields.setdefault("hb", str(int(time.time())))
    try:
        applied = bool(store.state_write(ref, state, only_if_exists=only_if_exists))
        if applied and index:
            if state.status in TERMINAL:
                store.active_remove(ref)
            else:
                store.active_add(ref)
        return applied
    except redis.RedisError as exc:
        REDIS_ERRORS.labels("publish").inc()
        logger.warning("progress publish failed for %s: %s", ref, exc)
        return False


def publish_on_commit(ref: TaskRef, state: TaskState) -> None:
    """Publish once the surrounding transaction commits: a rolled-back row is never shown."""
    transaction.on_commit(lambda: publish(ref, state))


def unpublish(ref: TaskRef) -> None:
    """Forget a deleted task in Redis; never raise (a failed delete is logged and counted)."""
    try:
        store.state_delete(ref)
    except redis.RedisError as exc:
        REDIS_ERRORS.labels("publish").inc()
        logger.warning("progress unpublish failed for %s: %s", ref, exc)
