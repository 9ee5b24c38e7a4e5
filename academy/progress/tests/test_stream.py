"""Push over Server-Sent Events against the real ASGI app, uvicorn and Redis."""
from __future__ import annotations

import ast
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from academy.progress import stream as stream_module
from academy.progress import testing
from academy.progress.client import redis_is_cluster
from academy.progress.keys import events_key
from academy.progress.stream import hub, stream_ticket_create, stream_ticket_redeem
from academy.progress.tests.streaming import StreamReader, asgi_server  # noqa: F401 (fixture)
from academy.progress.types import KIND_JOB, TaskRef, TaskState

pytestmark = pytest.mark.django_db


# On a Redis Cluster the write script announces with a plain PUBLISH and keeps no replay
# stream (README, "Push"): these two tests are about that stream.
replay_stream = pytest.mark.skipif(
    redis_is_cluster(settings.REDIS_URL),
    reason="a cluster keeps no replay stream (the announce is a plain PUBLISH)")


def job(tenant_id: int) -> TaskRef:
    return TaskRef(tenant_id, KIND_JOB, str(uuid.uuid4()))


def write(ref: TaskRef, status: str, percent: int = 0, step_name: str = "sending", **fields) -> None:
    fields = {"job_type": "message_send", **fields}
    if status == "DONE":
        fields["result"] = '{"sent": 1}'
    # Through publish, as the lifecycle and the reporter write: the active index follows.
    assert testing.publish(ref, TaskState(status, 1, fields=fields, progress={"percent": str(percent)},
                                          step={"index": "1", "total": "1", "name": step_name}))


def open_stream(server, *, tenant_id: int, user_id: int = 1, role: str = "owner", query: str = "",
                wait: bool = True, **kwargs) -> StreamReader:
    """Open a stream; with wait, return once its catch-up ("sync") has arrived: live from then on."""
    ticket = stream_ticket_create(tenant_id=tenant_id, user_id=user_id, role=role)["ticket"]
    host, port = server
    reader = StreamReader(host, port, f"/api/v1/progress/stream/?ticket={ticket}{query}", **kwargs)
    if wait:
        reader.until(lambda e: e.event == "sync")
    return reader


def is_done(ref):
    return lambda e: e.data.get("job_id") == ref.task_id and e.data["status"] == "DONE"


def all_done(*refs):
    """Match once every one of `refs` has been seen DONE, in any order.

    On a Redis Cluster each task's announce leaves from the node owning its slot, so events of
    different tasks may arrive in another order than they were written; one task's stay ordered.
    """
    waiting = {ref.task_id for ref in refs}

    def predicate(event):
        if event.event == "job" and event.data.get("status") == "DONE":
            waiting.discard(event.data.get("job_id"))
        return not waiting
    return predicate


def test_the_ticket_endpoint_answers_a_single_use_ticket_without_sql(make_member, api, django_assert_num_queries):
    tenant, user, token = make_member()
    with django_assert_num_queries(0):
        response = api(token).post("/api/v1/progress/stream-ticket/")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"ticket", "expires_in"} and body["expires_in"] > 0
    viewer = stream_ticket_redeem(body["ticket"])
    assert (viewer.tenant_id, viewer.user_id, viewer.role) == (tenant.pk, user.pk, "owner")
    assert stream_ticket_redeem(body["ticket"]) is None, "single use"
    assert api().post("/api/v1/progress/stream-ticket/").status_code == 401


def test_a_bad_ticket_is_refused_before_any_stream(asgi_server):
    reader = StreamReader(*asgi_server, "/api/v1/progress/stream/?ticket=nope")
    reader.thread.join(10)
    assert reader.status == 401


def test_events_arrive_in_order_and_end_with_the_terminal_state(asgi_server, redis_client):
    ref = job(41)
    reader = open_stream(asgi_server, tenant_id=41)
    for percent in (0, 10, 50, 90):
        write(ref, "PROCESSING", percent)
    write(ref, "DONE")

    events = reader.until(is_done(ref))
    mine = [e for e in events if e.event == "job"]
    assert [e.data["status"] for e in mine][-1] == "DONE" and mine[-1].data["result"] == {"sent": 1}
    percents = [e.data["progress"]["percent"] for e in mine if e.data["status"] == "PROCESSING"]
    assert percents == sorted(percents)
    ids = [stream_module._event_key(e.id) for e in mine]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), "one id per event, increasing"
    reader.close()


@replay_stream
def test_a_reconnect_with_last_event_id_misses_nothing(asgi_server, redis_client):
    first, second = job(42), job(42)
    reader = open_stream(asgi_server, tenant_id=42)
    write(first, "PROCESSING", 10)
    seen = reader.until(lambda e: e.event == "job")
    last_id = seen[-1].id
    reader.close()

    # Gone: these are written while nobody watches.
    write(first, "PROCESSING", 60)
    write(second, "PROCESSING", 5)
    write(first, "DONE")
    write(second, "PROCESSING", 40)
    missed = [entry_id for entry_id, _ in redis_client.xrange(events_key(42), min=f"({last_id}", max="+")]
    assert len(missed) == 4

    again = open_stream(asgi_server, tenant_id=42, headers={"Last-Event-ID": last_id}, wait=False)
    replayed = again.until(lambda e: e.id == missed[-1])
    assert [e.id for e in replayed if e.event == "job"] == missed, "every missed event, in order, once"
    write(second, "DONE")
    assert again.until(is_done(second))[-1].data["status"] == "DONE", "then live again"
    again.close()


