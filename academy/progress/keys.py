"""Every Redis key of the progress store is built here, and only here.

A task's keys share the hash tag `{<task id>}`, so one script can update them atomically
and one pipeline read them, also on Redis Cluster. The tenant prefix comes first so that a
per-tenant ACL pattern (`~tenant:7:*`) covers all of a tenant's keys.
"""
from __future__ import annotations

from academy.progress.types import TaskRef


def _task_base(ref: TaskRef) -> str:
    """Return the prefix every key of one task shares (its hash tag included)."""
    return f"tenant:{int(ref.tenant_id)}:{ref.kind}:{{{ref.task_id}}}"


def task_keys(ref: TaskRef) -> tuple[str, str, str]:
    """Return the status, progress and step HASH keys of a task."""
    base = _task_base(ref)
    return f"{base}:status", f"{base}:progress", f"{base}:step"


def fill_lock_key(ref: TaskRef) -> str:
    """Return the single-flight lock taken by the one reader who refills a missed task."""
    return f"{_task_base(ref)}:fill"


def lease_key(ref: TaskRef) -> str:
    """Return the lease held by the one worker running an attempt of the task."""
    return f"{_task_base(ref)}:lease"


def missing_count_key(tenant_id: int) -> str:
    """Return the counter of "no such task" markers a tenant made in the current window."""
    return f"tenant:{int(tenant_id)}:missing_markers"


def active_key(tenant_id: int) -> str:
    """Return the ZSET of a tenant's running tasks (member kind:id, score start time)."""
    return f"tenant:{int(tenant_id)}:active"


def ref_from_member(tenant_id: int, member: str) -> TaskRef:
    """Return the TaskRef an active-index member names."""
    kind, _, task_id = member.partition(":")
    return TaskRef(tenant_id, kind, task_id)


def events_key(tenant_id: int) -> str:
    """Return the tenant's capped STREAM of task events (replayed to a reconnecting viewer)."""
    return f"tenant:{int(tenant_id)}:events"


def events_channel(tenant_id: int) -> str:
    """Return the Pub/Sub channel the tenant's task events are published on."""
    return f"tenant:{int(tenant_id)}:events"


def ticket_key(ticket: str) -> str:
    """Return the key of a single-use stream ticket."""
    return f"stream-ticket:{ticket}"
