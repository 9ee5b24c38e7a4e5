"""A circuit breaker around Redis, and the in-process single flight of DB fallbacks.

A frozen Redis (stopped, not refusing) makes every command wait its socket timeout. After
PROGRESS_BREAKER_FAILURES consecutive timeouts this process stops asking Redis
for PROGRESS_BREAKER_OPEN_SECONDS: reads go straight to the DB, writes are skipped (reconcile
repairs Redis later). Then one caller probes Redis; success closes the breaker, failure
opens it again. The worst added latency of a request is one socket timeout
(REDIS_SOCKET_TIMEOUT), paid by the few requests that open the breaker and by one probe
per open period; every other request meanwhile pays nothing for Redis. A refused
connection (Redis down, not frozen) fails at once and is not counted: it costs no wait.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, TypeVar

import redis
from django.conf import settings

T = TypeVar("T")


class RedisUnavailable(redis.ConnectionError):
    """Redis is skipped: the breaker is open."""


class Breaker:
    def __init__(self):
        self._lock = threading.Lock()
        self.failures = 0
        self.open_until = 0.0
        self.probing = False

    def allow(self) -> bool:
        """Tell whether this call may use Redis (closed, or the one probe of a half-open breaker)."""
        with self._lock:
            if self.failures < settings.PROGRESS_BREAKER_FAILURES:
                return True
            if time.monotonic() < self.open_until or self.probing:
                return False
            self.probing = True
            return True

    def record(self, ok: bool) -> None:
        with self._lock:
            self.probing = False
            if ok:
                self.failures = 0
                return
            self.failures += 1
            if self.failures >= settings.PROGRESS_BREAKER_FAILURES:
                self.open_until = time.monotonic() + settings.PROGRESS_BREAKER_OPEN_SECONDS

    def record_refused(self) -> None:
        """A fast failure: neither a timeout nor a success (a probe that got it may probe again)."""
        with self._lock:
            self.probing = False

    @property
    def is_open(self) -> bool:
        return self.failures >= settings.PROGRESS_BREAKER_FAILURES

    def reset(self) -> None:
        with self._lock:
            self.failures, self.open_until, self.probing = 0, 0.0, False


breaker = Breaker()


def guarded(call: Callable[[], T]) -> T:
    """Run a Redis call through the breaker; raise RedisUnavailable while it is open."""
    if not breaker.allow():
        raise RedisUnavailable("Redis skipped for a while after repeated failures")
    try:
        result = call()
    except redis.TimeoutError:
        breaker.record(False)
        raise
    except redis.RedisError:
        breaker.record_refused()
        raise
    breaker.record(True)
    return result


class SingleFlight:
    """Concurrent callers for one key share one call; the answer is reused for `ttl` seconds.

    Bounds the DB reads of progress polls while Redis is out: per process, at most one
    query per task per `ttl`, however many polls arrive.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._flights: dict[object, threading.Event] = {}
        self._answers: dict[object, tuple[float, object]] = {}

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()

    def run(self, key, call: Callable[[], T], *, ttl: float) -> T:
        while True:
            with self._lock:
                now = time.monotonic()
                answer = self._answers.get(key)
                if answer is not None and now - answer[0] < ttl:
                    return answer[1]
                flight = self._flights.get(key)
                if flight is None:
                    flight = self._flights[key] = threading.Event()
                    leader = True
                else:
                    leader = False
            if not leader:
                flight.wait(timeout=10)
                with self._lock:
                    answer = self._answers.get(key)
                if answer is not None:
                    return answer[1]
                continue  # the leader failed: try again, maybe as the leader
            try:
                value = call()
                with self._lock:
                    self._answers[key] = (time.monotonic(), value)
                    if len(self._answers) > 10_000:  # bounded: drop the oldest half
                        for stale in sorted(self._answers, key=lambda k: self._answers[k][0])[:5_000]:
                            del self._answers[stale]
                return value
            finally:
                with self._lock:
                    del self._flights[key]
                flight.set()


fallback_flight = SingleFlight()
