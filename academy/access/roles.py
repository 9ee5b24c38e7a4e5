"""The role matrix for tasks: who may read which task, decided from the token alone.

Every task carries its owner (the user who started it) in its DB row and in its Redis status
hash (field `own`), so the check on the progress path needs no SQL. The full matrix, per
route, is in the README's "Security model".
"""
from __future__ import annotations

STAFF_ROLES = frozenset({"owner", "teacher"})
OWNER_FIELD = "own"


def is_staff(identity) -> bool:
    return getattr(identity, "role", None) in STAFF_ROLES


def task_readable(identity, *, owner_id) -> bool:
    """Tell whether the caller may read a task of its tenant (the tenant is checked by the key).

    Staff read every task of their tenant: grading results, message reports and imports hold
    other people's data, and staff started them. Students and parents read the tasks they
    started themselves, nothing else.
    """
    if is_staff(identity):
        return True
    return owner_id not in (None, "") and str(owner_id) == str(identity.user_id)


def task_owner_fields(*, owner_id: int | None) -> dict[str, str]:
    """Return the status-hash field that carries a task's owner."""
    return {OWNER_FIELD: "" if owner_id is None else str(owner_id)}


def state_readable(identity, fields: dict) -> bool:
    """task_readable() for a task as the progress store holds it (an entry without an owner: staff only)."""
    return task_readable(identity, owner_id=fields.get(OWNER_FIELD))
