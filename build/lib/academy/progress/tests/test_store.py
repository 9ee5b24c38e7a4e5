"""The status store against a real Redis: keys, forward-only transitions, TTLs."""
import pytest

from academy.progress import store
from academy.progress.keys import TaskRef, active_key, fill_lock_key, task_keys
from academy.progress.store import TaskState

REF = TaskRef(7, "video", "12")
SIX_HOURS = 6 * 3600


def write(status, attempt=1, **kw):
    return store.state_write(REF, TaskState(status=status, attempt=attempt, **kw))


def test_key_strings_are_pinned():
    assert task_keys(REF) == (
        "tenant:7:video:{12}:status",
        "tenant:7:video:{12}:progress",
        "tenant:7:video:{12}:step",
    )
    assert task_keys(TaskRef(3, "job", "6f0c"))[0] == "tenant:3:job:{6f0c}:status"
    assert fill_lock_key(REF) == "tenant:7:video:{12}:fill"
    assert active_key(7) == "tenant:7:active"


def test_keys_of_one_task_share_a_cluster_slot():
    from redis.crc import key_slot

    slots = {key_slot(key.encode()) for key in [*task_keys(REF), fill_lock_key(REF)]}
    assert len(slots) == 1
    assert key_slot(task_keys(TaskRef(7, "video", "13"))[0].encode()) not in slots


def test_forward_only_transitions(redis_client):
    assert write("PENDING")
    assert write("PROCESSING", progress={"percent": 10}, step={"index": 1, "total": 4, "name": "probe"})
    assert not write("PENDING"), "backwards"
    assert write("READY", fields={"hls_path": "v/12/master.m3u8", "duration": "5.0"})
    assert not write("READY", fields={"hls_path": "other"}), "a repeated terminal event is a no-op"
    assert not write("PROCESSING", progress={"percent": 99}), "a late progress event must not resurrect"
    assert not write("FAILED", fields={"error_reason": "late"})
    state = store.state_read(REF)
    assert state.status == "READY" and state.fields["hls_path"] == "v/12/master.m3u8"
    assert state.progress == {} and state.step == {}, "terminal drops the running details"


def test_terminal_replaces_running_fields(redis_client):
    write("PROCESSING", fields={"hb": "1700000000", "job_type": "x"}, progress={"percent": 50})
    write("DONE", fields={"job_type": "x", "result": "{}"})
    assert store.state_read(REF).fields == {"job_type": "x", "result": "{}"}


def test_attempts(redis_client):
    write("PROCESSING", attempt=1)
    write("FAILED", attempt=1, fields={"error_reason": "boom"})
    assert write("PENDING", attempt=2), "a retry starts a new attempt"
    assert store.state_read(REF).fields == {}, "nothing of the old attempt survives"
    assert not write("PROCESSING", attempt=1), "events of older attempts are ignored"
    assert not write("READY", attempt=1)
    assert write("PROCESSING", attempt=2)
    assert store.state_read(REF).status == "PROCESSING"


def test_progress_only_if_exists(redis_client):
    assert not store.state_write(REF, TaskState("PROCESSING", 1, progress={"percent": 5}), only_if_exists=True)
    assert store.state_read(REF) is None


def test_processing_ttl_slides_with_writes_not_reads(redis_client):
    status_key, progress_key, step_key = task_keys(REF)
    write("PROCESSING", progress={"percent": 1}, step={"index": 1})
    for key in task_keys(REF):
        assert SIX_HOURS - 60 < redis_client.ttl(key) <= SIX_HOURS
    redis_client.expire(status_key, 100)
    store.state_read(REF)
    assert redis_client.ttl(status_key) <= 100, "a read does not renew the TTL"
    write("PROCESSING", progress={"percent": 2})
    assert redis_client.ttl(status_key) > SIX_HOURS - 60, "a worker write renews it"


def test_terminal_has_no_ttl_by_default(redis_client):
    write("PROCESSING")
    write("DONE", fields={"result": "{}"})
    assert redis_client.ttl(task_keys(REF)[0]) == -1


def test_terminal_ttl_with_jitter_when_configured(redis_client, settings):
    settings.TERMINAL_STATUS_TTL = 86400
    settings.TERMINAL_STATUS_TTL_JITTER = 0.1
    ttls = set()
    for i in range(20):
        ref = TaskRef(7, "job", f"j{i}")
        store.state_write(ref, TaskState("PROCESSING", 1))
        store.state_write(ref, TaskState("DONE", 1))
        ttls.add(redis_client.ttl(task_keys(ref)[0]))
    assert all(86400 * 0.9 - 1 <= ttl <= 86400 * 1.1 for ttl in ttls)
    assert len(ttls) > 1, "expiries are spread, not one wave"


def test_unknown_status_is_rejected(redis_client):
    import redis

    with pytest.raises(redis.ResponseError):
        write("SOMETHING")


def test_terminal_entry_is_small(redis_client):
    write("PROCESSING", progress={"percent": 50}, step={"index": 2, "total": 4, "name": "transcode 720p"})
    write("READY", fields={"hls_path": "videos/7/12/hls/master.m3u8", "duration": "63.040"})
    used = sum(redis_client.memory_usage(key) or 0 for key in task_keys(REF))
    assert used <= 300, used
