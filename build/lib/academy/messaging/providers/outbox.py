"""The demo's SMS provider: one JSON line per message in a dated file."""
from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from academy.messaging.providers.base import ProviderUnavailable, SendResult
from academy.messaging.recipients import Recipient


_outbox_locks: dict[str, threading.Lock] = {}
_outbox_locks_guard = threading.Lock()


def _outbox_lock(directory: Path) -> threading.Lock:
    # One lock per directory, so two providers on one directory do not interleave either.
    key = os.path.abspath(directory)
    with _outbox_locks_guard:
        return _outbox_locks.setdefault(key, threading.Lock())


class FileOutboxProvider:
    """Append one JSON line per message to `<directory>/outbox-YYYYMMDD.jsonl` (UTC date).

    The demo's SMS provider. Each line is written with a single O_APPEND write under a
    per-directory lock: threads never interleave, and neither do processes in practice
    (POSIX appends one write at the end of the file). No fsync: this is a demo outbox.
    """

    def __init__(self, directory: str | os.PathLike[str], *,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.directory = Path(directory)
        self._now = now
        self._lock = _outbox_lock(self.directory)

    def path_for(self, when: datetime) -> Path:
        return self.directory / f"outbox-{when:%Y%m%d}.jsonl"

    def send(self, recipient: Recipient, *, subject: str, body: str,
             idempotency_key: str) -> SendResult:
        when = self._now()
        message_id = f"outbox-{uuid.uuid4().hex}"
        line = json.dumps({
            "id": message_id, "at": when.isoformat(), "kind": recipient.kind,
            "to": recipient.address, "subject": subject, "body": body,
            "idempotency_key": idempotency_key,
        }, ensure_ascii=False) + "\n"
        data = line.encode("utf-8")
        try:
            with self._lock:
                self.directory.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path_for(when), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view):]
                finally:
                    os.close(fd)
        except OSError as exc:  # no space, no permission: nothing else will succeed either
            raise ProviderUnavailable(f"outbox not writable: {exc}") from exc
        return SendResult.sent(message_id)
