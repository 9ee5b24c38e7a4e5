"""Read, validate and de-duplicate a whole roster: the parser's one entry point."""
from __future__ import annotations

from array import array
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
        self._max_rows = limits.max_rows
        self.columns = self._reader.columns
        self.estimate = max(0, self._reader.last_row - self._reader.header_row)

    @property
    def total(self) -> int:
        return self._reader.count

    def __iter__(self) -> Iterator[StudentRow | RowError]:
        # Sized for the rows the sheet may hold (at most the limit): no re-hashing on the way.
        expected = min(self.estimate, self._max_rows)
        first_rows = _FirstRows(size=1 << max(10, (2 * expected).bit_length()))
        with self._reader as reader:
            for raw in reader:
                result = validate_row(raw)
                if isinstance(result, StudentRow):
                    first = first_rows.setdefault(hash((result.name, result.parent_phone)), result.row)
                    if first != result.row:
                        result = RowError(row=result.row, name=result.name,
                                          error=f"duplicate of row {first} in this file",
                                          problems=({"code": "row_duplicate", "params": {"first_row": first}},))
                yield result

    def close(self) -> None:
        """Release the workbook before the end (a failed import)."""
        self._reader.close()


class _FirstRows:
    """Key hash -> first row, in two flat arrays (open addressing, linear probing).

    Hashes, not the keys: 100,000 rows held 28 MB of key tuples and strings in a dict, 12 MB
    as a dict of hashes and 3 MB here (bench/import). Two different keys of one file share a
    64-bit hash with a probability of about 3e-10 at the 100,000-row limit (n^2 / 2^65).
    """

    __slots__ = ("_hashes", "_rows", "_count")

    def __init__(self, size: int = 1024) -> None:
        self._hashes = array("q", bytes(8 * size))  # 0: a free slot
        self._rows = array("q", bytes(8 * size))
        self._count = 0

    def setdefault(self, key_hash: int, row: int) -> int:
        """Return the first row stored under key_hash, storing `row` if there is none."""
        key_hash = key_hash or 1
        hashes = self._hashes
        mask = len(hashes) - 1
        slot = key_hash & mask
        while True:
            stored = hashes[slot]
            if stored == key_hash:
                return self._rows[slot]
            if not stored:
                hashes[slot] = key_hash
                self._rows[slot] = row
                self._count += 1
                if 2 * self._count > len(hashes):
                    self._grow()
                return row
            slot = (slot + 1) & mask

    def _grow(self) -> None:
        old = zip(self._hashes, self._rows)
        self.__init__(2 * len(self._hashes))
        for key_hash, row in old:
            if key_hash:
                self.setdefault(key_hash, row)


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
