"""The in-process token bucket, and the contract every sending-rate limiter keeps."""
from __future__ import annotations

import threading
import time
from typing import Callable, Protocol


def bucket_check(*, rate_per_second: float, burst: int) -> None:
    """Raise ValueError unless a bucket of this rate and size can exist."""
    if not rate_per_second > 0:
        raise ValueError(f"rate_per_second must be > 0, got {rate_per_second!r}")
    if burst < 1:
        raise ValueError(f"burst must be >= 1, got {burst!r}")


def take_check(*, n: int, burst: int) -> None:
    """Raise ValueError unless n tokens can ever be taken at once from a bucket of `burst`."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n!r}")
    if n > burst:
        raise ValueError(f"cannot take {n} tokens at once from a bucket of {burst}")


class RateLimiter(Protocol):
    def acquire(self, n: int = 1) -> float:
        """Take n tokens; return the seconds to wait before using them (0.0: now)."""
        ...


class TokenBucket:
    """An in-process token bucket: `rate_per_second` refill, at most `burst` tokens.

    ``acquire`` reserves: it always takes the tokens, letting the balance go negative, and
    returns how long the caller must wait before sending. Callers queue up fairly: the
    second of two callers on an empty bucket waits twice as long. The Redis bucket of
    ratelimit.py keeps the same contract and falls back to this one. Thread-safe.
    """

    def __init__(self, rate_per_second: float, burst: int,
                 clock: Callable[[], float] = time.monotonic):
        bucket_check(rate_per_second=rate_per_second, burst=burst)
        self.rate = float(rate_per_second)
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self, n: int = 1) -> float:
        """Take n tokens; return the seconds to wait before using them (0.0: now)."""
        take_check(n=n, burst=self.burst)
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._updated)  # a clock going back adds nothing
            self._updated = max(self._updated, now)
            self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
            self._tokens -= n
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    @property
    def tokens(self) -> float:
        """Return the current balance (negative while callers are queued)."""
        with self._lock:
            elapsed = max(0.0, self._clock() - self._updated)
            return min(float(self.burst), self._tokens + elapsed * self.rate)
