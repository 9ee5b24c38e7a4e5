"""Live progress over Server-Sent Events: one Redis subscription per process, fanned out.

GET /api/v1/progress/stream/?ticket=… is served by `stream_app`, a plain ASGI app that
academy/asgi.py routes ahead of Django: no middleware runs per connection or per event, and
no SQL runs at all (the ticket, the states and the events all come from Redis).

- The worker's write script announces every applied state on its tenant's channel and
  appends it to the tenant's capped stream (store.state_write): the stream entry id is the
  event id.
- Each process holds one Pub/Sub connection (Hub), subscribed to the channels of the tenants
  it has viewers of. A message is parsed and rendered once, then offered to each viewer of
  that tenant the caller's role may see.
- A viewer keeps at most one pending event per task, the latest: a slow reader skips
  intermediate states, never delays the others (the hub never awaits a viewer), and holds
  bounded memory. Past PROGRESS_STREAM_PENDING_MAX tasks it is resynchronised instead.
- On connect the viewer gets the events after Last-Event-ID from the stream (header, or
  `last_event_id` since a new EventSource cannot set it), or, when that gap is no longer in
  the stream (or no id was given), the current state of the tenant's running tasks and of
  the tasks it names in `watch=job:<id>,video:<id>`.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import parse_qs

import orjson
import redis
import redis.asyncio as aioredis
from django.conf import settings

from academy.access.roles import state_readable
from academy.counters import REDIS_ERRORS
from academy.progress import store
from academy.progress.client import get_redis, redis_is_cluster
from academy.progress.keys import events_channel, events_key, ticket_key
from academy.progress.registry import kind_get
from academy.progress.types import TaskRef, TaskState

logger = logging.getLogger(__name__)

STREAM_PATH = "/api/v1/progress/stream/"
WATCH_MAX = 50


@dataclass(frozen=True)
class Viewer:
    """Who a stream is for, as its ticket says."""

    tenant_id: int
    user_id: int
    role: str


def stream_ticket_create(*, tenant_id: int, user_id: int, role: str) -> dict:
    """Store a single-use ticket for one stream and return {"ticket", "expires_in"}.

    EventSource cannot send an Authorization header, and a bearer token in a URL ends up in
    logs: the ticket is short-lived, good for one connection, and for nothing else.
    """
    ticket = secrets.token_urlsafe(24)
    ttl = settings.PROGRESS_STREAM_TICKET_TTL
    value = orjson.dumps({"t": tenant_id, "u": user_id, "r": role})
    get_redis().set(ticket_key(ticket), value, ex=ttl)
    return {"ticket": ticket, "expires_in": ttl}


def stream_ticket_redeem(ticket: str) -> Viewer | None:
    """Return the viewer a ticket was made for and spend it; None when unknown or spent."""
    if not ticket or len(ticket) > 64:
        return None
    raw = get_redis().getdel(ticket_key(ticket))
    if raw is None:
        return None
    data = orjson.loads(raw)
    return Viewer(tenant_id=int(data["t"]), user_id=int(data["u"]), role=str(data["r"]))


def readable(viewer: Viewer, fields: dict) -> bool:
    """Tell whether the viewer's role may see a task: the progress endpoints' rule (access.roles).

    Staff see every task of their tenant; a student or parent only the tasks they own.
    """
    return state_readable(viewer, fields)


def _event_key(event_id: str) -> tuple[int, int]:
    """Return an event id ("<ms>-<seq>") as a sortable pair; (0, 0) when malformed."""
    ms, _, seq = event_id.partition("-")
    try:
        return int(ms), int(seq or 0)
    except ValueError:
        return 0, 0


def _pairs(flat) -> dict[str, str]:
    return dict(zip(flat[::2], flat[1::2])) if isinstance(flat, list) else {}


@dataclass(slots=True)
class Event:
    """One announced state, parsed and rendered once per process."""

    id: str
    member: str  # kind:task id, one per task
    fields: dict
    terminal: bool
    frame: bytes

    @property
    def key(self) -> tuple[int, int]:
        return _event_key(self.id)


def _frame(ref: TaskRef, state: TaskState, event_id: str | None) -> bytes:
    body = orjson.dumps(kind_get(ref.kind).render(ref.task_id, state))
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {ref.kind}\n".encode() + b"data: " + body + b"\n\n"


def event_parse(tenant_id: int, event_id: str, payload: str | bytes) -> Event | None:
    """Return the event a write script announced; None when it cannot be rendered."""
    try:
        data = orjson.loads(payload)
        fields = _pairs(data["s"])
        status = fields.pop("status")
        attempt = int(fields.pop("attempt", 0) or 0)
        ref = TaskRef(tenant_id, data["k"], data["i"])
        state = TaskState(status=status, attempt=attempt, fields=fields, progress=_pairs(data.get("p")),
                          step=_pairs(data.get("t")))
        return Event(id=event_id, member=ref.member, fields=fields, terminal=state.terminal,
                     frame=_frame(ref, state, event_id))
    except Exception:  # noqa: BLE001 - one bad event must not stop the hub
        logger.exception("unreadable progress event %s", event_id)
        return None


class Connection:
    """One open stream: its viewer and the latest pending event of each task."""

    def __init__(self, viewer: Viewer):
        self.viewer = viewer
        self.pending: dict[str, Event] = {}
        self.wake = asyncio.Event()
        self.resync = False

    def offer(self, event: Event) -> None:
        """Keep the event if the viewer may see it; never waits (called by the hub)."""
        if not readable(self.viewer, event.fields):
            return
        if self.pending.pop(event.member, None) is None and len(self.pending) >= settings.PROGRESS_STREAM_PENDING_MAX:
            # Too many tasks changed while this reader was away: start it over from the
            # current states rather than hold more.
            self.pending.clear()
            self.resync = True
        self.pending[event.member] = event
        self.wake.set()

    def take(self) -> list[Event]:
        events = list(self.pending.values())
        self.pending.clear()
        self.wake.clear()
        return events


class Hub:
    """The process's one Pub/Sub subscription, fanned out to its connections by tenant."""

    SUBSCRIBE_TIMEOUT = 5.0

    def __init__(self):
        self.tenants: dict[int, set[Connection]] = {}
        self._confirmed: dict[str, asyncio.Event] = {}
        self._pubsub = None
        self._reader: asyncio.Task | None = None
        self._lock: asyncio.Lock | None = None

    def _connect(self):
        url = settings.REDIS_URL
        if redis_is_cluster(url):
            # A plain PUBLISH reaches subscribers on every node of a cluster: listening on
            # the first node is enough.
            first = url.split("://", 1)[1].split(",")[0]
            url = ("rediss://" if url.startswith("rediss") else "redis://") + first.split("/")[0]
        client = aioredis.Redis.from_url(url, decode_responses=True,
                                         socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT)
        self._pubsub = client.pubsub()

    async def join(self, connection: Connection) -> None:
        """Deliver the tenant's events to the connection from the moment this returns."""
        tenant_id = connection.viewer.tenant_id
        loop = asyncio.get_running_loop()
        if self._reader is None or self._reader.done() or self._reader.get_loop() is not loop:
            # First connection of this process (or of a new event loop: tests start servers).
            self.tenants, self._confirmed, self._lock = {}, {}, asyncio.Lock()
            self._connect()
            self._reader = loop.create_task(self._read())
        channel = events_channel(tenant_id)
        async with self._lock:  # one SUBSCRIBE at a time on the one connection
            viewers = self.tenants.get(tenant_id)
            if viewers is None:
                viewers = self.tenants[tenant_id] = set()
                self._confirmed[channel] = asyncio.Event()
                await self._pubsub.subscribe(channel)
            viewers.add(connection)
        # Redis confirms the SUBSCRIBE once it delivers the channel's messages to us.
        await asyncio.wait_for(self._confirmed[channel].wait(), self.SUBSCRIBE_TIMEOUT)

    async def leave(self, connection: Connection) -> None:
        tenant_id = connection.viewer.tenant_id
        async with self._lock:
            viewers = self.tenants.get(tenant_id)
            if viewers is None:
                return
            viewers.discard(connection)
            if viewers:
                return
            del self.tenants[tenant_id]
            channel = events_channel(tenant_id)
            self._confirmed.pop(channel, None)
            try:
                await self._pubsub.unsubscribe(channel)
            except (redis.RedisError, OSError) as exc:
                logger.warning("unsubscribe of tenant %s failed: %s", tenant_id, exc)

    def dispatch(self, channel: str, data: str) -> None:
        tenant_id = int(channel.split(":")[1])
        viewers = self.tenants.get(tenant_id)
        if not viewers:
            return
        event_id, _, payload = data.partition(" ")
        event = event_parse(tenant_id, event_id, payload)
        if event is not None:
            for connection in viewers:
                connection.offer(event)

    async def _read(self) -> None:
        while True:
            try:
                while not self._pubsub.subscribed:
                    await asyncio.sleep(0.01)
                while True:
                    message = await self._pubsub.get_message(timeout=None)  # waits for the next one
                    if message is None:
                        continue
                    if message["type"] == "message":
                        self.dispatch(message["channel"], message["data"])
                    elif message["type"] == "subscribe" and message["channel"] in self._confirmed:
                        self._confirmed[message["channel"]].set()
            except (redis.RedisError, OSError) as exc:
                REDIS_ERRORS.labels("stream").inc()
                logger.warning("progress stream subscription lost, resubscribing: %s", exc)
                await asyncio.sleep(1.0)
                async with self._lock:
                    self._connect()
                    for tenant_id, viewers in list(self.tenants.items()):
                        try:
                            await self._pubsub.subscribe(events_channel(tenant_id))
                        except (redis.RedisError, OSError):
                            break
                        for connection in viewers:
                            # Events may have been lost meanwhile: send the current states.
                            connection.resync = True
                            connection.wake.set()


