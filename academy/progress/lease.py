"""The attempt lease: one worker at a time runs an attempt, whatever the broker delivers twice.

Tasks ack late, so a message comes back when its visibility timeout passes before the work
ends, when SQS (at-least-once) hands out a copy, or when a worker process dies mid-task.
The broker's visibility timeout outlasts VIDEO_ENCODE_TIMEOUT (settings check), but a queue
created beforehand keeps its own timeout, and copies happen anyway. So the worker that
starts an attempt holds a short Redis lease, renewed by a thread while it works; a second
delivery that finds it held is put off (its task retries after one lease period), and runs
only if the holder died (the lease lapsed) and the attempt has not ended meanwhile.

A Redis failure never stops a worker: if the lease cannot be asked for, the work runs.
"""
from __future__ import annotations

import logging
import threading
import uuid
from contextlib import contextmanager
from typing import Iterator

import redis
from django.conf import settings

from academy.counters import REDIS_ERRORS
from academy.progress.client import get_redis
from academy.progress.keys import lease_key
from academy.progress.types import TaskRef

logger = logging.getLogger(__name__)

# Take the lease when it is free or held by an OLDER attempt: a newer attempt exists only
# because retry or reconcile superseded the old one (its worker is dead or will stop at its
# next write), so waiting out a dead worker's lease would only leave the new attempt unreported.
_ACQUIRE = """
local held = redis.call('GET', KEYS[1])
if held then
  local attempt = tonumber(string.match(held, '^(%d+):'))
  if attempt == nil or attempt >= tonumber(ARGV[3]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
# Renew or delete only a lease we hold (compare the token first): one key, so one slot.
_RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


class AttemptLease:
    """A held (or refused) lease on one attempt of a task; renewed in the background while held."""

    def __init__(self, ref: TaskRef, attempt: int, *, ttl: float | None = None):
        self.key = lease_key(ref)
        self.attempt = int(attempt)
        self.token = f"{self.attempt}:{uuid.uuid4().hex}"
        self.ttl_ms = int((ttl or settings.TASK_LEASE_TTL) * 1000)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lease; False when a worker of this attempt (or a newer one) holds it.

        True (unchecked) if Redis fails.
        """
        try:
            if not get_redis().eval(_ACQUIRE, 1, self.key, self.token, self.ttl_ms, self.attempt):
                return False
        except redis.RedisError as exc:
            REDIS_ERRORS.labels("lease").inc()
            logger.warning("attempt lease %s not taken, running anyway: %s", self.key, exc)
            return True
        self._thread = threading.Thread(target=self._renew, name=f"lease {self.key}", daemon=True)
        self._thread.start()
        return True

    def _renew(self) -> None:
        # Three renewals per period: one slow or failed round trip does not lose the lease.
        while not self._stop.wait(self.ttl_ms / 3000):
            try:
                if not get_redis().eval(_RENEW, 1, self.key, self.token, self.ttl_ms):
                    logger.warning("attempt lease %s was lost (expired or taken over)", self.key)
                    return
            except redis.RedisError as exc:
                REDIS_ERRORS.labels("lease").inc()
                logger.warning("attempt lease %s not renewed: %s", self.key, exc)

    def release(self) -> None:
        """Stop renewing and delete the lease if it is still ours."""
        self._stop.set()
        if self._thread is None:
            return
        self._thread.join()
        self._thread = None
        try:
            get_redis().eval(_RELEASE, 1, self.key, self.token)
        except redis.RedisError as exc:  # it lapses on its own within one period
            REDIS_ERRORS.labels("lease").inc()
            logger.warning("attempt lease %s not released: %s", self.key, exc)


@contextmanager
def attempt_lease(ref: TaskRef, attempt: int) -> Iterator[bool]:
    """Hold the attempt's lease for the block; yield False when another worker holds it."""
    lease = AttemptLease(ref, attempt)
    held = lease.acquire()
    try:
        yield held
    finally:
        lease.release()
