"""Small roster builders shared by the parser's tests."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

MB = 1024 * 1024


def xlsx_write(path: Path, rows: list[list[object]]) -> Path:
    """Write rows as they are, header included, with openpyxl."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def student(**fields: object) -> dict[str, object]:
    """Return a valid roster row with `fields` changed."""
    return {"name": "김민준", "parent_phone": "010-1234-5678", **fields}
