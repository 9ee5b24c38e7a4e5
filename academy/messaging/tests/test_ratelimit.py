"""The per-tenant sending bucket in a real Redis: shared by workers, kept when Redis is down."""
from __future__ import annotations

import socket
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from academy.messaging.ratelimit import RedisTokenBucket, ratelimit_key


def test_the_key_is_pinned():
    assert ratelimit_key(7) == "tenant:7:ratelimit:messaging"
    assert ratelimit_key("7") == "tenant:7:ratelimit:messaging"


def test_a_burst_then_one_token_per_interval(redis_client):
    # A slow rate keeps the check meaningful on a loaded machine: the slack allowed for time
    # passing between the 8 calls (0.25 s) is half an interval, not a race against the clock.
    bucket = RedisTokenBucket(tenant_id=7, rate_per_second=2, burst=5)

    waits = [bucket.acquire() for _ in range(8)]

    assert waits[:5] == [0.0] * 5
    # Reserved in turn: the 6th waits one interval (0.5 s), the 7th two, the 8th three.
    for got, expected in zip(waits[5:], [0.5, 1.0, 1.5]):
        assert expected - 0.25 <= got <= expected
    stored = redis_client.hgetall("tenant:7:ratelimit:messaging")
    # -3 plus what refilled while the 8 calls ran (the same 0.25 s of slack: half a token).
    assert set(stored) == {"tokens", "ts"} and float(stored["tokens"]) < -2.5
    # The key expires once the bucket would be full again (8 tokens at 2/s): idle tenants
    # leave nothing.
    assert 0 < redis_client.ttl("tenant:7:ratelimit:messaging") <= 5


def test_workers_of_one_tenant_share_the_bucket_other_tenants_do_not(redis_client):
    first = RedisTokenBucket(tenant_id=1, rate_per_second=1, burst=2)
    second = RedisTokenBucket(tenant_id=1, rate_per_second=1, burst=2)  # another worker
    other = RedisTokenBucket(tenant_id=2, rate_per_second=1, burst=2)

    assert [first.acquire(), second.acquire()] == [0.0, 0.0]
    assert second.acquire() > 0.9  # the bucket the two share is empty
    assert other.acquire() == 0.0


def test_tokens_come_back_with_time(redis_client):
    bucket = RedisTokenBucket(tenant_id=3, rate_per_second=20, burst=2)
    assert bucket.acquire(2) == 0.0

    time.sleep(0.11)  # two tokens' worth

    assert bucket.acquire(2) == 0.0


def test_keeping_to_the_rate_takes_real_time(redis_client):
    bucket = RedisTokenBucket(tenant_id=4, rate_per_second=100, burst=10)
    started = time.monotonic()

    for _ in range(60):
        time.sleep(bucket.acquire())

    # 10 at once, then 50 at 100 per second.
    assert 0.48 <= time.monotonic() - started < 1.5


@pytest.mark.parametrize("n, message", [(0, "n must be >= 1"), (6, "cannot take 6 tokens")])
def test_bad_requests(redis_client, n, message):
    with pytest.raises(ValueError, match=message):
        RedisTokenBucket(tenant_id=5, rate_per_second=1, burst=5).acquire(n)


def test_redis_down_falls_back_to_a_bucket_in_this_process(caplog):
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = redis.Redis(port=port, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0), decode_responses=True)
    bucket = RedisTokenBucket(tenant_id=6, rate_per_second=10, burst=2, client=dead)

    waits = [bucket.acquire() for _ in range(3)]

    # Sending goes on, and still at the tenant's rate.
    assert waits[:2] == [0.0, 0.0] and 0.08 <= waits[2] <= 0.1
    # One failed round trip, not one per message: Redis is tried again a few seconds later.
    assert caplog.text.count("fell back to this process") == 1
