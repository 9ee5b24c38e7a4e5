"""Login abuse limits, counted in Redis so every web process shares them.

Two fixed-window counters per attempt: one per (tenant, username) and one per client address.
An attempt is counted *before* the password is hashed, in one round trip, and refused when a
counter is over its limit: guessing costs the server no hashing once the limit is reached, and
concurrent attempts cannot overshoot. A success takes its attempt back (the username's counter
is cleared, the address's decremented), so only failures accumulate.

Unknown usernames are counted exactly like known ones: the answer never tells them apart.
"""
from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass

import redis
from django.conf import settings

from academy.counters import REDIS_ERRORS
from academy.progress.client import get_redis

logger = logging.getLogger(__name__)


class Throttled(Exception):
    """Too many attempts: try again after `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Attempt:
    """The counters one attempt was charged to; hand it back to attempt_succeeded()."""

    subject_key: str
    address_key: str


# A window that expired meanwhile must not come back as -1 with no TTL.
_DECR_IF_EXISTS = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end return 0"


def _subject_key(scope: str, tenant_id: int, subject: str) -> str:
    # Hashed: usernames are user input of any length and alphabet; the key stays short and plain.
    digest = hashlib.sha256(subject.casefold().encode()).hexdigest()[:32]
    return f"throttle:{scope}:subject:{int(tenant_id)}:{digest}"


def _address_key(scope: str, address: str) -> str:
    return f"throttle:{scope}:address:{address}"


def attempt_begin(*, scope: str, tenant_id: int, subject: str, address: str) -> Attempt | None:
    """Count an attempt against its subject and address; raise Throttled when either is over.

    Return None when Redis is unavailable: logins then go unthrottled (counted in
    academy_redis_errors_total) rather than everyone being locked out.
    """
    attempt = Attempt(_subject_key(scope, tenant_id, subject), _address_key(scope, address))
    window = settings.LOGIN_THROTTLE_WINDOW
    try:
        pipe = get_redis().pipeline(transaction=False)
        for key in (attempt.subject_key, attempt.address_key):
            pipe.incr(key)
            pipe.expire(key, window, nx=True)
            pipe.pttl(key)
        subject_count, _, subject_ttl, address_count, _, address_ttl = pipe.execute()
    except redis.RedisError as exc:
        REDIS_ERRORS.labels("throttle").inc()
        logger.warning("login throttle unavailable: %s", exc)
        return None
    over = [ttl for count, limit, ttl in (
        (subject_count, settings.LOGIN_THROTTLE_SUBJECT_LIMIT, subject_ttl),
        (address_count, settings.LOGIN_THROTTLE_ADDRESS_LIMIT, address_ttl),
    ) if count > limit]
    if over:
        raise Throttled(max(1, math.ceil(max(over) / 1000)))
    return attempt


def attempt_succeeded(attempt: Attempt | None) -> None:
    """Take a successful attempt back: clear the subject's failures, uncount it from the address."""
    if attempt is None:
        return
    try:
        # Two keys of different slots: two calls (a Redis Cluster refuses them in one script).
        client = get_redis()
        client.delete(attempt.subject_key)
        client.eval(_DECR_IF_EXISTS, 1, attempt.address_key)
    except redis.RedisError as exc:
        REDIS_ERRORS.labels("throttle").inc()
        logger.warning("login throttle unavailable: %s", exc)
