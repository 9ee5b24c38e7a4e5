"""Bring Redis and the queue back in line with the database, which is the truth.

Run by beat every PROGRESS_RECONCILE_INTERVAL seconds (60). One run costs, per task kind,
one indexed query over the unfinished rows (`status IN (PENDING, PROCESSING)`, index on
status), one query for the tenant ids and one Redis pipeline; a row is written only when
something is wrong with it:

- a PENDING task older than PROGRESS_PENDING_GRACE with no run in the broker (its message
  was lost: Redis flushed, restarted empty, or the enqueue failed) is queued again as a new
  attempt (attempt-guarded, so two reconcilers or a late original message do no harm);
- a PROCESSING task without a heartbeat for PROGRESS_HEARTBEAT_TIMEOUT (its worker died) is
  queued again, up to PROGRESS_STUCK_MAX_ATTEMPTS attempts, then FAILED with a reason. The
  heartbeat is the `hb` Redis keeps for the attempt; when Redis lost it (a flush, a re-warm
  from the DB) the row's own last update counts, so a lost heartbeat still runs out;
- Redis entries of tasks that are finished in the DB but running in Redis (Redis restarted
  from an older snapshot, or missed the final write while it was out) are rewritten from the
  row and leave the tenant's active index;
- an unfinished task Redis lost is re-warmed and put back in the active index.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis
from django.conf import settings

from academy.counters import REDIS_ERRORS
from academy.progress import store
from academy.progress.keys import ref_from_member
from academy.progress.lifecycle import task_fail, task_requeue
from academy.progress.registry import TaskKind, kinds_all
from academy.progress.statuses import RUNNING, TERMINAL, Status
from academy.progress.types import TaskRef

logger = logging.getLogger(__name__)

STUCK_REASON = "The worker stopped reporting progress (it may have died); the task was stopped. Retry it."


@dataclass
class ReconcileReport:
    rewarmed: int = 0
    requeued_lost: int = 0
    requeued_stuck: int = 0
    failed_stuck: int = 0
    repaired_finished: int = 0
    unchanged: int = 0
    redis_unavailable: bool = False


def _queued_runs() -> set[tuple[str, int]] | None:
    """The runs the broker holds, or None when it cannot be listed (then a pending timeout applies)."""
    from academy.broker import broker_queued_runs
    from academy.celery import app

    try:
        return broker_queued_runs(app, [settings.JOBS_QUEUE, settings.VIDEO_QUEUE])
    except Exception as exc:  # noqa: BLE001 - a broker we cannot read must not stop the repair
        logger.warning("progress reconcile could not list the broker: %s", exc)
        return None


def progress_reconcile(*, now: float | None = None, queued_runs: set | None | bool = True,
                       heartbeat_timeout: int | None = None) -> ReconcileReport:
    """Repair Redis and the queue from the database; return what was done.

    queued_runs: the (task id, attempt) runs the broker holds; by default the broker is
    listed, None means it cannot be (PENDING tasks then wait PROGRESS_PENDING_TIMEOUT).
    """
    now = time.time() if now is None else now
    timeout = settings.PROGRESS_HEARTBEAT_TIMEOUT if heartbeat_timeout is None else heartbeat_timeout
    report = ReconcileReport()
    runs = _queued_runs() if queued_runs is True else queued_runs
    seen: set[TaskRef] = set()
    for kind in kinds_all():
        rows = list(kind.model.objects.filter(status__in=list(RUNNING)))
        refs = [kind.ref(row) for row in rows]
        seen.update(refs)
        try:
            cached = store.states_read(refs)
        except redis.RedisError as exc:
            REDIS_ERRORS.labels("reconcile").inc()
            logger.warning("progress reconcile: Redis unavailable, judging from the DB alone: %s", exc)
            report.redis_unavailable = True
            cached = [None] * len(rows)
        for row, ref, state in zip(rows, refs, cached):
            try:
                _reconcile_row(kind, row, ref, state, now=now, timeout=timeout, runs=runs, report=report)
            except Exception:  # one bad row (or a broker hiccup on re-queue) must not stop the others
                logger.exception("progress reconcile failed for %s", ref)
    if not report.redis_unavailable:
        try:
            _repair_finished(seen, report)
        except redis.RedisError as exc:
            REDIS_ERRORS.labels("reconcile").inc()
            logger.warning("progress reconcile: could not repair finished tasks: %s", exc)
            report.redis_unavailable = True
    if any((report.requeued_lost, report.requeued_stuck, report.failed_stuck, report.repaired_finished)):
        logger.warning("progress reconcile: %s", report)
    return report


def _reconcile_row(kind: TaskKind, row, ref: TaskRef, cached, *, now: float, timeout: float, runs,
                   report: ReconcileReport) -> None:
    last = row.updated_at.timestamp()
    if cached is not None and cached.exists and cached.attempt == row.attempt and cached.fields.get("hb"):
        last = max(last, float(cached.fields["hb"]))
    if row.status == Status.PROCESSING and now - last > timeout:
        if row.attempt < settings.PROGRESS_STUCK_MAX_ATTEMPTS:
            if task_requeue(kind=kind.name, task_id=row.pk, attempt=row.attempt) is not None:
                report.requeued_stuck += 1
        elif task_fail(kind=kind.name, task_id=row.pk, attempt=row.attempt, reason=STUCK_REASON,
                       code="task_stuck") is not None:
            report.failed_stuck += 1
        return
    if row.status == Status.PENDING and now - row.updated_at.timestamp() > settings.PROGRESS_PENDING_GRACE:
        lost = (now - row.updated_at.timestamp() > settings.PROGRESS_PENDING_TIMEOUT if runs is None
                else (str(row.pk), row.attempt) not in runs)
        if lost and task_requeue(kind=kind.name, task_id=row.pk, attempt=row.attempt) is not None:
            report.requeued_lost += 1
            return
    if report.redis_unavailable:
        return
    if cached is None or not cached.exists or cached.attempt < row.attempt:
        store.state_write(ref, kind.state(row))
        report.rewarmed += 1
    else:
        report.unchanged += 1
    store.active_add(ref)


def _repair_finished(unfinished: set[TaskRef], report: ReconcileReport) -> None:
    """Rewrite tasks the active index lists as running that the DB has finished (or lost)."""
    kinds = {kind.name: kind for kind in kinds_all()}
    tenant_ids: set[int] = set()
    for kind in kinds.values():
        tenant_model = kind.model._meta.get_field("tenant").related_model
        tenant_ids.update(tenant_model.objects.values_list("pk", flat=True))
        break  # every kind belongs to the same tenant model
    listed = [ref_from_member(tenant_id, member)
              for tenant_id in sorted(tenant_ids)
              for member, _ in store.active_list(tenant_id, limit=10_000)]
    suspects = [ref for ref in listed if ref not in unfinished and ref.kind in kinds]
    for name, kind in kinds.items():
        refs = [ref for ref in suspects if ref.kind == name]
        if not refs:
            continue
        pks = [pk for pk in (kind.parse_id(ref.task_id) for ref in refs) if pk is not None]
        rows = {str(row.pk): row for row in kind.model.objects.filter(pk__in=pks)}
        for ref in refs:
            row = rows.get(ref.task_id)
            if row is None or row.tenant_id != ref.tenant_id:
                store.active_remove(ref)  # no such task (deleted): nothing to show as running
                report.repaired_finished += 1
                continue
            if row.status in TERMINAL:
                store.state_write(ref, kind.state(row))
                store.active_remove(ref)
                report.repaired_finished += 1


def progress_reconcile_safe() -> ReconcileReport | None:
    try:
        return progress_reconcile()
    except redis.RedisError as exc:
        logger.warning("progress reconcile skipped, Redis unavailable: %s", exc)
        return None
