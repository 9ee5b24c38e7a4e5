"""The one lifecycle of a task row, for every kind: lock, guard, save, then publish.

Every transition takes the row with SELECT ... FOR UPDATE, checks that it may move (its
status, and for a worker's transitions its attempt), saves it, and publishes the new state
to Redis only once the row is committed: a rolled-back row is never shown. Worker-side
transitions (mark processing, finish, fail) commit their own transaction and publish right
after it; request-side ones (create, cancel, retry, requeue) may run inside a caller's
transaction, so they publish, and queue a run, on commit.
"""
from __future__ import annotations

import logging
import time
from typing import Any

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from academy.counters import REDIS_ERRORS
from academy.progress import store
from academy.progress.publish import publish, publish_on_commit
from academy.progress.registry import TaskKind, kind_get
from academy.progress.statuses import RUNNING, Status

logger = logging.getLogger(__name__)

# What a request may retry besides a task stuck past its heartbeat timeout.
RETRYABLE = frozenset({Status.FAILED, Status.CANCELLED})


def _locked(kind: TaskKind, task_id, *, tenant_id: int | None = None):
    """Return the row locked for update (within the tenant when given), or None."""
    pk = kind.parse_id(str(task_id))
    if pk is None:
        return None
    rows = kind.model.objects.select_for_update().filter(pk=pk)
    if tenant_id is not None:
        rows = rows.filter(tenant_id=tenant_id)
    return rows.first()


def _publish_and_enqueue_on_commit(kind: TaskKind, row) -> None:
    publish_on_commit(kind.ref(row), kind.state(row))
    transaction.on_commit(lambda: kind.enqueue(row))


def task_create(*, kind: str, tenant_id: int, enqueue: bool = True, **fields) -> Any:
    """Save a PENDING row and, once committed, publish it and queue its first attempt."""
    task_kind = kind_get(kind)
    with transaction.atomic():
        row = task_kind.model.objects.create(tenant_id=tenant_id, **fields)
        if enqueue:
            _publish_and_enqueue_on_commit(task_kind, row)
        else:
            publish_on_commit(task_kind.ref(row), task_kind.state(row))
    return row


class TenantAtCapacity(Exception):
    """The tenant already runs its maximum of concurrent tasks of this kind; try later."""


def _tenant_running(task_kind: TaskKind, row) -> int:
    """Count the tenant's other PROCESSING rows of this kind, holding the tenant row's lock.

    The lock makes count-then-mark atomic across workers: two tasks of one tenant starting
    at once cannot both take its last slot.
    """
    tenant_model = task_kind.model._meta.get_field("tenant").related_model
    list(tenant_model.objects.select_for_update().filter(pk=row.tenant_id).values_list("pk"))
    return (task_kind.model.objects.filter(tenant_id=row.tenant_id, status=Status.PROCESSING)
            .exclude(pk=row.pk).count())


def task_mark_processing(*, kind: str, task_id, attempt: int, tenant_cap: int = 0) -> Any | None:
    """Move this attempt to PROCESSING; None if the attempt is stale or has ended.

    With a tenant_cap, raise TenantAtCapacity when that many other tasks of this kind of the
    tenant are PROCESSING (a redelivered run of an already PROCESSING attempt is let through).
    """
    task_kind = kind_get(kind)
    with transaction.atomic():
        row = _locked(task_kind, task_id)
        if row is None or row.attempt != attempt or row.status not in RUNNING:
            return None
        if tenant_cap and row.status != Status.PROCESSING and _tenant_running(task_kind, row) >= tenant_cap:
            raise TenantAtCapacity(row.tenant_id)
        row.status = Status.PROCESSING
        row.started_at = row.started_at or timezone.now()
        row.save(update_fields=["status", "started_at", "updated_at"])
    publish(task_kind.ref(row), task_kind.state(row))
    return row


def _end(task_kind: TaskKind, task_id, attempt: int, status: Status, changes: dict) -> Any | None:
    with transaction.atomic():
        row = _locked(task_kind, task_id)
        if row is None or row.attempt != attempt or row.status not in RUNNING:
            return None
        row.status = status
        for name, value in changes.items():
            setattr(row, name, value)
        row.finished_at = timezone.now()
        row.save(update_fields=["status", *changes, "finished_at", "updated_at"])
    publish(task_kind.ref(row), task_kind.state(row))
    return row


