"""The per-tenant sending rate: a token bucket in Redis shared by every worker."""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import redis

from academy.messaging.tokenbucket import TokenBucket, bucket_check, take_check
from academy.metrics import REDIS_ERRORS
from academy.progress.client import get_redis

logger = logging.getLogger(__name__)

_LUA = (Path(__file__).parent / "scripts" / "token_bucket.lua").read_text()

# Used while Redis is down: one bucket per tenant and process. Each worker then keeps to
# the rate on its own, so the tenant's total may exceed it for as long as Redis is away.
_fallbacks: dict[tuple[int, float, int], TokenBucket] = {}
_fallbacks_lock = threading.Lock()


def ratelimit_key(tenant_id: int) -> str:
    """Return the Redis key of a tenant's messaging bucket."""
    return f"tenant:{int(tenant_id)}:ratelimit:messaging"


class RedisTokenBucket:
    """A tenant's token bucket in Redis; `acquire` as in TokenBucket (reserve, then wait).

    A Redis error never stops sending: it is logged and counted, and this process's
    fallback bucket of the same rate answers instead, for REDIS_RETRY_AFTER seconds before
    Redis is tried again, so a Redis outage costs one failed round trip, not one per message.
    """

    REDIS_RETRY_AFTER = 5.0

    def __init__(self, *, tenant_id: int, rate_per_second: float, burst: int,
                 client: redis.Redis | None = None):
        bucket_check(rate_per_second=rate_per_second, burst=burst)
        self.tenant_id = tenant_id
        self.rate = float(rate_per_second)
        self.burst = int(burst)
        self.key = ratelimit_key(tenant_id)
        self._client = client or get_redis()
        self._script = self._client.register_script(_LUA)
        self._redis_retry_at = 0.0

    def acquire(self, n: int = 1) -> float:
        """Take n tokens; return the seconds to wait before using them (0.0: now)."""
        take_check(n=n, burst=self.burst)
        if time.monotonic() >= self._redis_retry_at:
            try:
                return float(self._script(keys=[self.key], args=[self.rate, self.burst, n]))
            except redis.RedisError as exc:
                self._redis_retry_at = time.monotonic() + self.REDIS_RETRY_AFTER
                REDIS_ERRORS.labels("ratelimit").inc()
                logger.warning("messaging rate limit of tenant %s fell back to this process: %s",
                               self.tenant_id, exc)
        return self._fallback().acquire(n)

    def _fallback(self) -> TokenBucket:
        key = (self.tenant_id, self.rate, self.burst)
        with _fallbacks_lock:
            bucket = _fallbacks.get(key)
            if bucket is None:
                bucket = _fallbacks[key] = TokenBucket(self.rate, self.burst)
            return bucket
