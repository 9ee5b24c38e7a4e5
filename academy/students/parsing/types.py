"""What the roster parser hands back: rows, row errors, the file error; the field table."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import BinaryIO, Union

Source = Union[str, os.PathLike, bytes, BinaryIO]

# The fields of a roster row, in the order the import service stores them.
FIELDS = (
    "name", "parent_phone", "phone", "school", "school_type",
    "grade", "class_name", "major", "gender", "memo",
)
# Longest accepted text per field; the Student model's max_length must not be smaller.
MAX_LENGTHS = {
    "name": 50, "school": 100, "school_type": 20,
    "class_name": 50, "major": 50, "memo": 1000,
}


class ImportFileError(Exception):
    """The file as a whole cannot be imported: `reason` is shown to the user, `code` and
    `params` are what clients localise."""

    def __init__(self, code: str, reason: str, params: dict | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.params = params or {}


@dataclass(frozen=True, slots=True)
class RawRow:
    """One non-blank data row: cell values keyed by field, blank cells left out."""

    row_number: int  # as Excel shows it, 1-based
    values: dict[str, object]


@dataclass(frozen=True, slots=True)
class StudentRow:
    """One valid roster row, normalised."""

    row: int
    name: str
    parent_phone: str
    phone: str = ""
    school: str = ""
    school_type: str = ""
    grade: int | None = None
    class_name: str = ""
    major: str = ""
    gender: str = ""  # "M", "F" or ""
    memo: str = ""


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected row, shaped like an entry of the import result's `failed` list."""

    row: int
    name: str
    error: str
    # Each problem's code and params, what clients localise; `error` is their English.
    problems: tuple[dict, ...] = field(default=(), compare=False)

    def as_failed(self) -> dict:
        """Return the import result's `failed` entry: row, name, error, and its code and params.

        One problem gives its own code; several give "row_problems" with each in params.
        """
        if len(self.problems) == 1:
            code, params = self.problems[0]["code"], self.problems[0]["params"]
        else:
            code, params = "row_problems", {"problems": list(self.problems)}
        return {"row": self.row, "name": self.name, "error": self.error, "code": code, "params": params}


@dataclass(slots=True)
class ParseResult:
    """Valid rows, rejected rows and the number of non-blank data rows read."""

    rows: list[StudentRow]
    errors: list[RowError]
    total: int
    columns: tuple[str, ...]  # the fields found in the header