@replay_stream
def test_without_a_replayable_id_the_current_states_are_sent(asgi_server, redis_client):
    running, finished = job(43), job(43)
    write(running, "PENDING")
    write(running, "PROCESSING", 30)
    write(finished, "DONE")
    watch = f"&watch=job:{finished.task_id}"
    reader = open_stream(asgi_server, tenant_id=43, query=watch, headers={"Last-Event-ID": "1-0"},  # trimmed away
                         wait=False)
    events = reader.until(lambda e: e.event == "sync")
    states = {e.data["job_id"]: e.data["status"] for e in events if e.event == "job"}
    assert states == {running.task_id: "PROCESSING", finished.task_id: "DONE"}
    assert events[-1].id == redis_client.xrevrange(events_key(43), count=1)[0][0]
    reader.close()


@pytest.mark.parametrize("bad_id", ["5-", "5_0-1", "+5-1", " 5-1", "5-1-2", "9" * 30])
def test_a_malformed_last_event_id_gets_the_current_states(asgi_server, redis_client, bad_id):
    # Not a stream id Redis would take: no replay attempt (which Redis would refuse, ending the
    # stream), the current states instead, as for an id too old to replay.
    running = job(47)
    write(running, "PROCESSING", 30)
    reader = open_stream(asgi_server, tenant_id=47, headers={"Last-Event-ID": bad_id}, wait=False)
    events = reader.until(lambda e: e.event == "sync")
    assert {e.data["job_id"]: e.data["status"] for e in events if e.event == "job"} == {
        running.task_id: "PROCESSING"}
    reader.close()


def test_another_tenants_and_another_roles_events_never_arrive(asgi_server, redis_client):
    staff = open_stream(asgi_server, tenant_id=44, user_id=1, role="teacher")
    student = open_stream(asgi_server, tenant_id=44, user_id=7, role="student")
    stranger = open_stream(asgi_server, tenant_id=45, user_id=2, role="owner")
    teachers, own, unowned, other_tenant = job(44), job(44), job(44), job(45)
    write(teachers, "PROCESSING", 10, own="1")
    write(other_tenant, "PROCESSING", 10)
    write(own, "PROCESSING", 20, own="7")
    write(unowned, "PROCESSING", 30)
    for ref, owner in ((teachers, "1"), (other_tenant, ""), (unowned, ""), (own, "7")):
        write(ref, "DONE", own=owner)

    def ids(reader, *expected):
        return {e.data["job_id"] for e in reader.until(all_done(*expected)) if e.event == "job"}

    assert ids(staff, teachers, own, unowned) == {teachers.task_id, own.task_id, unowned.task_id}
    # The student sees the task it owns, nothing else: not a teacher's, not one without owner.
    assert ids(student, own) == {own.task_id}
    assert ids(stranger, other_tenant) == {other_tenant.task_id}
    for reader in (staff, student, stranger):
        reader.close()
    assert all(e.data.get("job_id") in (None, own.task_id) for e in list(student.events.queue))


ROUNDS = 120  # 3 tasks x 120 events x 40 kB: far more than the blocked socket's buffers hold


def test_a_blocked_reader_does_not_delay_a_fast_one(asgi_server, redis_client, settings):
    refs = [job(46) for _ in range(3)]
    big = "x" * 40_000  # large events fill the blocked reader's socket buffers quickly
    blocked = open_stream(asgi_server, tenant_id=46, rcvbuf=4096, read=False, wait=False)
    fast = open_stream(asgi_server, tenant_id=46)
    for _ in range(500):  # the blocked one has joined too
        if len(hub.tenants.get(46, ())) == 2:
            break
        time.sleep(0.01)
    for round_ in range(ROUNDS):
        for ref in refs:
            write(ref, "PROCESSING", round_, step_name=big)
    for ref in refs:
        write(ref, "DONE")

    got = fast.until(all_done(*refs))
    assert {e.data["job_id"] for e in got if e.data.get("status") == "DONE"} == {r.task_id for r in refs}
    # The blocked connection holds at most one event per task while it does not read.
    connections = list(hub.tenants[46])
    assert max(len(c.pending) for c in connections) <= len(refs)

    blocked.start()  # it reads again: the latest state of each task, the terminal one last
    events = blocked.until(all_done(*refs))
    last = {}
    for e in events:
        if e.event == "job":
            last[e.data["job_id"]] = e.data["status"]
    assert last == {r.task_id: "DONE" for r in refs}
    assert len([e for e in events if e.event == "job"]) < 3 * ROUNDS, "intermediate states were skipped"
    for reader in (blocked, fast):
        reader.close()


def test_an_idle_stream_gets_heartbeat_events(asgi_server, redis_client, settings):
    settings.PROGRESS_STREAM_HEARTBEAT = 0.2
    reader = open_stream(asgi_server, tenant_id=47)
    # A sweep finds the catch-up sent since the last one; the next finds nothing sent: a ping,
    # an event (not a comment), so the browser's watchdog sees it.
    events = reader.until(lambda e: e.event == "ping", timeout=10)
    assert [e.event for e in events] == ["ping"]
    ref = job(47)
    write(ref, "PROCESSING", 10)
    assert reader.until(lambda e: e.event == "job")[-1].data["job_id"] == ref.task_id, "events still flow"
    reader.close()


def test_the_stream_module_never_touches_the_database():
    tree = ast.parse(Path(stream_module.__file__).read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {m for m in modules if m and (m.startswith("django.db") or m.endswith(".models"))}
    assert "connection" not in names