def task_finish(*, kind: str, task_id, attempt: int, **changes) -> Any | None:
    """Save this attempt's success (DONE or READY) with its fields, then publish it.

    None when the attempt is stale or has already ended (cancelled, failed as stuck).
    """
    task_kind = kind_get(kind)
    return _end(task_kind, task_id, attempt, task_kind.success, changes)


def task_fail(*, kind: str, task_id, attempt: int, reason: str, code: str = "", params: dict | None = None,
              **changes) -> Any | None:
    """Save this attempt FAILED with a reason the user can read, then publish it.

    `code` and `params` are the reason's for clients to localise (error_code, error_params).
    """
    task_kind = kind_get(kind)
    return _end(task_kind, task_id, attempt, Status.FAILED, {
        task_kind.error_field: reason, "error_code": code, "error_params": params or {}, **changes})


def task_cancel(*, kind: str, tenant_id: int, task_id) -> Any | None:
    """End the tenant's running task CANCELLED; None when it has no such running task.

    The worker notices on its next progress write (the store refuses it), stops its work
    (ffmpeg is killed, a job's handler is interrupted) and writes nothing more.
    """
    task_kind = kind_get(kind)
    with transaction.atomic():
        row = _locked(task_kind, task_id, tenant_id=tenant_id)
        if row is None or row.status not in RUNNING:
            return None
        row.status = Status.CANCELLED
        row.finished_at = timezone.now()
        row.save(update_fields=["status", "finished_at", "updated_at"])
        publish_on_commit(task_kind.ref(row), task_kind.state(row))
    return row


def _new_attempt(task_kind: TaskKind, row) -> None:
    row.attempt += 1
    row.status = Status.PENDING
    for name, value in task_kind.retry_clear.items():
        setattr(row, name, value)
    row.started_at = row.finished_at = None
    row.save()
    _publish_and_enqueue_on_commit(task_kind, row)


def task_stuck(*, kind: str, row, now: float | None = None) -> bool:
    """Tell whether a running row has had no heartbeat nor update for PROGRESS_HEARTBEAT_TIMEOUT.

    The heartbeat is the `hb` field every PROCESSING write leaves in Redis; without it (a
    PENDING task, or Redis lost it or is down) the row's own updated_at counts.
    """
    if row.status not in RUNNING:
        return False
    now = time.time() if now is None else now
    last = row.updated_at.timestamp()
    try:
        cached = store.state_read(kind_get(kind).ref(row))
    except redis.RedisError as exc:
        REDIS_ERRORS.labels("read").inc()
        logger.warning("heartbeat read failed for %s %s: %s", kind, row.pk, exc)
        cached = None
    if cached is not None and cached.attempt == row.attempt and cached.fields.get("hb"):
        last = max(last, float(cached.fields["hb"]))
    return now - last > settings.PROGRESS_HEARTBEAT_TIMEOUT


def task_retry(*, kind: str, tenant_id: int, task_id, now: float | None = None) -> Any | None:
    """Start a new attempt of a FAILED, CANCELLED or stuck task and queue it on commit.

    None when the tenant has no such task or it may not be retried (it is running and
    alive, or it succeeded). Events of the older attempt are ignored from then on, so a
    stuck worker that wakes up again cannot overwrite the new attempt.
    """
    task_kind = kind_get(kind)
    with transaction.atomic():
        row = _locked(task_kind, task_id, tenant_id=tenant_id)
        if row is None:
            return None
        if row.status not in RETRYABLE and not task_stuck(kind=kind, row=row, now=now):
            return None
        _new_attempt(task_kind, row)
    return row


def task_requeue(*, kind: str, task_id, attempt: int) -> Any | None:
    """Queue a running task again as a new attempt, if `attempt` is still its current one.

    For reconcile, when a task's run was lost (its message or its worker): calling it twice
    with the same attempt queues once, and a finished task is left alone. Return the row,
    or None when nothing was done.
    """
    task_kind = kind_get(kind)
    with transaction.atomic():
        row = _locked(task_kind, task_id)
        if row is None or row.attempt != attempt or row.status not in RUNNING:
            return None
        _new_attempt(task_kind, row)
    return row
