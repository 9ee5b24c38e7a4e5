"""The status store: atomic forward-only writes and one-round-trip reads of task state."""
from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Iterable, Mapping

from django.conf import settings
from redis.client import Pipeline
from redis.cluster import RedisCluster

from academy.progress.breaker import guarded
from academy.progress.client import get_redis, redis_is_cluster
from academy.progress.codec import fields_pack, state_decode
from academy.progress.keys import active_key, events_channel, events_key, missing_count_key, task_keys
from academy.progress.types import MISSING, TaskRef, TaskState

_WRITE_LUA = (Path(__file__).parent / "scripts" / "write.lua").read_text()
_READ_LUA = (Path(__file__).parent / "scripts" / "read.lua").read_text()
_scripts: dict[str, object] = {}


def _script(source: str = _WRITE_LUA):
    """Return the registered script of this source for the current client."""
    client = get_redis()
    script = _scripts.get(source)
    if script is None or script.registered_client is not client:
        script = _scripts[source] = client.register_script(source)
    return script


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
                pipeline: Pipeline | None = None, announce: bool = True) -> bool | None:
    """Apply a state if it moves the task forward; return whether it was applied.

    An applied state is announced in the same script (the tenant's event stream and
    channel, for live viewers) unless announce=False. With a pipeline the call is queued
    and None returned; the caller reads the result. A finished state's fields are stored
    packed (academy.progress.codec), so its HASH stays one small listpack.
    """
    fields = fields_pack(state.fields) if state.terminal else state.fields
    args = [
        state.attempt,
        state.status,
        "1" if only_if_exists else "0",
        settings.PROCESSING_STATUS_TTL if state.status != MISSING else settings.PROGRESS_MISSING_TTL,
        _terminal_ttl(),
        len(fields),
        len(state.progress),
        len(state.step),
        *_flatten(fields),
        *_flatten(state.progress),
        *_flatten(state.step),
    ]
    keys = list(task_keys(ref))
    if announce and state.status != MISSING:
        if not redis_is_cluster(settings.REDIS_URL):
            # On a cluster the stream lives in another slot: announced by PUBLISH alone.
            keys.append(events_key(ref.tenant_id))
        args += [events_channel(ref.tenant_id), settings.PROGRESS_STREAM_MAXLEN,
                 settings.PROGRESS_STREAM_TTL, ref.kind, ref.task_id]
    script = _script()
    if pipeline is not None:
        script(keys=keys, args=args, client=pipeline)
        return None
    applied = guarded(lambda: script(keys=keys, args=args))[0]
    return bool(applied)


def state_read(ref: TaskRef) -> TaskState | None:
    """Return the task's state in one call of the read script, or None when Redis has nothing.

    A finished task costs one HGETALL inside it; a running one three (status, progress, step).
    """
    raw = guarded(lambda: _script(_READ_LUA)(keys=task_keys(ref)))
    return state_decode(*raw)


def state_read_also(ref: TaskRef, also: str | None) -> tuple[TaskState | None, str | None]:
    """Return the task's state and the string value at key `also`, in the same call.

    For a caller's own per-request check (a token revocation stamp): a poll stays one round
    trip. On a Redis Cluster that key lives in another slot, so it costs a second command there.
    """
    if also is None:
        return state_read(ref), None
    client = get_redis()
    if isinstance(client, RedisCluster):
        return state_read(ref), guarded(lambda: client.get(also))
    raw = guarded(lambda: _script(_READ_LUA)(keys=[*task_keys(ref), also]))
    extra = raw.pop(0) or None
    return state_decode(*raw), extra


def states_read(refs: Iterable[TaskRef]) -> list[TaskState | None]:
    """Return the states of several tasks in one round trip.

    Plain HGETALLs in a pipeline, not the read script: on a Redis Cluster the tasks live on
    different nodes, and a pipelined EVALSHA is not reloaded on a node that lacks the script.
    """
    refs = list(refs)
    if not refs:
        return []
    pipe = get_redis().pipeline(transaction=False)
    states_queue(pipe, refs)
    return states_decode(guarded(pipe.execute))


def states_queue(pipe, refs: Iterable[TaskRef]) -> None:
    """Queue the reads of states_read on a pipeline (sync or asyncio): decode with states_decode."""
    for ref in refs:
        for key in task_keys(ref):
            pipe.hgetall(key)


def states_decode(raw: list) -> list[TaskState | None]:
    """Return the states a pipeline of states_queue answered, in order."""
    return [state_decode(*raw[i:i + 3]) for i in range(0, len(raw), 3)]


def active_add(ref: TaskRef) -> None:
    """Add a task to its tenant's active index (NX: a re-add keeps the first start time)."""
    guarded(lambda: get_redis().zadd(active_key(ref.tenant_id), {ref.member: time.time()}, nx=True))


def active_remove(ref: TaskRef, *, pipeline: Pipeline | None = None) -> None:
    """Remove a finished task from its tenant's active index."""
    if pipeline is not None:
        pipeline.zrem(active_key(ref.tenant_id), ref.member)
    else:
        guarded(lambda: get_redis().zrem(active_key(ref.tenant_id), ref.member))


ACTIVE_LIST_LIMIT = 200


def active_list(tenant_id: int, *, limit: int = ACTIVE_LIST_LIMIT) -> list[tuple[str, float]]:
    """Return (member, started_at) of a tenant's running tasks, oldest first."""
    return guarded(lambda: get_redis().zrange(active_key(tenant_id), 0, limit - 1, withscores=True))


def state_delete(ref: TaskRef) -> None:
    """Delete a task's keys and its active-index entry in one round trip."""
    pipe = get_redis().pipeline(transaction=True)
    pipe.delete(*task_keys(ref))
    active_remove(ref, pipeline=pipe)
    pipe.execute()


def missing_marker_allowed(tenant_id: int) -> bool:
    """Count one more "no such task" marker of the tenant; False once over PROGRESS_MISSING_CAP.

    The window is PROGRESS_MISSING_TTL, the markers' own lifetime: at most the cap of them
    exist per tenant at any time, however many ids are invented.
    """
    pipe = get_redis().pipeline(transaction=False)
    key = missing_count_key(tenant_id)
    pipe.incr(key)
    pipe.expire(key, settings.PROGRESS_MISSING_TTL, nx=True)
    count, _ = guarded(pipe.execute)
    return count <= settings.PROGRESS_MISSING_CAP
