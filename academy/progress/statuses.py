"""Task statuses and the order they may move in."""
from enum import StrEnum


class Status(StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    READY = "READY"  # a video's success
    DONE = "DONE"  # a job's success
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"  # stopped on request; retry starts a new attempt


RUNNING = frozenset({Status.PENDING, Status.PROCESSING})
TERMINAL = frozenset({Status.READY, Status.DONE, Status.FAILED, Status.CANCELLED})
# Kept in step with RANK in scripts/write.lua (a test compares them).
RANK = {Status.PENDING: 0, Status.PROCESSING: 1, Status.READY: 2, Status.DONE: 2, Status.FAILED: 2,
        Status.CANCELLED: 2}