hub = Hub()


# --- what a connection is sent first ---------------------------------------------------------

def _watched(query: dict[str, list[str]], tenant_id: int) -> list[TaskRef]:
    refs = []
    for item in ",".join(query.get("watch", [])).split(",")[:WATCH_MAX]:
        kind, _, task_id = item.partition(":")
        if kind in ("job", "video") and task_id and len(task_id) <= 64:
            refs.append(TaskRef(tenant_id, kind, task_id))
    return refs


def replay_read(viewer: Viewer, last_event_id: str) -> tuple[list[bytes], str] | None:
    """Return the frames after last_event_id and the id they end at; None when the gap is gone."""
    if redis_is_cluster(settings.REDIS_URL) or _event_key(last_event_id) == (0, 0):
        return None
    client = get_redis()
    key = events_key(viewer.tenant_id)
    first = client.xrange(key, count=1)
    if not first or _event_key(first[0][0]) > _event_key(last_event_id):
        return None  # trimmed (or expired) past the viewer's last event: not replayable
    frames, end = [], last_event_id
    for event_id, values in client.xrange(key, min=f"({last_event_id}", max="+"):
        end = event_id
        event = event_parse(viewer.tenant_id, event_id, values.get("e", ""))
        if event is not None and readable(viewer, event.fields):
            frames.append(event.frame)
    return frames, end


