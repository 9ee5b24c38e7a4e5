"""TaskState reads the stored strings back as the renderers of every kind need them."""
from __future__ import annotations

import pytest

from academy.progress.types import TaskState


@pytest.mark.parametrize(("progress", "expected"), [
    ({"remaining": "12"}, 12),
    ({"remaining": "7.0"}, 7),
    ({"remaining": "0"}, 0),
    ({"remaining": ""}, None),  # the reporter has no estimate yet
    ({}, None),
])
def test_remaining_seconds(progress: dict[str, str], expected: int | None) -> None:
    assert TaskState(status="PROCESSING", attempt=1, progress=progress).remaining_seconds == expected
