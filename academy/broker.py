"""The Redis broker transport, with one fix: a worker survives losing Redis mid-task.

kombu 5.7.0 (the newest release) crashes the worker for good when the broker connection
drops while a message is unacknowledged (acks_late: every running task): Celery first
collects the broken connection, which detaches the transport from it, then closes it, and
the channel's close tries to put the unacked messages back on a Redis it can no longer
address: "Unrecoverable error: AttributeError('NoneType' object has no attribute
'hostname')". An idle worker has nothing to restore and reconnects.

Here the restore is skipped when the transport is already detached. Nothing is lost by
that: the messages stay in the broker's unacked set, from which kombu restores them once
the visibility timeout passes, and if Redis lost them (a crash without persistence),
progress reconcile re-queues the task from the database row.
Selected with CELERY_BROKER_TRANSPORT (settings) for redis:// brokers.
"""
from __future__ import annotations

import logging

from kombu.transport import redis as kombu_redis

logger = logging.getLogger(__name__)


class QoS(kombu_redis.QoS):
    def _detached(self) -> bool:
        """Tell whether this channel's connection was torn down after a broker loss."""
        transport = getattr(self.channel, "connection", None)
        return transport is None or transport.client is None

    def restore_unacked(self, client=None):
        """Put unacked messages back on their queues, unless the connection is already gone."""
        if client is None and self._detached():
            if self._delivered:
                logger.warning("broker connection lost with %d unacknowledged message(s); they stay in "
                               "the broker's unacked set and are restored after the visibility timeout",
                               len(self._delivered))
            self._delivered.clear()
            return None
        return super().restore_unacked(client)

    def ack(self, delivery_tag):
        """Acknowledge; a task that outlived its connection leaves its message to be redelivered.

        The redelivered message finds its attempt ended in the database and is skipped.
        """
        if self._detached():
            logger.warning("not acknowledging message %s: its broker connection was lost", delivery_tag)
            self._delivered.pop(delivery_tag, None)
            return None
        return super().ack(delivery_tag)

    def reject(self, delivery_tag, requeue=False):
        if self._detached():
            logger.warning("not rejecting message %s: its broker connection was lost", delivery_tag)
            self._delivered.pop(delivery_tag, None)
            return None
        return super().reject(delivery_tag, requeue=requeue)


class Channel(kombu_redis.Channel):
    QoS = QoS


class Transport(kombu_redis.Transport):
    Channel = Channel


def broker_queued_runs(app, queues: list[str]) -> set[tuple[str, int]] | None:
    """Return (task id, attempt) of every run the Redis broker still holds; None if it can't tell.

    Counts messages waiting in `queues` and those delivered but unacknowledged (running,
    prefetched, or deferred with a countdown). Our tasks take (task id, attempt) as their
    arguments. Reconcile re-queues a PENDING task that has no run here: its message was lost.
    One LRANGE per queue and one HVALS, a few hundred bytes per waiting message.
    """
    import ast
    import json

    if not app.conf.broker_url.startswith(("redis://", "rediss://")):
        return None  # SQS and others cannot be listed: reconcile falls back to a pending timeout
    runs: set[tuple[str, int]] = set()
    with app.connection_for_read() as conn:
        channel = conn.default_channel
        client = channel.client
        raw = []
        for queue in queues:
            raw.extend(client.lrange(queue, 0, -1))
        for packed in client.hvals(channel.unacked_key):
            try:
                raw.append(json.loads(packed)[0])
            except (ValueError, TypeError, IndexError):
                continue
    for message in raw:
        try:
            if isinstance(message, (bytes, str)):
                message = json.loads(message)
            args = ast.literal_eval(message["headers"]["argsrepr"])
            runs.add((str(args[0]), int(args[1])))
        except (ValueError, TypeError, KeyError, IndexError, SyntaxError):
            continue
    return runs
