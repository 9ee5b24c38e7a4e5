"""Read, validate and de-duplicate a whole roster: the parser's one entry point."""
from __future__ import annotations

from collections.abc import Iterator

from academy.students.parsing.limits import DEFAULT_LIMITS, ImportLimits
from academy.students.parsing.rows import read_rows
from academy.students.parsing.types import ParseResult, RowError, Source, StudentRow
from academy.students.parsing.values import validate_row


class Roster:
    """A roster read lazily: iterating yields a StudentRow or a RowError per data row, in order.

    Opening it checks the file and finds the header (ImportFileError then); `total` is the
    data rows read so far (all of them once iterated), `estimate` an upper bound of them
    known from the start. A later row with the same (name, parent phone) as an earlier valid
    row is a RowError "duplicate of row N in this file"; the first one is kept.
    """

    def __init__(self, source: Source, *, limits: ImportLimits = DEFAULT_LIMITS) -> None:
        self._reader = read_rows(source, limits=limits)
        self.columns = self._reader.columns
        self.estimate = max(0, self._reader.last_row - self._reader.header_row)

    @property
    def total(self) -> int:
        return self._reader.count

    def __iter__(self) -> Iterator[StudentRow | RowError]:
        # The keys' 64-bit hashes, not the keys: 100,000 rows held 28 MB of key tuples and
        # strings, their hashes about 11 MB. Two different keys of one file share a hash with
        # a probability of about 3e-10 at the 100,000-row limit (n^2 / 2^65).
        first_row: dict[int, int] = {}
        with self._reader as reader:
            for raw in reader:
                result = validate_row(raw)
                if isinstance(result, StudentRow):
                    first = first_row.setdefault(hash((result.name, result.parent_phone)), result.row)
                    if first != result.row:
                        result = RowError(row=result.row, name=result.name,
                                          error=f"duplicate of row {first} in this file",
                                          problems=({"code": "row_duplicate", "params": {"first_row": first}},))
                yield result

    def close(self) -> None:
        """Release the workbook before the end (a failed import)."""
        self._reader.close()


def parse_workbook(
    source: Source, *, limits: ImportLimits = DEFAULT_LIMITS
) -> ParseResult:
    """Read, validate and de-duplicate a whole roster into memory; raise ImportFileError.

    The import streams the same rows through Roster instead.
    """
    roster = Roster(source, limits=limits)
    rows: list[StudentRow] = []
    errors: list[RowError] = []
    for item in roster:
        (rows if isinstance(item, StudentRow) else errors).append(item)
    return ParseResult(rows=rows, errors=errors, total=roster.total, columns=roster.columns)
