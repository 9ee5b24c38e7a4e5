"""The process's Redis connection pool: one server, or a Redis Cluster.

`REDIS_URL` picks the shape: `redis://host:port/0` (or `rediss://`) is one server;
`redis+cluster://host:port,host:port` (or `rediss+cluster://`) is a cluster reached through
any of the listed nodes (redis-py discovers the rest). Every progress key of one task shares
a hash tag and every other key (active index, rate limiter) is a single key, so the same
code runs on both; see the README's deployment guide for which Redis roles may be a cluster.
"""
from __future__ import annotations

import functools
import threading
from urllib.parse import unquote, urlsplit

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.retry import Retry

_lock = threading.Lock()
_client: redis.Redis | RedisCluster | None = None

CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}  # scheme -> TLS


def redis_is_cluster(url: str) -> bool:
    """Tell whether a Redis URL names a cluster (`redis+cluster://`)."""
    return urlsplit(url).scheme in CLUSTER_SCHEMES


def _pool_wait() -> float:
    return settings.REDIS_SOCKET_TIMEOUT * 5  # seconds a caller waits for a free connection


def _pool_options() -> dict:
    return {
        # Per node on a cluster: a blocking pool, so under load callers wait, they don't fail.
        "max_connections": settings.REDIS_POOL_SIZE,
        "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
        "socket_connect_timeout": settings.REDIS_SOCKET_TIMEOUT,
        "decode_responses": True,
    }


def _cluster_from_url(url: str) -> RedisCluster:
    parts = urlsplit(url)
    hosts = parts.netloc.rpartition("@")[2]
    nodes = []
    for host in hosts.split(","):
        name, _, port = host.rpartition(":") if ":" in host else (host, "", "6379")
        nodes.append(ClusterNode(name, int(port or 6379)))
    return RedisCluster(
        startup_nodes=nodes,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        ssl=CLUSTER_SCHEMES[parts.scheme],
        # The cluster passes its options to every node's client too, and Redis() takes no
        # `timeout` (the wait for a free connection): bind it to the pool class instead.
        connection_pool_class=functools.partial(redis.BlockingConnectionPool, timeout=_pool_wait()),
        **_pool_options(),
    )


def redis_from_url(url: str) -> redis.Redis | RedisCluster:
    """Return a new client for a server or cluster URL, with our pool options."""
    if redis_is_cluster(url):
        return _cluster_from_url(url)
    # No retries: redis-py would retry a timed-out command three times, so a frozen Redis
    # would cost a request four socket timeouts instead of one (the breaker's bound).
    pool = redis.BlockingConnectionPool.from_url(url, timeout=_pool_wait(), retry=Retry(NoBackoff(), 0),
                                                 **_pool_options())
    return redis.Redis(connection_pool=pool)


def get_redis() -> redis.Redis | RedisCluster:
    """Return the shared client of REDIS_URL."""
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                _client = redis_from_url(settings.REDIS_URL)
    return _client


def redis_used_memory() -> int:
    """Return the bytes Redis uses: the sum over a cluster's primaries."""
    client = get_redis()
    if isinstance(client, RedisCluster):
        return sum(client.get_redis_connection(node).info("memory")["used_memory"]
                   for node in client.get_primaries())
    return client.info("memory")["used_memory"]


def ping() -> bool:
    """Return True when Redis answers; raise redis.RedisError when it does not."""
    return bool(get_redis().ping())


def reset_redis() -> None:
    """Forget the client (tests that point REDIS_URL elsewhere, forked workers)."""
    global _client
    with _lock:
        if _client is not None:
            if isinstance(_client, RedisCluster):
                _client.close()
            else:
                _client.connection_pool.disconnect()
        _client = None
