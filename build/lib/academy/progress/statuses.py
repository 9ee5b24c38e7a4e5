"""Task statuses and the order they may move in."""
from enum import StrEnum


class Status(StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    READY = "READY"  # a video's success
    DONE = "DONE"  # a job's success
    FAILED = "FAILED"


TERMINAL = frozenset({Status.READY, Status.DONE, Status.FAILED})
# Kept in step with RANK in scripts/write.lua.
RANK = {Status.PENDING: 0, Status.PROCESSING: 1, Status.READY: 2, Status.DONE: 2, Status.FAILED: 2}
