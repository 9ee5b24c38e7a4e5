"""Per-user "valid after" stamps: a password change, a role change or a deactivation revokes
every token the user held, within the next request.

A token carries the millisecond it was issued (`ims`); the stamp is the millisecond of the last
revocation. A token issued before its user's stamp is refused. The stamp lives in Redis for
TOKEN_TTL (older tokens have expired by then anyway), so checking costs one GET and no SQL;
the progress endpoints fold that GET into their one Redis round trip.
"""
from __future__ import annotations

import logging
import time

import redis
from django.conf import settings
from django.db import transaction

from academy.counters import REDIS_ERRORS
from academy.progress.client import get_redis

logger = logging.getLogger(__name__)


def stamp_key(user_id: int) -> str:
    """Return the key of a user's "tokens valid after" stamp (milliseconds)."""
    return f"user:{int(user_id)}:tokens_valid_after"


def now_ms() -> int:
    return int(time.time() * 1000)


def tokens_revoke(*, user_id: int) -> None:
    """Refuse every token of the user issued until now; runs after the surrounding commit."""

    def write() -> None:
        # A token issued later than this millisecond passes: the one the password change
        # answers with, and every later login.
        stamp = now_ms()
        try:
            # Margin over TOKEN_TTL: a token is never older than that.
            get_redis().set(stamp_key(user_id), stamp, ex=settings.TOKEN_TTL + 60)
        except redis.RedisError as exc:
            REDIS_ERRORS.labels("revoke").inc()
            logger.error("token revocation of user %s failed: %s", user_id, exc)

    transaction.on_commit(write)


def token_revoked(*, issued_ms: int, stamp: str | None) -> bool:
    """Tell whether a token issued at issued_ms is older than the stamp read from Redis."""
    return stamp is not None and issued_ms < int(stamp)


def stamp_read(user_id: int) -> str | None:
    """Return the user's stamp, or None (also when Redis is down: tokens still expire on their own)."""
    try:
        return get_redis().get(stamp_key(user_id))
    except redis.RedisError as exc:
        REDIS_ERRORS.labels("revocation_read").inc()
        logger.warning("revocation stamp read failed: %s", exc)
        return None
