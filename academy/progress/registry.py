"""Task kinds tell the progress core how to find and change their rows, without it importing them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from academy.progress.statuses import RUNNING, Status
from academy.progress.types import TaskRef, TaskState


@dataclass(frozen=True)
class TaskKind:
    """One kind of task (its name, its model) as the lifecycle and the readers see it.

    model: a TaskRow subclass with a `tenant` foreign key and a `status` of Status values.
    success: the status of a finished run (DONE for jobs, READY for videos).
    state: the progress-store state that mirrors a row.
    render: the public progress body of a task from its state (task id, state) -> dict.
    enqueue: queue a run of the row's current attempt (called once the row is committed).
    parse_id: the primary key an id string names, or None when it is not one (no query then).
    error_field: the row's field that holds a failure's reason.
    retry_clear: the fields a new attempt resets, with their empty values.
    """

    name: str
    model: type
    success: Status
    state: Callable[[Any], TaskState]
    render: Callable[[str, TaskState], dict]
    enqueue: Callable[[Any], None]
    parse_id: Callable[[str], Any]
    error_field: str
    retry_clear: Mapping[str, Any] = field(default_factory=dict)

    def ref(self, row) -> TaskRef:
        """Return the TaskRef of one of this kind's rows."""
        return TaskRef(row.tenant_id, self.name, str(row.pk))

    def row_get(self, tenant_id: int, task_id) -> Any | None:
        """Return the tenant's row, or None (also for an id that is not one of this kind)."""
        pk = self.parse_id(str(task_id))
        if pk is None:
            return None
        return self.model.objects.filter(tenant_id=tenant_id, pk=pk).first()

    def load(self, tenant_id: int, task_id: str) -> TaskState | None:
        """Return the task's state from the DB, or None when the tenant has no such task."""
        row = self.row_get(tenant_id, task_id)
        return None if row is None else self.state(row)

    def unfinished(self) -> Iterable[tuple[TaskRef, TaskState]]:
        """Yield (ref, state) of every task not yet terminal, for reconciling."""
        for row in self.model.objects.filter(status__in=list(RUNNING)).iterator():
            yield self.ref(row), self.state(row)


_kinds: dict[str, TaskKind] = {}


def kind_register(kind: TaskKind) -> None:
    """Register a task kind (called from the app's ready())."""
    _kinds[kind.name] = kind


def kind_get(name: str) -> TaskKind:
    return _kinds[name]


def kinds_all() -> list[TaskKind]:
    return list(_kinds.values())
