"""Path converters that let only the canonical spelling of an id reach a view.

A task answers under one spelling of its id, so a key in Redis and a row lookup are built
from that spelling only; `7`, `07` and `٧` (Arabic-Indic seven) or an upper-case UUID are
not the same URL, and anything but the canonical one is 404 before any view code runs.
"""


class CanonicalUUIDConverter:
    """A UUID as `str(uuid.UUID(...))` writes it: lower-case hex, hyphenated, nothing around it.

    The view gets the string: it is already the form keys are built from.
    """

    regex = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


class CanonicalIntConverter:
    """A positive row id in ASCII decimal, without leading zeros, within a bigint (18 digits)."""

    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))
