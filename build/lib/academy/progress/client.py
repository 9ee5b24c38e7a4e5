"""The process's Redis connection pool."""
from __future__ import annotations

import threading

import redis
from django.conf import settings

_lock = threading.Lock()
_client: redis.Redis | None = None


def get_redis() -> redis.Redis:
    """Return the shared client (a blocking pool: under load callers wait, they don't fail)."""
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                pool = redis.BlockingConnectionPool.from_url(
                    settings.REDIS_URL,
                    max_connections=settings.REDIS_POOL_SIZE,
                    timeout=settings.REDIS_SOCKET_TIMEOUT * 5,
                    socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
                    socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
                    decode_responses=True,
                )
                _client = redis.Redis(connection_pool=pool)
    return _client


def reset_redis() -> None:
    """Forget the client (tests that point REDIS_URL elsewhere, forked workers)."""
    global _client
    with _lock:
        if _client is not None:
            _client.connection_pool.disconnect()
        _client = None
