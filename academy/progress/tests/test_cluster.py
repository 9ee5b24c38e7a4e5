"""The progress store on a Redis Cluster: run by `make test-scale` with REDIS_URL=redis+cluster://.

The rest of this package's tests run there too (same modules, second invocation); these
pin what only a cluster can show: a tenant's tasks spread over several nodes, and every
multi-key operation stays inside one slot.
"""
import pytest
from django.conf import settings
from redis.cluster import RedisCluster
from redis.crc import key_slot

from academy.messaging.ratelimit import RedisTokenBucket
from academy.progress import selectors, store
from academy.progress.client import redis_is_cluster, redis_used_memory
from academy.progress.keys import TaskRef, active_key, fill_lock_key, task_keys
from academy.progress.publish import publish
from academy.progress.store import TaskState


def test_cluster_urls_are_recognised():
    assert redis_is_cluster("redis+cluster://10.0.0.1:6379,10.0.0.2:6379")
    assert redis_is_cluster("rediss+cluster://user:pw@redis.internal:6380")
    assert not redis_is_cluster("redis://127.0.0.1:6379/0")
    assert not redis_is_cluster("rediss://127.0.0.1:6379/0")


on_cluster = pytest.mark.skipif(not redis_is_cluster(settings.REDIS_URL),
                                reason="needs REDIS_URL=redis+cluster:// (make test-scale)")


@on_cluster
def test_the_client_is_a_cluster_client_over_three_primaries(redis_client):
    assert isinstance(redis_client, RedisCluster)
    assert len(redis_client.get_primaries()) == 3


@on_cluster
def test_a_tenants_tasks_spread_over_nodes_and_read_in_one_call(redis_client):
    refs = [TaskRef(7, "job", f"job-{n}") for n in range(30)]
    nodes = {redis_client.get_node_from_key(task_keys(ref)[0]).name for ref in refs}
    assert len(nodes) == 3, "30 task ids land on every primary"
    for n, ref in enumerate(refs):
        publish(ref, TaskState(status="PROCESSING", attempt=1, progress={"percent": str(n)}))

    # Non-transactional pipeline across slots: redis-py groups the commands per node.
    states = store.states_read(refs)
    assert [s.progress["percent"] for s in states] == [str(n) for n in range(30)]
    # The active index is one key, so one slot: all 30 members sit in it.
    active = selectors.active_tasks(7)
    assert {ref for ref, _, _ in active} == set(refs)
    assert redis_client.zcard(active_key(7)) == 30

    # Ending a task on one node tidies the index on another (a different slot).
    publish(refs[0], TaskState(status="DONE", attempt=1, fields={"result": "{}"}))
    assert redis_client.zcard(active_key(7)) == 29


@on_cluster
def test_one_tasks_script_write_and_read_stay_on_one_node(redis_client):
    ref = TaskRef(3, "video", "41")
    slots = {key_slot(key.encode()) for key in (*task_keys(ref), fill_lock_key(ref))}
    assert len(slots) == 1
    assert store.state_write(ref, TaskState(status="PENDING", attempt=1))
    assert store.state_write(ref, TaskState(status="PROCESSING", attempt=1, step={"index": "1"}))
    assert not store.state_write(ref, TaskState(status="PENDING", attempt=1)), "forward-only on the cluster too"
    node = redis_client.get_node_from_key(task_keys(ref)[0])
    direct = redis_client.get_redis_connection(node)
    assert direct.hget(task_keys(ref)[0], "status") == "PROCESSING"
    assert direct.hget(task_keys(ref)[2], "index") == "1"


@on_cluster
def test_the_rate_limiter_shares_its_bucket_across_clients(redis_client):
    first = RedisTokenBucket(tenant_id=5, rate_per_second=1, burst=2)
    second = RedisTokenBucket(tenant_id=5, rate_per_second=1, burst=2)
    assert [first.acquire(), second.acquire()] == [0.0, 0.0]
    assert second.acquire() > 0.5, "the third token of the burst of 2 must wait"


@on_cluster
def test_used_memory_sums_the_primaries(redis_client):
    per_node = [redis_client.get_redis_connection(n).info("memory")["used_memory"]
                for n in redis_client.get_primaries()]
    assert redis_used_memory() >= sum(per_node) * 0.9
