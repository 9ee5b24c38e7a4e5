"""Validators shared by the API serializers."""
from __future__ import annotations

import re

from rest_framework.exceptions import ValidationError

# CR, LF and the other C0/C1 controls (tab allowed): a value that ends up in a mail header, a
# file name or a log line must not be able to start a new one.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def single_line(value: str) -> str:
    """Refuse CR, LF and other control characters in a one-line field (subject, name, title)."""
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValidationError("Must be a single line: no line breaks or control characters.")
    return value
