"""Read, validate and de-duplicate a whole roster: the parser's one entry point."""
from __future__ import annotations

from academy.students.parsing.limits import DEFAULT_LIMITS, ImportLimits
from academy.students.parsing.rows import read_rows
from academy.students.parsing.types import ParseResult, RowError, Source, StudentRow
from academy.students.parsing.values import validate_row


def parse_workbook(
    source: Source, *, limits: ImportLimits = DEFAULT_LIMITS
) -> ParseResult:
    """Read, validate and de-duplicate a roster; raise ImportFileError for a bad file.

    A later row with the same (name, parent phone) as an earlier valid row is
    reported as "duplicate of row N in this file"; the first one is kept.
    """
    reader = read_rows(source, limits=limits)
    rows: list[StudentRow] = []
    errors: list[RowError] = []
    first_row: dict[tuple[str, str], int] = {}
    with reader:
        for raw in reader:
            result = validate_row(raw)
            if isinstance(result, RowError):
                errors.append(result)
                continue
            first = first_row.setdefault((result.name, result.parent_phone), result.row)
            if first != result.row:
                errors.append(RowError(
                    row=result.row, name=result.name,
                    error=f"duplicate of row {first} in this file",
                ))
                continue
            rows.append(result)
    return ParseResult(rows=rows, errors=errors, total=reader.count, columns=reader.columns)
