"""The in-process token bucket: reserve, then wait; fair queueing; thread safety."""
from __future__ import annotations

import threading

import pytest

from academy.messaging.tokenbucket import TokenBucket


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_token_bucket_allows_a_burst_then_queues_callers_at_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate_per_second=2, burst=3, clock=clock)

    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    # Empty: each further caller waits one more refill interval (0.5 s at 2/s).
    assert [bucket.acquire() for _ in range(3)] == [0.5, 1.0, 1.5]

    clock.now += 1.5  # the queued tokens are paid off; the bucket is empty, not negative
    assert bucket.tokens == 0.0
    assert bucket.acquire() == 0.5


def test_token_bucket_refills_up_to_the_burst_only():
    clock = FakeClock()
    bucket = TokenBucket(rate_per_second=10, burst=5, clock=clock)
    bucket.acquire(5)
    clock.now += 0.2
    assert bucket.tokens == pytest.approx(2.0)
    clock.now += 60
    assert bucket.tokens == 5.0
    assert bucket.acquire(5) == 0.0
    assert bucket.acquire(2) == pytest.approx(0.2)


def test_token_bucket_ignores_a_clock_going_backwards():
    clock = FakeClock()
    bucket = TokenBucket(rate_per_second=1, burst=1, clock=clock)
    bucket.acquire()
    clock.now -= 50
    assert bucket.acquire() == 1.0
    clock.now += 50  # back to where it was: no refill credited for the detour
    assert bucket.acquire() == 2.0


@pytest.mark.parametrize("kwargs, n, message", [
    ({"rate_per_second": 0, "burst": 1}, 1, "rate_per_second"),
    ({"rate_per_second": 1, "burst": 0}, 1, "burst"),
    ({"rate_per_second": 1, "burst": 2}, 3, "cannot take 3 tokens"),
    ({"rate_per_second": 1, "burst": 2}, 0, "n must be >= 1"),
])
def test_token_bucket_rejects_impossible_requests(kwargs, n, message):
    with pytest.raises(ValueError, match=message):
        TokenBucket(**kwargs, clock=FakeClock()).acquire(n)


def test_token_bucket_is_thread_safe():
    clock = FakeClock()
    bucket = TokenBucket(rate_per_second=1, burst=10, clock=clock)
    waits: list[float] = []
    lock = threading.Lock()

    def take():
        for _ in range(100):
            wait = bucket.acquire()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 400 reservations on a frozen clock: 10 free, then exactly one per second of waiting.
    assert sorted(waits) == [0.0] * 10 + [float(i) for i in range(1, 391)]
