"""The worker's progress reporter: weighted steps, overall percent, ETA, coalesced writes."""
from __future__ import annotations

import threading
import time
from typing import Callable, Sequence

from django.conf import settings

from academy.metrics import PROGRESS_UPDATES
from academy.progress.keys import TaskRef
from academy.progress.publish import publish
from academy.progress.selectors import attempt_ended
from academy.progress.statuses import Status
from academy.progress.store import TaskState


class ProgressReporter:
    """Report a running task's progress to Redis, at most once per `min_interval` seconds.

    Steps are (name, weight) pairs; the overall percent weighs each step's share of the
    work. Remaining seconds come from the measured rate of overall progress. A step change
    is always written; in-step updates are coalesced. Redis errors never reach the caller.
    """

    def __init__(self, ref: TaskRef, *, attempt: int, steps: Sequence[tuple[str, float]],
                 fields: dict[str, str] | None = None, min_interval: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 write: Callable[[TaskRef, TaskState], bool] | None = None,
                 cancel: threading.Event | None = None):
        self.ref = ref
        self.attempt = attempt
        self.steps = list(steps)
        total = sum(weight for _, weight in self.steps) or 1.0
        self._shares = [weight / total for _, weight in self.steps]
        self.fields = dict(fields or {})
        self.min_interval = settings.PROGRESS_MIN_INTERVAL if min_interval is None else min_interval
        self._clock = clock
        self._write = write or self._publish
        self.cancel = cancel
        self._started = clock()
        self._last_write = float("-inf")
        self.index = 0
        self.step_fraction = 0.0
        self.written = 0
        self.coalesced = 0

    @property
    def percent(self) -> float:
        """Return the overall progress, 0-100."""
        done = sum(self._shares[: self.index])
        return 100.0 * min(1.0, done + self._shares[self.index] * self.step_fraction) if self.steps else 0.0

    def remaining_seconds(self) -> int | None:
        """Return the estimated seconds left from the rate so far, or None before it is known."""
        fraction = self.percent / 100.0
        elapsed = self._clock() - self._started
        if fraction < 0.01 or elapsed <= 0:
            return None
        return max(0, round(elapsed * (1.0 - fraction) / fraction))

    def step(self, index: int) -> None:
        """Enter step `index` (0-based) and write it at once."""
        self.index = max(0, min(index, len(self.steps) - 1))
        self.step_fraction = 0.0
        self._flush(force=True)

    def update(self, fraction: float, *, force: bool = False) -> None:
        """Record progress within the current step (0-1); written when due."""
        self.step_fraction = max(0.0, min(1.0, fraction))
        self._flush(force=force)

    def advance(self, done: int, total: int) -> None:
        """Record `done` of `total` units of the current step."""
        self.update(done / total if total else 1.0)

    def state(self) -> TaskState:
        """Return the state this reporter would write now."""
        remaining = self.remaining_seconds()
        return TaskState(
            status=Status.PROCESSING,
            attempt=self.attempt,
            fields=dict(self.fields),
            progress={"percent": int(self.percent), "remaining": "" if remaining is None else remaining},
            step={
                "index": self.index + 1,
                "total": len(self.steps),
                "name": self.steps[self.index][0] if self.steps else "",
                "percent": int(100 * self.step_fraction),
            },
        )

    def _publish(self, ref: TaskRef, state: TaskState) -> bool:
        applied = publish(ref, state, only_if_exists=True, index=False)
        if not applied and self.cancel is not None and attempt_ended(ref, self.attempt):
            self.cancel.set()
        return applied

    def _flush(self, *, force: bool) -> None:
        now = self._clock()
        if not force and now - self._last_write < self.min_interval:
            self.coalesced += 1
            PROGRESS_UPDATES.labels("coalesced").inc()
            return
        self._last_write = now
        self.written += 1
        PROGRESS_UPDATES.labels("written").inc()
        self._write(self.ref, self.state())
