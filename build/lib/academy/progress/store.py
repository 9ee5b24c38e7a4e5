"""The status store: atomic forward-only writes and one-round-trip reads of task state."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from django.conf import settings
from redis.client import Pipeline

from academy.progress.client import get_redis
from academy.progress.keys import TaskRef, active_key, task_keys
from academy.progress.statuses import TERMINAL

# A short-lived marker for "the database has no such task", so a storm of polls for a
# missing id does not become a storm of SELECTs.
MISSING = "NONE"

_WRITE_LUA = (Path(__file__).parent / "scripts" / "write.lua").read_text()
_write_script = None


@dataclass(slots=True)
class TaskState:
    """A task as the progress store holds it; values are strings, as Redis keeps them."""

    status: str
    attempt: int
    fields: dict[str, str] = field(default_factory=dict)
    progress: dict[str, str] = field(default_factory=dict)
    step: dict[str, str] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.status != MISSING

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


def _script():
    global _write_script
    client = get_redis()
    if _write_script is None or _write_script.registered_client is not client:
        _write_script = client.register_script(_WRITE_LUA)
    return _write_script


def _terminal_ttl() -> int:
    """Return the TTL of a finished task: 0 (keep) by default, else N seconds with jitter."""
    ttl = settings.TERMINAL_STATUS_TTL
    if not ttl:
        return 0
    # Jitter spreads expiries, so finished tasks never fall back to the DB in one wave.
    spread = int(ttl * settings.TERMINAL_STATUS_TTL_JITTER)
    return ttl + random.randint(-spread, spread)


def _flatten(mapping: Mapping[str, object]) -> list[str]:
    out: list[str] = []
    for key, value in mapping.items():
        if value is None:
            value = ""
        out.extend((key, str(value)))
    return out


def state_write(ref: TaskRef, state: TaskState, *, only_if_exists: bool = False,
                pipeline: Pipeline | None = None) -> bool | None:
    """Apply a state if it moves the task forward; return whether it was applied.

    With a pipeline the call is queued and None returned; the caller reads the result.
    """
    args = [
        state.attempt,
        state.status,
        "1" if only_if_exists else "0",
        settings.PROCESSING_STATUS_TTL if state.status != MISSING else settings.PROGRESS_MISSING_TTL,
        _terminal_ttl(),
        len(state.fields),
        len(state.progress),
        len(state.step),
        *_flatten(state.fields),
        *_flatten(state.progress),
        *_flatten(state.step),
    ]
    script = _script()
    if pipeline is not None:
        script(keys=task_keys(ref), args=args, client=pipeline)
        return None
    applied, _reason = script(keys=task_keys(ref), args=args)
    return bool(applied)


def _parse(raw_status: dict, raw_progress: dict, raw_step: dict) -> TaskState | None:
    if not raw_status or "status" not in raw_status:
        return None
    fields = dict(raw_status)
    status = fields.pop("status")
    attempt = int(fields.pop("attempt", 0) or 0)
    return TaskState(status=status, attempt=attempt, fields=fields, progress=raw_progress, step=raw_step)


def state_read(ref: TaskRef) -> TaskState | None:
    """Return the task's state in one round trip, or None when Redis has nothing."""
    pipe = get_redis().pipeline(transaction=True)
    for key in task_keys(ref):
        pipe.hgetall(key)
    return _parse(*pipe.execute())


def states_read(refs: Iterable[TaskRef]) -> list[TaskState | None]:
    """Return the states of several tasks in one round trip."""
    refs = list(refs)
    if not refs:
        return []
    pipe = get_redis().pipeline(transaction=False)
    for ref in refs:
        for key in task_keys(ref):
            pipe.hgetall(key)
    raw = pipe.execute()
    return [_parse(*raw[i:i + 3]) for i in range(0, len(raw), 3)]


def active_add(ref: TaskRef) -> None:
    """Add a task to its tenant's active index (NX: a re-add keeps the first start time)."""
    get_redis().zadd(active_key(ref.tenant_id), {ref.member: time.time()}, nx=True)


def active_remove(ref: TaskRef, *, pipeline: Pipeline | None = None) -> None:
    """Remove a finished task from its tenant's active index."""
    client = pipeline if pipeline is not None else get_redis()
    client.zrem(active_key(ref.tenant_id), ref.member)


def active_list(tenant_id: int, *, limit: int = 200) -> list[tuple[str, float]]:
    """Return (member, started_at) of a tenant's running tasks, oldest first."""
    return get_redis().zrange(active_key(tenant_id), 0, limit - 1, withscores=True)


__all__ = [
    "MISSING", "TaskState", "active_add", "active_list", "active_remove",
    "state_read", "state_write", "states_read",
]
