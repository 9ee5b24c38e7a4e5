"""The limits a roster file must keep: one object, built from the settings once."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """How large a roster may be; the defaults are the settings' defaults."""

    max_rows: int = 100_000
    max_bytes: int = 20 * 1024 * 1024  # a 100,000-row roster is about 5 MB
    max_uncompressed: int = 200 * 1024 * 1024
    max_ratio: int = 100  # real sheets compress 5-20:1
    # The sheet's rows x columns grid: the bound a dense-grid reader (calamine: 32-byte cells,
    # 5M cells = 160 MB) needed. The streaming reader does not, but the bound stays a sanity check.
    max_cells: int = 5_000_000

    @classmethod
    def from_settings(cls, settings: Any) -> ImportLimits:
        """Return the limits STUDENT_IMPORT_MAX_ROWS and STUDENT_IMPORT_MAX_BYTES set.

        Takes the settings object instead of importing Django: the parser stays pure.
        """
        return cls(max_rows=settings.STUDENT_IMPORT_MAX_ROWS,
                   max_bytes=settings.STUDENT_IMPORT_MAX_BYTES)


DEFAULT_LIMITS = ImportLimits()
