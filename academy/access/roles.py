"""The role matrix for tasks: who may read which task, decided from the token alone.

Every task carries its owner (the user who started it) and its audience, in its DB row and
in its Redis status hash (fields `own` and `aud`), so the check on the progress path needs
no SQL. The full matrix, per route, is in the README's "Security model".
"""
from __future__ import annotations

STAFF_ROLES = frozenset({"owner", "teacher"})

# Who besides staff and the task's owner may read a task.
AUDIENCE_STAFF = "staff"      # jobs: AI grading, messages, imports hold other people's data
AUDIENCE_MEMBERS = "members"  # lecture videos: published to every member of the academy
OWNER_FIELD, AUDIENCE_FIELD = "own", "aud"


def is_staff(identity) -> bool:
    return getattr(identity, "role", None) in STAFF_ROLES


def task_readable(identity, *, owner_id, audience: str | None) -> bool:
    """Tell whether the caller may read a task of its tenant (the tenant is checked by the key).

    Staff read every task of their tenant; students and parents read the tasks they started
    and those published to all members. A missing audience (an entry written before audiences
    existed) counts as staff-only.
    """
    if is_staff(identity):
        return True
    if audience == AUDIENCE_MEMBERS:
        return True
    return owner_id not in (None, "") and str(owner_id) == str(identity.user_id)


def task_audience_fields(*, owner_id: int | None, audience: str) -> dict[str, str]:
    """Return the status-hash fields that carry a task's owner and audience."""
    return {OWNER_FIELD: "" if owner_id is None else str(owner_id), AUDIENCE_FIELD: audience}


def state_readable(identity, fields: dict) -> bool:
    """task_readable() for a task as the progress store holds it."""
    return task_readable(identity, owner_id=fields.get(OWNER_FIELD), audience=fields.get(AUDIENCE_FIELD))
