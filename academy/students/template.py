"""The roster template: an .xlsx with the Korean headers the import reads, and no rows.

Written as the few XML parts an .xlsx needs (inline strings, no shared-strings table), so
the web app needs no spreadsheet library at run time.
"""
from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

# (header, column width); "(필수)" is read past by the import (parsing._ANNOTATION).
TEMPLATE_COLUMNS = (
    ("이름(필수)", 14), ("학부모 전화번호(필수)", 20), ("학생 전화번호", 16), ("학교", 16), ("학교구분", 10),
    ("학년", 8), ("반", 8), ("전공", 10), ("성별", 8), ("메모", 30),
)
TEMPLATE_FILENAME = "students-template.xlsx"

_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="학생명단" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def _column(index: int) -> str:
    return chr(ord("A") + index)  # ten columns: A-J


def _sheet() -> str:
    widths = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{width}" customWidth="1"/>'
                     for i, (_, width) in enumerate(TEMPLATE_COLUMNS))
    cells = "".join(f'<c r="{_column(i)}1" t="inlineStr"><is><t>{escape(header)}</t></is></c>'
                    for i, (header, _) in enumerate(TEMPLATE_COLUMNS))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<cols>{widths}</cols><sheetData><row r="1">{cells}</row></sheetData></worksheet>')


def roster_template_xlsx() -> bytes:
    """Return the template workbook's bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", _sheet())
    return buffer.getvalue()
