"""The compact layout of a finished task's HASH: exact round trips, small values, old entries read."""
import orjson
import pytest
from django.conf import settings
from hypothesis import given, settings as hsettings, strategies as st

from academy.progress import store
from academy.progress.client import redis_is_cluster
from academy.progress.codec import PACKED, fields_pack, fields_unpack, state_decode
from academy.progress.keys import events_key, task_keys
from academy.progress.reconcile import STUCK_REASON
from academy.progress.stream import event_parse
from academy.progress.types import TaskRef, TaskState

JOB = TaskRef(7, "job", "e3e70682-c209-4cac-a29f-6fbed82c07cd")
VIDEO = TaskRef(7, "video", "1000000")
LISTPACK_VALUE_MAX = 64  # Redis's default hash-max-listpack-value

CLEAN_IMPORT = orjson.dumps({"created": 90, "restored": 1, "skipped_existing": 10, "failed": [], "total": 100,
                             "detail_only": ["accounts"]}).decode()
FAILED_ROWS = orjson.dumps({"created": 3, "restored": 0, "skipped_existing": 0, "total": 140, "failed": [
    {"row": n, "name": f"Ünïcødé Student {n} — 学生", "error": "Phone: not a number.", "code": "row_not_saved",
     "params": {}} for n in range(2, 139)], "detail_only": ["accounts"]}).decode()

CASES = {
    "job DONE, clean import": (JOB, TaskState("DONE", 1, fields={
        "job_type": "excel_student_import", "own": "42", "result": CLEAN_IMPORT})),
    "job DONE, many failed rows (large, unicode)": (JOB, TaskState("DONE", 2, fields={
        "job_type": "excel_student_import", "own": "", "result": FAILED_ROWS})),
    "job DONE, message send": (JOB, TaskState("DONE", 1, fields={
        "job_type": "message_send", "own": "3",
        "result": '{"sent":120,"failed":[],"total":120,"skipped_already_sent":0}'})),
    "job DONE, unknown type and odd result": (JOB, TaskState("DONE", 1, fields={
        "job_type": "a_type_added_later", "own": "5", "result": '"tab\\there \\u0001 ~ {\\"created\\":"'})),
    "job DONE, null result": (JOB, TaskState("DONE", 1, fields={"job_type": "message_send", "own": "",
                                                                 "result": "null"})),
    "job FAILED, error fields": (JOB, TaskState("FAILED", 3, fields={
        "job_type": "excel_student_import", "own": "9",
        "error_message": "The job stopped on an internal error; it has been logged. Try again or contact support.",
        "error_code": "internal_error", "error_params": "{}"})),
    "job FAILED, stuck": (JOB, TaskState("FAILED", 5, fields={
        "job_type": "short_answer_grading", "own": "9", "error_message": STUCK_REASON, "error_code": "task_stuck",
        "error_params": '{"attempts":5}'})),
    "job FAILED, message with newlines and control characters": (JOB, TaskState("FAILED", 1, fields={
        "job_type": "message_send", "own": "9", "error_message": "line one\nline\ttwo\x1f\x10\x01 end",
        "error_code": "sending_stopped", "error_params": '{"reason":"quota","sent":3,"total":9,"wait_seconds":null}'})),
    "job CANCELLED": (JOB, TaskState("CANCELLED", 1, fields={"job_type": "message_send", "own": "1"})),
    "video READY": (VIDEO, TaskState("READY", 1, fields={
        "own": "", "hls_path": "videos/7/1000000/a1/master.m3u8", "duration": "1834.520"})),
    "video READY, non-standard path": (VIDEO, TaskState("READY", 2, fields={
        "own": "11", "hls_path": "https://cdn.example.com/vidéos/x y/master.m3u8", "duration": ""})),
    "video FAILED": (VIDEO, TaskState("FAILED", 1, fields={
        "own": "4", "hls_path": "", "duration": "",
        "error_reason": "The uploaded file could not be found; upload the video again.",
        "error_code": "", "error_params": "{}"})),
    "fields the codec does not know stay plain": (VIDEO, TaskState("READY", 1, fields={
        "own": "1", "hls_path": "videos/7/1000000/a1/master.m3u8", "duration": "1.000", "extra": "kept", "": "x"})),
}


@pytest.mark.parametrize("name", CASES)
def test_pack_round_trips_exactly(name):
    _, state = CASES[name]
    packed = fields_pack(state.fields)
    assert fields_unpack(packed) == state.fields
    assert "status" not in packed and "attempt" not in packed


@hsettings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["own", "job_type", "result", "error_message", "error_code", "error_params",
                                        "hls_path", "duration", "error_reason", "hb", "other"]),
                       st.text(alphabet=st.characters(codec="utf-8"), max_size=80)
                       | st.sampled_from(['{"created":', '"failed":[],"total":', "videos/", "/master.m3u8", "{}",
                                          "excel_student_import", STUCK_REASON])))
def test_pack_round_trips_any_text(fields):
    assert fields_unpack(fields_pack(fields)) == fields


def test_none_is_stored_as_empty_as_before():
    assert fields_unpack(fields_pack({"own": None, "extra": None})) == {"own": "", "extra": ""}


@pytest.mark.parametrize("name", [PACKED, "s", "a"])
def test_the_layout_names_are_reserved(name):
    with pytest.raises(ValueError):
        fields_pack({name: "x"})


