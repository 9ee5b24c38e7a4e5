"""The values every task kind shares with the progress core: names, states, kinds."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from academy.progress.statuses import TERMINAL

# The task kinds of this project; a kind's name is part of its Redis keys and its
# active-index member, so it never changes once tasks of it exist.
KIND_JOB = "job"
KIND_VIDEO = "video"

# A short-lived marker for "the database has no such task", so a storm of polls for a
# missing id does not become a storm of SELECTs.
MISSING = "NONE"


class TaskRef(NamedTuple):
    """Names one task: its tenant, its kind (KIND_JOB, KIND_VIDEO) and its id."""

    tenant_id: int
    kind: str
    task_id: str

    @property
    def member(self) -> str:
        """Return the task's name inside its tenant's active index."""
        return f"{self.kind}:{self.task_id}"


@dataclass(slots=True)
class TaskState:
    """A task as the progress store holds it; values are strings, as Redis keeps them."""

    status: str
    attempt: int
    fields: dict[str, str] = field(default_factory=dict)
    progress: dict[str, str] = field(default_factory=dict)
    step: dict[str, str] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.status != MISSING

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def remaining_seconds(self) -> int | None:
        """Return the worker's estimate of the seconds left, or None while it has none."""
        value = self.progress.get("remaining")
        return int(float(value)) if value not in (None, "") else None


class TaskCancelled(Exception):
    """Raised by a reporter built with raise_on_cancel once its attempt ended elsewhere."""
