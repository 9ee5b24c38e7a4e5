"""What tests of other apps may look at behind the face: the raw store, read back as it is.

Production code never imports this module (the boundary test keeps it so); tests do, to
flush Redis between tests and to check what a worker's writes left in the store.
"""
from __future__ import annotations

from academy.progress.breaker import breaker, fallback_flight
from academy.progress.client import get_redis as redis_client, reset_redis
from academy.progress.keys import task_keys
from academy.progress.publish import publish
from academy.progress.store import active_list, state_read, state_write



def breaker_reset() -> None:
    """Close the Redis circuit breaker and forget fallback answers (between tests)."""
    breaker.reset()
    fallback_flight.clear()


__all__ = ["breaker", "breaker_reset", "active_list", "publish", "redis_client", "reset_redis", "state_read", "state_write", "task_keys"]
