"""Task kinds tell the progress core how to find their tasks in the database."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from academy.progress.keys import TaskRef
from academy.progress.store import TaskState


@dataclass(frozen=True)
class TaskKind:
    """How the progress core reaches one kind's rows, without knowing its model.

    load: the task's state from the DB, or None when the tenant has no such task.
    unfinished: every (ref, state) not yet terminal, for reconciling.
    fail: mark a task FAILED (DB, then Redis) with a reason; attempt guards against races.
    render: the public progress body of a task from its state.
    """

    name: str
    load: Callable[[int, str], TaskState | None]
    unfinished: Callable[[], Iterable[tuple[TaskRef, TaskState]]]
    fail: Callable[[TaskRef, int, str], None]
    render: Callable[[str, TaskState], dict]


_kinds: dict[str, TaskKind] = {}


def kind_register(kind: TaskKind) -> None:
    """Register a task kind (called from the app's ready())."""
    _kinds[kind.name] = kind


def kind_get(name: str) -> TaskKind:
    return _kinds[name]


def kinds_all() -> list[TaskKind]:
    return list(_kinds.values())
