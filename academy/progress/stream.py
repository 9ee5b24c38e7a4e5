"""Live progress over Server-Sent Events: one Redis subscription per process, fanned out.

GET /api/v1/progress/stream/?ticket=… is served by `stream_app`, a plain ASGI app that
academy/asgi.py routes ahead of Django: no middleware runs per connection or per event, and
no SQL runs at all (the ticket, the states and the events all come from Redis).

- The worker's write script announces every applied state on its tenant's channel and
  appends it to the tenant's capped stream (store.state_write): the stream entry id is the
  event id.
- Each process holds one Pub/Sub connection (Hub), subscribed to the channels of the tenants
  it has viewers of. A message is parsed and rendered once, and that frame is written to each
  viewer of the tenant whose role may see it, in the hub's own call (Connection.write): at
  10,000 viewers a task and a wake-up per event per connection cost more than the writes.
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
import gc
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import parse_qs

import orjson
import redis
import redis.asyncio as aioredis
from django.conf import settings

from academy.access.roles import is_staff, state_readable
from academy.counters import REDIS_ERRORS
from academy.progress import store
from academy.progress.client import _pool_wait, get_redis, redis_is_cluster
from academy.progress.keys import active_key, events_channel, events_key, ticket_key
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
    return _viewer(get_redis().getdel(ticket_key(ticket)))


def _viewer(raw: str | bytes | None) -> Viewer | None:
    if raw is None:
        return None
    data = orjson.loads(raw)
    return Viewer(tenant_id=int(data["t"]), user_id=int(data["u"]), role=str(data["r"]))


def readable(viewer: Viewer, fields: dict) -> bool:
    """Tell whether the viewer's role may see a task: the progress endpoints' rule (access.roles).

    Staff see every task of their tenant; a student or parent only the tasks they own.
    """
    return state_readable(viewer, fields)


# A Redis stream id as Redis writes it; anything else (a sign, spaces, "_", a missing part)
# would be refused by XRANGE, so it counts as no id at all.
_EVENT_ID = re.compile(r"([0-9]{1,20})(?:-([0-9]{1,20}))?")


def _event_key(event_id: str) -> tuple[int, int]:
    """Return an event id ("<ms>-<seq>") as a sortable pair; (0, 0) when malformed."""
    found = _EVENT_ID.fullmatch(event_id)
    if found is None:
        return 0, 0
    return int(found[1]), int(found[2] or 0)


@dataclass(slots=True)
class Event:
    """One announced state, parsed and rendered once per process, its frame shared by all viewers."""

    id: str
    key: tuple[int, int]  # the id, comparable
    member: str  # kind:task id, one per task
    fields: dict
    terminal: bool
    frame: bytes
    message: dict  # the ASGI message of the frame, sent as is to every viewer


def _body(data: bytes) -> dict:
    return {"type": "http.response.body", "body": data, "more_body": True}


def _frame(ref: TaskRef, state: TaskState, event_id: str | None) -> bytes:
    body = orjson.dumps(kind_get(ref.kind).render(ref.task_id, state))
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {ref.kind}\n".encode() + b"data: " + body + b"\n\n"


def event_parse(tenant_id: int, event_id: str, payload: str | bytes) -> Event | None:
    """Return the event a write script announced; None when it cannot be rendered."""
    try:
        data = orjson.loads(payload)
        ref = TaskRef(tenant_id, data["k"], data["i"])
        state = store.state_decode(data["s"], data.get("p") or (), data.get("t") or ())
        frame = _frame(ref, state, event_id)
        return Event(id=event_id, key=_event_key(event_id), member=ref.member, fields=state.fields,
                     terminal=state.terminal, frame=frame, message=_body(frame))
    except Exception:  # noqa: BLE001 - one bad event must not stop the hub
        logger.exception("unreadable progress event %s", event_id)
        return None


PING = b"event: ping\ndata: {}\n\n"


class Connection:
    """One open stream: its viewer, written to by the hub as events come.

    The hub writes an event's shared frame straight to the connection's socket, in the hub's
    own call (no task or wake-up per event per connection). Only when the socket's buffer is
    full (a slow reader) does a write wait, in a task of its own; meanwhile, and while the
    catch-up is read and sent, the connection keeps the latest pending event of each task.
    """

    __slots__ = ("viewer", "staff", "send", "watched", "pending", "floor", "live", "writer", "catching_up",
                 "wrote", "closed", "ended")

    def __init__(self, viewer: Viewer, send, watched: list[TaskRef] = ()):
        self.viewer = viewer
        self.staff = is_staff(viewer)  # sees every task of the tenant: no check per event
        self.send = send
        self.watched = watched
        self.pending: dict[str, Event] = {}
        self.floor: tuple[int, int] | None = None  # events up to this id are in the catch-up sent
        self.live = False  # False while a catch-up is read and sent: events wait in pending
        self.writer: asyncio.Task | None = None  # finishes a write the socket's buffer held up
        self.catching_up: asyncio.Task | None = None  # a resync's catch-up (held: the loop keeps weak refs)
        self.wrote = False  # since the last heartbeat sweep
        self.closed = False  # nothing more is written
        self.ended = False  # the response's last message is sent

    def offer(self, event: Event) -> None:
        """Write the event now if the viewer may see it, else keep it pending; never waits."""
        if self.floor is not None and event.key <= self.floor:
            return
        if not (self.staff or readable(self.viewer, event.fields)):
            return
        if self.live and self.writer is None:
            self.write(event.frame, event.message)
            return
        if self.pending.pop(event.member, None) is None and len(self.pending) >= settings.PROGRESS_STREAM_PENDING_MAX:
            # Too many tasks changed while this reader was away: start it over from the
            # current states rather than hold more.
            self.pending.clear()
            self.resync()
        self.pending[event.member] = event

    def write(self, body: bytes, message: dict | None = None) -> None:
        """Send bytes now; when the socket's buffer is full, finish in a task and hold events.

        message: the ASGI message of `body` when one is already made (an event's, shared).
        """
        if self.closed:
            return
        self.wrote = True
        # Run the server's send() up to its first wait: for a reader that keeps up it has
        # written to the socket by then and is done, with no task and no loop round-trip.
        coro = self.send(message or _body(body))
        try:
            waiting = coro.send(None)
        except StopIteration:
            return
        except Exception:  # noqa: BLE001 - the server refuses: the connection is gone
            self.closed = True
            return
        self.writer = asyncio.get_running_loop().create_task(self._finish(coro, waiting))

    async def _finish(self, coro, waiting) -> None:
        try:
            while True:
                if waiting is None:
                    await asyncio.sleep(0)
                else:
                    # The future the server's send() waits on (its drain): take it over as a
                    # Task would, then wait for it in this one.
                    waiting._asyncio_future_blocking = False
                    await waiting
                try:
                    waiting = coro.send(None)
                except StopIteration:
                    break
        except asyncio.CancelledError:  # the stream ended
            coro.close()
            self.closed = True
            raise
        except Exception:  # noqa: BLE001 - the connection is gone
            coro.close()
            self.closed = True
        finally:
            self.writer = None
        if not self.closed:
            self.flush()

    def flush(self) -> None:
        """Write the pending events, if the connection is live and not held up."""
        if self.pending and self.live and self.writer is None:
            events, self.pending = self.pending.values(), {}
            body = b"".join(e.frame for e in events if self.floor is None or e.key > self.floor)
            if body:
                self.write(body)

    async def end(self) -> None:
        """Send the response's end (once): the server then reports the stream over."""
        self.closed = True
        if not self.ended:
            self.ended = True
            await self.send({"type": "http.response.body", "body": b"", "more_body": False})

    def resync(self) -> None:
        """Send the current states again (events were lost or too many piled up)."""
        if self.live and not self.closed:
            self.live = False
            self.catching_up = asyncio.get_running_loop().create_task(catch_up(self, ""))

    def heartbeat(self) -> None:
        """Send a ping unless something was sent since the last sweep."""
        if self.wrote:
            self.wrote = False
        elif self.live and self.writer is None:
            # An event, not a comment: the browser's watchdog only sees events.
            self.write(PING)
            self.wrote = False


class Hub:
    """The process's one Pub/Sub subscription, fanned out to its connections by tenant."""

    SUBSCRIBE_TIMEOUT = 5.0

    def __init__(self):
        self.tenants: dict[int, set[Connection]] = {}
        self._confirmed: dict[str, asyncio.Event] = {}
        self._pubsub = None
        self._redis = None
        self._reader: asyncio.Task | None = None
        self._beat: asyncio.Task | None = None
        self._lock: asyncio.Lock | None = None
        self._frozen = False

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

    def redis(self) -> aioredis.Redis | None:
        """Return this loop's async client of REDIS_URL; None on a cluster (read in a thread)."""
        self.start()
        if self._redis is None and not redis_is_cluster(settings.REDIS_URL):
            # A blocking pool: a burst of connecting viewers waits for a free connection, it
            # does not fail with "too many connections".
            pool = aioredis.BlockingConnectionPool.from_url(
                settings.REDIS_URL, decode_responses=True, max_connections=settings.REDIS_POOL_SIZE,
                timeout=_pool_wait(), socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
                socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT)
            self._redis = aioredis.Redis(connection_pool=pool)
        return self._redis

    def start(self) -> None:
        """Start the subscription and the heartbeat on this loop, once."""
        loop = asyncio.get_running_loop()
        if self._reader is None or self._reader.done() or self._reader.get_loop() is not loop:
            # First connection of this process (or of a new event loop: tests start servers).
            self.tenants, self._confirmed, self._lock, self._redis = {}, {}, asyncio.Lock(), None
            if not self._frozen:
                # What is loaded by now (Django, the app: over 100,000 objects) stays for the
                # process's life: out of the cyclic collector's sight, a full collection scans
                # only what the connections add (about 40 objects each), a shorter pause.
                gc.freeze()
                self._frozen = True
            self._connect()
            self._reader = loop.create_task(self._read())
            self._beat = loop.create_task(self._heartbeat())

    async def join(self, connection: Connection) -> None:
        """Deliver the tenant's events to the connection from the moment this returns."""
        self.start()
        tenant_id = connection.viewer.tenant_id
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

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(settings.PROGRESS_STREAM_HEARTBEAT)
            for viewers in list(self.tenants.values()):
                for connection in list(viewers):
                    connection.heartbeat()

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
                            connection.resync()


hub = Hub()


# --- what a connection is sent first ---------------------------------------------------------

def _watched(query: dict[str, list[str]], tenant_id: int) -> list[TaskRef]:
    refs = []
    for item in ",".join(query.get("watch", [])).split(",")[:WATCH_MAX]:
        kind, _, task_id = item.partition(":")
        if kind in ("job", "video") and task_id and len(task_id) <= 64:
            refs.append(TaskRef(tenant_id, kind, task_id))
    return refs


async def _read(name: str, *args, **kwargs):
    """Run one read command: on this loop's async client, or in a thread on a cluster."""
    client = hub.redis()
    if client is None:
        return await asyncio.to_thread(getattr(get_redis(), name), *args, **kwargs)
    return await getattr(client, name)(*args, **kwargs)


async def stream_ticket_redeem_async(ticket: str) -> Viewer | None:
    """stream_ticket_redeem without blocking the loop."""
    if not ticket or len(ticket) > 64:
        return None
    return _viewer(await _read("getdel", ticket_key(ticket)))


async def replay_read(viewer: Viewer, last_event_id: str) -> tuple[list[bytes], str] | None:
    """Return the frames after last_event_id and the id they end at; None when the gap is gone."""
    if redis_is_cluster(settings.REDIS_URL) or _event_key(last_event_id) == (0, 0):
        return None
    key = events_key(viewer.tenant_id)
    first = await _read("xrange", key, count=1)
    if not first or _event_key(first[0][0]) > _event_key(last_event_id):
        return None  # trimmed (or expired) past the viewer's last event: not replayable
    ms, seq = _event_key(last_event_id)
    frames, end = [], f"{ms}-{seq}"
    for event_id, values in await _read("xrange", key, min=f"({end}", max="+"):
        end = event_id
        event = event_parse(viewer.tenant_id, event_id, values.get("e", ""))
        if event is not None and readable(viewer, event.fields):
            frames.append(event.frame)
    return frames, end


async def snapshot_read(viewer: Viewer, watched: Iterable[TaskRef]) -> tuple[list[bytes], str | None]:
    """Return the current states of the running and watched tasks, and the stream id they follow."""
    end = None
    if not redis_is_cluster(settings.REDIS_URL):
        # Read first: every event up to this id is reflected in the states read next.
        latest = await _read("xrevrange", events_key(viewer.tenant_id), count=1)
        end = latest[0][0] if latest else None
    refs = [TaskRef(viewer.tenant_id, *member.partition(":")[::2])
            for member in await _read("zrange", active_key(viewer.tenant_id), 0, store.ACTIVE_LIST_LIMIT - 1)]
    refs += [ref for ref in watched if ref not in refs]
    client = hub.redis()
    if client is None:
        states = await asyncio.to_thread(store.states_read, refs)
    else:
        pipe = client.pipeline(transaction=False)
        store.states_queue(pipe, refs)
        states = store.states_decode(await pipe.execute()) if refs else []
    frames = []
    for ref, state in zip(refs, states):
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
        viewer = await stream_ticket_redeem_async(ticket)
    except (redis.RedisError, OSError):
        await _answer(send, 503, "stream_unavailable", "The progress stream is unavailable; poll instead.")
        return
    if viewer is None:
        await _answer(send, 401, "stream_ticket_invalid", "The stream ticket is unknown, used or expired.")
        return
    last_event_id = _header(scope, b"last-event-id") or (query.get("last_event_id") or [""])[0]
    connection = Connection(viewer, send, _watched(query, viewer.tenant_id))
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"cache-control", b"no-store"),
        # Tells nginx not to buffer the stream; the client falls back to polling if one does.
        (b"x-accel-buffering", b"no"),
    ]})
    try:
        await hub.join(connection)  # first: nothing published from now on is missed
        if await catch_up(connection, last_event_id, first=True):
            # From here on the hub writes; this coroutine only waits for the reader to leave.
            while (await receive())["type"] != "http.disconnect":
                pass
    except (redis.RedisError, OSError, TimeoutError) as exc:
        logger.warning("progress stream of tenant %s ended: %s", viewer.tenant_id, exc)
    finally:
        connection.closed = True
        for task in (connection.writer, connection.catching_up):
            if task is not None:
                task.cancel()
        await hub.leave(connection)
    await connection.end()  # a no-op once the reader is gone


async def catch_up(connection: Connection, last_event_id: str, *, first: bool = False) -> bool:
    """Send the replay (or the snapshot), then go live; False (and the stream ends) when Redis fails."""
    connection.live = False
    if connection.writer is not None:
        await asyncio.wait([connection.writer])
    try:
        replay = await replay_read(connection.viewer, last_event_id) if last_event_id else None
        if replay is None:
            frames, end = await snapshot_read(connection.viewer, connection.watched)
        else:
            frames, end = replay
    except (redis.RedisError, OSError) as exc:
        logger.warning("progress stream of tenant %s ended: %s", connection.viewer.tenant_id, exc)
        if not first:
            await connection.end()  # the client notices and resumes (or polls)
        return False
    if connection.closed:
        return False
    if first:
        frames.insert(0, b"retry: 2000\n: ok\n\n")
    # "sync" ends the catch-up; its id is where a reconnect resumes when nothing follows.
    frames.append((f"id: {end}\n" if end else "").encode() + b"event: sync\ndata: {}\n\n")
    connection.floor = _event_key(end) if end else None
    connection.live = True
    connection.write(b"".join(frames))
    connection.flush()
    return True