def snapshot_read(viewer: Viewer, watched: Iterable[TaskRef]) -> tuple[list[bytes], str | None]:
    """Return the current states of the running and watched tasks, and the stream id they follow."""
    client = get_redis()
    end = None
    if not redis_is_cluster(settings.REDIS_URL):
        # Read first: every event up to this id is reflected in the states read next.
        latest = client.xrevrange(events_key(viewer.tenant_id), count=1)
        end = latest[0][0] if latest else None
    refs = [TaskRef(viewer.tenant_id, *member.partition(":")[::2])
            for member, _ in store.active_list(viewer.tenant_id)]
    refs += [ref for ref in watched if ref not in refs]
    frames = []
    for ref, state in zip(refs, store.states_read(refs)):
        if state is not None and state.exists and ref.kind in ("job", "video") and readable(viewer, state.fields):
            frames.append(_frame(ref, state, None))
    return frames, end


# --- the ASGI app ----------------------------------------------------------------------------

async def _answer(send, status: int, code: str, detail: str) -> None:
    body = orjson.dumps({"detail": detail, "code": code, "params": {}})
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


async def stream_app(scope, receive, send) -> None:
    """Serve one SSE connection (see the module docstring)."""
    if scope["method"] not in ("GET", "HEAD"):
        await _answer(send, 405, "method_not_allowed", "Use GET.")
        return
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    ticket = (query.get("ticket") or [""])[0]
    try:
        viewer = await asyncio.to_thread(stream_ticket_redeem, ticket)
    except redis.RedisError:
        await _answer(send, 503, "stream_unavailable", "The progress stream is unavailable; poll instead.")
        return
    if viewer is None:
        await _answer(send, 401, "stream_ticket_invalid", "The stream ticket is unknown, used or expired.")
        return
    last_event_id = _header(scope, b"last-event-id") or (query.get("last_event_id") or [""])[0]
    connection = Connection(viewer)
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"cache-control", b"no-store"),
        # Tells nginx not to buffer the stream; the client falls back to polling if one does.
        (b"x-accel-buffering", b"no"),
    ]})
    closed = asyncio.Event()

    async def watch_disconnect():
        while (await receive())["type"] != "http.disconnect":
            pass
        closed.set()
        connection.wake.set()

    watcher = asyncio.get_running_loop().create_task(watch_disconnect())
    try:
        await hub.join(connection)  # first: nothing published from now on is missed
        await send({"type": "http.response.body", "body": b"retry: 2000\n: ok\n\n", "more_body": True})
        watched = _watched(query, viewer.tenant_id)
        floor = await _initial(connection, send, last_event_id, watched)
        heartbeat = settings.PROGRESS_STREAM_HEARTBEAT
        while not closed.is_set():
            try:
                await asyncio.wait_for(connection.wake.wait(), heartbeat)
            except TimeoutError:
                # An event, not a comment: the browser's watchdog only sees events.
                await send({"type": "http.response.body", "body": b"event: ping\ndata: {}\n\n", "more_body": True})
                continue
            if closed.is_set():
                break
            if connection.resync:
                connection.resync = False
                connection.take()
                floor = await _initial(connection, send, "", watched)
                continue
            events = connection.take()
            body = b"".join(e.frame for e in events if floor is None or e.key > floor)
            if body:
                await send({"type": "http.response.body", "body": body, "more_body": True})
    except (redis.RedisError, OSError) as exc:
        logger.warning("progress stream of tenant %s ended: %s", viewer.tenant_id, exc)
    finally:
        watcher.cancel()
        await hub.leave(connection)
    if not closed.is_set():
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _initial(connection: Connection, send, last_event_id: str, watched) -> tuple[int, int] | None:
    """Send the replay (or the snapshot); return the event key below which pending is stale."""
    replay = await asyncio.to_thread(replay_read, connection.viewer, last_event_id) if last_event_id else None
    if replay is None:
        frames, end = await asyncio.to_thread(snapshot_read, connection.viewer, watched)
    else:
        frames, end = replay
    # "sync" ends the catch-up; its id is where a reconnect resumes when nothing follows.
    frames.append((f"id: {end}\n" if end else "").encode() + b"event: sync\ndata: {}\n\n")
    await send({"type": "http.response.body", "body": b"".join(frames), "more_body": True})
    return _event_key(end) if end else None