def test_a_running_task_may_have_fields_named_like_the_short_names():
    state = state_decode({"status": "PROCESSING", "attempt": "2", "s": "x", "a": "y"})
    assert (state.status, state.attempt, state.fields) == ("PROCESSING", 2, {"s": "x", "a": "y"})


def test_common_finished_tasks_pack_under_the_listpack_limit():
    """At Redis defaults a HASH stays one listpack only while every value is <= 64 bytes."""
    for name in ("job DONE, clean import", "job DONE, message send", "job FAILED, error fields",
                 "job FAILED, stuck", "video READY", "video FAILED", "job CANCELLED"):
        packed = fields_pack(CASES[name][1].fields)
        assert set(packed) == {PACKED}, name
        assert len(packed[PACKED].encode()) <= LISTPACK_VALUE_MAX, (name, len(packed[PACKED].encode()))
    # The clean import's 101-byte result JSON is most of what it saves.
    assert len(fields_pack(CASES["job DONE, clean import"][1].fields)[PACKED]) <= 24


@pytest.mark.parametrize("name", CASES)
def test_store_round_trips_every_read(redis_client, name):
    ref, state = CASES[name]
    assert store.state_write(ref, TaskState("PROCESSING", state.attempt, fields={"hb": "1", "own": "1"},
                                            progress={"percent": 40}, step={"index": 1, "total": 3}))
    assert store.state_write(ref, state)
    for read in (store.state_read(ref), store.states_read([ref])[0], store.state_read_also(ref, "absent:key")[0]):
        assert (read.status, read.attempt, read.fields, read.progress, read.step) == (
            state.status, state.attempt, state.fields, {}, {})
    stored = redis_client.hgetall(task_keys(ref)[0])
    assert (stored["s"], stored["a"]) == (state.status, str(state.attempt)), "write.lua orders by these"
    assert "status" not in stored and "attempt" not in stored


def test_finished_tasks_are_stored_packed_and_small(redis_client):
    for name in ("job DONE, clean import", "video READY", "job FAILED, error fields"):
        ref, state = CASES[name]
        store.state_write(ref, state)
        stored = redis_client.hgetall(task_keys(ref)[0])
        assert set(stored) == {"s", "a", PACKED}, name
        assert max(len(value.encode()) for value in stored.values()) <= LISTPACK_VALUE_MAX, name


def test_running_states_stay_plain(redis_client):
    """A running task's fields are updated one by one (the heartbeat): only a finished one is packed."""
    store.state_write(JOB, TaskState("PROCESSING", 1, fields={"hb": "17", "own": "1", "job_type": "message_send"}))
    assert PACKED not in redis_client.hgetall(task_keys(JOB)[0])
    assert store.state_read(JOB).fields == {"hb": "17", "own": "1", "job_type": "message_send"}


def test_entries_of_the_old_layout_are_read_and_ordered(redis_client):
    """A deployment upgrades with finished tasks in Redis: they read as before, and stay final."""
    ref, state = CASES["job DONE, clean import"]
    redis_client.hset(task_keys(ref)[0], mapping={"status": "DONE", "attempt": "1", **state.fields})
    assert store.state_read(ref).fields == state.fields
    assert store.states_read([ref])[0].fields == state.fields
    assert not store.state_write(ref, TaskState("FAILED", 1, fields={"error_message": "late"})), "already terminal"
    assert not store.state_write(ref, TaskState("PROCESSING", 1)), "backwards"
    assert store.state_read(ref).fields == state.fields
    assert store.state_write(ref, TaskState("PENDING", 2)), "a retry replaces it"
    assert store.state_read(ref).fields == {}


def test_finished_entries_of_the_new_layout_keep_the_order_too(redis_client):
    ref, state = CASES["video READY"]
    assert store.state_write(ref, state)
    assert not store.state_write(ref, TaskState("FAILED", 1, fields={"error_reason": "late"})), "already terminal"
    assert not store.state_write(ref, TaskState("PROCESSING", 1, progress={"percent": 9})), "no resurrection"
    assert not store.state_write(ref, TaskState("READY", 0)), "an older attempt"
    assert store.state_read(ref).fields == state.fields
    assert store.state_write(ref, TaskState("PROCESSING", 2, fields={"own": ""})), "a retry replaces it"
    stored = redis_client.hgetall(task_keys(ref)[0])
    assert stored["status"] == "PROCESSING" and "s" not in stored and PACKED not in stored


@pytest.mark.skipif(redis_is_cluster(settings.REDIS_URL), reason="a cluster keeps no replay stream")
@pytest.mark.parametrize("name", ["job DONE, clean import", "job DONE, many failed rows (large, unicode)",
                                  "job FAILED, message with newlines and control characters", "video READY"])
def test_announced_events_decode_to_the_written_state(redis_client, name):
    ref, state = CASES[name]
    store.state_write(ref, state)
    [(event_id, values)] = redis_client.xrange(events_key(ref.tenant_id))
    event = event_parse(ref.tenant_id, event_id, values["e"])
    assert event.terminal and event.fields == state.fields
    decoded = state_decode(orjson.loads(values["e"])["s"])
    assert (decoded.status, decoded.attempt, decoded.fields) == (state.status, state.attempt, state.fields)


def test_decode_takes_dicts_or_flat_lists():
    assert state_decode({}) is None and state_decode([]) is None
    flat = ["status", "READY", "attempt", "2", *[x for kv in fields_pack({"own": "1"}).items() for x in kv]]
    state = state_decode(flat, {}, [])
    assert (state.status, state.attempt, state.fields, state.progress, state.step) == ("READY", 2, {"own": "1"}, {}, {})
