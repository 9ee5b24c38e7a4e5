"""Reads of task progress: Redis first; the database once, single-flight, on a miss."""
from __future__ import annotations

import logging
import time

import redis
from django.conf import settings

from academy.counters import PROGRESS_READS, REDIS_ERRORS
from academy.progress import store
from academy.progress.breaker import RedisUnavailable, fallback_flight, guarded
from academy.progress.client import get_redis
from academy.progress.keys import fill_lock_key, ref_from_member
from academy.progress.registry import kind_get
from academy.progress.types import MISSING, TaskRef, TaskState

logger = logging.getLogger(__name__)

FILL_LOCK_MS = 5000
# Long enough for a slow DB read: a waiter that gives up reads the DB itself.
WAIT_SECONDS = 5.0
WAIT_STEP = 0.01


def _load(ref: TaskRef) -> TaskState | None:
    """Read the task's state from the DB, through its kind."""
    return kind_get(ref.kind).load(ref.tenant_id, ref.task_id)


def _fallback(ref: TaskRef) -> TaskState | None:
    """Read the DB while Redis is out: one read per task per process serves the polls of a
    PROGRESS_FALLBACK_CACHE_SECONDS window (concurrent ones wait for it), so an outage does
    not turn every poll into a query."""
    return fallback_flight.run(ref, lambda: _load(ref), ttl=settings.PROGRESS_FALLBACK_CACHE_SECONDS)


def _fill(ref: TaskRef) -> TaskState | None:
    """Read the task from the DB and re-warm Redis (the NONE marker when it does not exist)."""
    state = _load(ref)
    warm = state if state is not None else TaskState(status=MISSING, attempt=0)
    try:
        if state is None and not store.missing_marker_allowed(ref.tenant_id):
            # Over the tenant's cap: answer 404 without a marker (the next poll reads the
            # DB again: one indexed lookup), rather than let invented ids fill Redis.
            return None
        # The script's forward-only rule makes this safe against a worker's newer write.
        store.state_write(ref, warm)
    except redis.RedisError as exc:
        REDIS_ERRORS.labels("rewarm").inc()
        logger.warning("progress re-warm failed for %s: %s", ref, exc)
    return state


def progress_get(ref: TaskRef) -> TaskState | None:
    """Return the task's state, or None when this tenant has no such task.

    A hit costs one Redis round trip and no SQL. On a miss one reader (the holder of the
    fill lock) reads the DB and re-warms; the others wait for the warm entry, so a thousand
    concurrent misses of one task make one query. If Redis is down, read the DB directly.
    """
    return progress_get_also(ref, None)[0]


def progress_get_also(ref: TaskRef, also: str | None) -> tuple[TaskState | None, str | None]:
    """Return progress_get(ref) and the value at key `also`, read in the same first round trip.

    `also` is None when Redis is down or has no such key.
    """
    try:
        state, extra = store.state_read_also(ref, also)
    except redis.RedisError as exc:
        REDIS_ERRORS.labels("read").inc()
        if not isinstance(exc, RedisUnavailable):  # while the breaker is open, every read would log
            logger.warning("progress read failed for %s, answering from the DB: %s", ref, exc)
        PROGRESS_READS.labels(ref.kind, "fallback").inc()
        return _fallback(ref), None
    return _progress_get_rest(ref, state), extra


def _progress_get_rest(ref: TaskRef, state: TaskState | None) -> TaskState | None:
    if state is not None:
        PROGRESS_READS.labels(ref.kind, "hit" if state.exists else "missing").inc()
        return state if state.exists else None

    PROGRESS_READS.labels(ref.kind, "miss").inc()
    client = get_redis()
    try:
        if guarded(lambda: client.set(fill_lock_key(ref), "1", nx=True, px=FILL_LOCK_MS)):
            try:
                # Look again: a holder that just finished may have filled it after our miss.
                state = store.state_read(ref)
                if state is None:
                    return _fill(ref)
                return state if state.exists else None
            finally:
                guarded(lambda: client.delete(fill_lock_key(ref)))
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(WAIT_STEP)
            state = store.state_read(ref)
            if state is not None:
                return state if state.exists else None
    except redis.RedisError as exc:
        REDIS_ERRORS.labels("fill").inc()
        logger.warning("progress fill failed for %s: %s", ref, exc)
    PROGRESS_READS.labels(ref.kind, "fallback").inc()
    return _fallback(ref)


def attempt_ended(ref: TaskRef, attempt: int) -> bool:
    """Tell whether Redis shows this attempt finished or superseded; False when unsure.

    A worker asks this after a progress write was refused, to stop work nobody waits for.
    """
    try:
        current = store.state_read(ref)
    except redis.RedisError as exc:  # Redis trouble must never stop a worker
        REDIS_ERRORS.labels("read").inc()
        logger.warning("progress read failed for %s: %s", ref, exc)
        return False
    if current is None or not current.exists:
        return False  # Redis lost the task: keep going, the final DB write repairs it
    return current.attempt > attempt or (current.attempt == attempt and current.terminal)


def active_tasks(tenant_id: int, *, limit: int = 200) -> list[tuple[TaskRef, float, TaskState]]:
    """Return the tenant's running tasks with their states: two Redis round trips, no SQL."""
    members = store.active_list(tenant_id, limit=limit)
    refs = [ref_from_member(tenant_id, member) for member, _ in members]
    states = store.states_read(refs)
    out = []
    stale = []
    for ref, (_, started_at), state in zip(refs, members, states):
        if state is None or not state.exists or state.terminal:
            stale.append(ref)  # ended (or lost) without leaving the index: tidy it
            continue
        out.append((ref, started_at, state))
    if stale:
        pipe = get_redis().pipeline(transaction=False)
        for ref in stale:
            store.active_remove(ref, pipeline=pipe)
        pipe.execute()
    return out


def progress_live(refs: list[TaskRef]) -> dict[TaskRef, dict]:
    """Return the public progress body of each task Redis holds: one round trip, no SQL.

    For lists: the caller already has the rows, so a task Redis lost is left out, not loaded.
    """
    if not refs:
        return {}
    states = store.states_read(refs)
    return {ref: kind_get(ref.kind).render(ref.task_id, state)
            for ref, state in zip(refs, states) if state is not None and state.exists}
