"""Read and validate an Excel (.xlsx) student roster: the parser's public names.

Pure Python, no Django: the import service hands `parse_workbook` the uploaded file,
answers 400 with `ImportFileError.reason` when the file as a whole is unusable, and
reports each `RowError` in the job's `failed` list.

The pipeline streams, one module a stage: `container.check_workbook` inspects the zip
without trusting its headers, `xlsx.sheet_open` streams the first visible worksheet's
cells, `rows.read_rows` finds the header and yields `RawRow`s lazily from it,
`values.validate_row` turns one into a `StudentRow` or a
`RowError`, and `roster.parse_workbook` strings them together and reports in-file
duplicates. `ImportLimits` carries every size limit, once.
"""
from academy.students.parsing.container import check_workbook
from academy.students.parsing.limits import DEFAULT_LIMITS, ImportLimits
from academy.students.parsing.roster import Roster, parse_workbook
from academy.students.parsing.rows import HEADER_ALIASES, RowReader, header_columns, read_rows
from academy.students.parsing.types import (
    FIELDS,
    MAX_LENGTHS,
    ImportFileError,
    ParseResult,
    RawRow,
    RowError,
    Source,
    StudentRow,
)
from academy.students.parsing.values import cell_text, validate_row

__all__ = [
    "DEFAULT_LIMITS", "FIELDS", "HEADER_ALIASES", "MAX_LENGTHS", "ImportFileError", "ImportLimits",
    "ParseResult", "RawRow", "Roster", "RowError", "RowReader", "Source", "StudentRow", "cell_text",
    "check_workbook", "header_columns", "parse_workbook", "read_rows", "validate_row",
]
