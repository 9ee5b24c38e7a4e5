"""The streaming .xlsx reader (parsing.xlsx) gives the cells python-calamine gives, cell for cell.

calamine stays a test-only reference: every workbook below is read by both, and the cells
(value and type), the rows they are in and the last row must be equal.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
import python_calamine
from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from academy.students.parsing import ImportFileError, RawRow, header_columns, read_rows
from academy.students.parsing.container import check_workbook
from academy.students.parsing.xlsx import sheet_open
from academy.testdata.roster import generate_rows, write_roster_xlsx

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def _calamine_cells(path: Path) -> tuple[dict[tuple[int, int], tuple[type, object]], int]:
    """Return calamine's non-empty cells by (Excel row, 0-based column), and its last row."""
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        index = next((i for i, meta in enumerate(workbook.sheets_metadata)
                      if meta.visible == python_calamine.SheetVisibleEnum.Visible
                      and meta.typ == python_calamine.SheetTypeEnum.WorkSheet), 0)
        sheet = workbook.get_sheet_by_index(index)
        if sheet.start is None:
            return {}, 0
        offset = sheet.start[1]
        cells = {}
        for number, row in enumerate(sheet.iter_rows(), start=1):
            for col, value in enumerate(row):
                if value != "" or type(value) is not str:
                    cells[(number, col + offset)] = (type(value), value)
        return cells, sheet.end[0] + 1
    finally:
        workbook.close()


def _streamed_cells(path: Path, *, keep_all: bool) -> dict[tuple[int, int], tuple[type, object]]:
    """Return the streaming reader's cells: without keep (the general path) or keeping every column."""
    sheet = sheet_open(path)
    try:
        keep = {col: col for col in range(16_384)} if keep_all else None
        cells = {}
        for number, row in sheet.rows(keep=keep):
            for col, value in row.items():
                assert (number, col) not in cells, "a row came twice"
                if value != "" or type(value) is not str:
                    cells[(number, col)] = (type(value), value)
        return cells
    finally:
        sheet.close()


def _not_blank(cells: dict) -> dict:
    return {key: cell for key, cell in cells.items()
            if not (cell[0] is str and (not cell[1] or cell[1].isspace()))}


def _assert_same_as_calamine(path: Path, *, counted: bool = False) -> None:
    """Compare; `counted` when cells or rows without r make the last row an estimate only."""
    expected, last_row = _calamine_cells(path)
    assert _streamed_cells(path, keep_all=False) == expected
    # The data rows' pass keeps columns and leaves blank text out, and takes the fast path.
    assert _streamed_cells(path, keep_all=True) == _not_blank(expected)
    sheet = sheet_open(path)
    try:
        estimate = check_workbook(path).get(sheet.path, 0)
        assert estimate > 0 if counted else estimate == last_row
    finally:
        sheet.close()


# --- workbooks written by openpyxl ----------------------------------------------------------

def _book_values(workbook: Workbook) -> None:
    sheet = workbook.active
    sheet.append([1, 2.5, -3, 0, 10**15, 12345678901234567, 1e20, 0.1, 1012345678, True, False])
    sheet.append(["text", "  padded  ", "&<>\"'", "줄\n바꿈", "탭\t", "김민준", "", " ", "_x000D_ literal", "x" * 300])
    sheet.append([dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 12, 30), dt.time(8, 15, 30),
                  dt.datetime(2024, 3, 1), dt.timedelta(hours=30, minutes=5), dt.datetime(1900, 1, 1),
                  dt.date(1900, 2, 28), dt.date(1900, 3, 1), dt.datetime(9999, 12, 31, 23, 59)])


def _book_formats(workbook: Workbook) -> None:
    sheet = workbook.active
    formats = ["yyyy-mm-dd", "h:mm", '[$-409]d/m/yy\\ h:mm;@', "0.00", '"Date" 0', "[h]:mm:ss",
               "mm:ss", "m/d/yy h:mm", "#,##0", "@", "[Red]0.0", "dd/mm/yyyy hh:mm:ss AM/PM", "[mm]:ss",
               "General", "yy", '"Y: "0.00"m"']
    for row, value in enumerate((45000, 45000.25, 0.5, 1.5, 59, 60, 61, 0, -1, 2958465.5), start=1):
        for col, number_format in enumerate(formats, start=1):
            cell = sheet.cell(row=row, column=col, value=value)
            cell.number_format = number_format


def _book_1904(workbook: Workbook) -> None:
    workbook.epoch = CALENDAR_MAC_1904
    sheet = workbook.active
    sheet.append([dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 6), dt.date(1904, 1, 1), dt.time(12), 5])
    sheet["F1"] = 0
    sheet["F1"].number_format = "yyyy-mm-dd"


def _book_gaps(workbook: Workbook) -> None:
    sheet = workbook.active
    sheet["C3"] = "first"
    sheet["A7"] = 1
    sheet["AB7"] = "far right"
    sheet["B12"] = None
    sheet["B12"].number_format = "0.00"  # styled but empty: not a cell with content
    sheet["D20"] = "last"
    sheet["E25"].number_format = "yyyy-mm-dd"


def _book_hidden_first(workbook: Workbook) -> None:
    hidden = workbook.active
    hidden.title = "template"
    hidden.append(["hidden", 1])
    hidden.sheet_state = "hidden"
    visible = workbook.create_sheet("roster")
    visible.append(["이름", "학부모 전화번호"])
    visible.append(["김민준", "010-1234-5678"])


def _book_rich_and_formulas(workbook: Workbook) -> None:
    sheet = workbook.active
    sheet["A1"] = CellRichText("굵은 ", TextBlock(InlineFont(b=True), "글씨"), " 끝")
    sheet["B1"] = "=1+1"  # openpyxl writes no cached value: calamine sees an empty cell
    sheet["C1"] = CellRichText(TextBlock(InlineFont(i=True), "  only run  "))


OPENPYXL_BOOKS = [_book_values, _book_formats, _book_1904, _book_gaps, _book_hidden_first,
                  _book_rich_and_formulas]


@pytest.mark.parametrize("build", OPENPYXL_BOOKS, ids=lambda build: build.__name__[6:])
def test_openpyxl_workbooks_read_as_calamine_reads_them(build, tmp_path: Path) -> None:
    workbook = Workbook()
    build(workbook)
    path = tmp_path / "book.xlsx"
    workbook.save(path)

    _assert_same_as_calamine(path)


def test_a_write_only_roster_reads_as_calamine_reads_it(tmp_path: Path) -> None:
    rows = list(generate_rows(3000, seed=2024, invalid_every=7, duplicate_every=11))
    path = write_roster_xlsx(tmp_path / "roster.xlsx", rows)

    _assert_same_as_calamine(path)


# --- workbooks written by hand: what Excel and other tools write ----------------------------

def _handmade(path: Path, sheet_data: str, *, shared: str | None = None, styles: str | None = None,
              workbook_pr: str = "", head: str = "", prolog: str = '<?xml version="1.0" encoding="UTF-8"?>',
              sheet_xml: str | None = None) -> Path:
    sheet = sheet_xml if sheet_xml is not None else (
        f'{prolog}<worksheet {NS} {REL_NS}>{head}<sheetData>{sheet_data}</sheetData></worksheet>')
    rels = f'<Relationship Id="rId1" Type="{WORKSHEET}" Target="worksheets/sheet1.xml"/>'
    if shared is not None:
        rels += ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/sharedStrings" Target="sharedStrings.xml"/>')
    if styles is not None:
        rels += ('<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/styles" Target="styles.xml"/>')
    members = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
            '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
            '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
            'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.'
            'org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} {REL_NS}>{workbook_pr}<sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
            f'org/package/2006/relationships">{rels}</Relationships>'),
        "xl/worksheets/sheet1.xml": sheet,
    }
    if shared is not None:
        members["xl/sharedStrings.xml"] = f'<?xml version="1.0" encoding="UTF-8"?><sst {NS}>{shared}</sst>'
    if styles is not None:
        members["xl/styles.xml"] = f'<?xml version="1.0" encoding="UTF-8"?><styleSheet {NS}>{styles}</styleSheet>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text.encode())
    return path


SHARED = (
    "<si><t>plain</t></si>"
    '<si><t xml:space="preserve">  kept  </t></si>'
    "<si><t>  trimmed  </t></si>"
    "<si><r><t>rich </t></r><r><rPr><b/></rPr><t>text</t></r></si>"
    "<si><t>漢字</t><rPh sb=\"0\" eb=\"2\"><t>かんじ</t></rPh><phoneticPr fontId=\"1\"/></si>"
    "<si><t>a &amp; b &lt;c&gt; &#x41;&#66;</t></si>"
    "<si><t>line_x000D_break</t></si>"
    "<si><t/></si>"
    "<si/>"
    "<si><t><![CDATA[<cdata> & text]]></t></si>"
    "<si>\n  <t>pretty</t>\n</si>"
    "<si><t>010-1234-5678</t></si>"
)
STYLES = (
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>'
    '<numFmt numFmtId="165" formatCode="[h]:mm"/></numFmts>'
    '<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>'
    '<cellXfs count="6"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/>'
    '<xf numFmtId="165"/><xf numFmtId="22"/><xf/></cellXfs>'
)
HANDMADE = {
    "shared_strings": (
        '<row r="1">' + "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>' for i in range(12))
        + '<c r="M1" t="s"><v>x</v></c><c r="N1" s="1" t="s"><v>3</v></c></row>',
        {"shared": SHARED},
    ),
    "styles_dates_and_numbers": (
        '<row r="1" spans="1:8"><c r="A1" s="1"><v>45000</v></c><c r="B1" s="2"><v>45000.5</v></c>'
        '<c r="C1" s="3"><v>1.25</v></c><c r="D1" s="4"><v>0.75</v></c><c r="E1" s="5"><v>7</v></c>'
        '<c r="F1" s="0" t="n"><v>3.5</v></c><c r="G1" s="99"><v>45000</v></c><c r="H1" s="x"><v>1</v></c>'
        "</row>",
        {"styles": STYLES},
    ),
    "date1904": (
        '<row r="1"><c r="A1" s="1"><v>0</v></c><c r="B1" s="4"><v>43000.5</v></c></row>',
        {"styles": STYLES, "workbook_pr": '<workbookPr date1904="1"/>'},
    ),
    "formulas_with_cached_values": (
        '<row r="1"><c r="A1"><f>1+1</f><v>2</v></c><c r="B1" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>'
        '<c r="C1" t="b"><f>TRUE()</f><v>1</v></c><c r="D1" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
        '<c r="E1" t="s"><f>X</f><v>0</v></c><c r="F1"><f t="shared" ref="F1:F2" si="0">A1</f><v>2</v></c>'
        '</row><row r="2"><c r="F2"><f t="shared" si="0"/><v>3</v></c></row>',
        {"shared": SHARED},
    ),
    "errors_booleans_and_empties": (
        '<row r="1"><c r="A1" t="e"><v>#N/A</v></c><c r="B1" t="b"><v>0</v></c><c r="C1" t="b"><v>1</v></c>'
        '<c r="D1"><v></v></c><c r="E1" t="s"><v/></c><c r="F1" s="1"/><c r="G1" t="str"><v></v></c>'
        '<c r="H1" t="inlineStr"><v>ignored</v></c><c r="I1"><v>not a number</v></c></row>',
        {"styles": STYLES},
    ),
    "inline_strings": (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>  trimmed  </t></is></c>'
        '<c r="B1" t="inlineStr"><is><t xml:space="preserve">  kept  </t></is></c>'
        '<c r="C1" t="inlineStr"><is><r><t>ri</t></r><r><rPr><i/></rPr><t>ch</t></r></is></c>'
        '<c r="D1" t="inlineStr"><is><t>x &amp; y &quot;q&quot; &#54620;</t></is></c>'
        '<c r="E1" t="inlineStr"><is/></c><c r="F1" t="inlineStr"><is><t></t></is></c>'
        '<c r="G1" t="inlineStr"><is><t>a_x000A_b</t></is></c></row>',
        {},
    ),
    "cells_and_rows_without_r": (
        '<row r="2"><c><v>1</v></c><c t="inlineStr"><is><t>b</t></is></c><c r="E2"><v>5</v></c><c><v>6</v></c>'
        "</row><row><c><v>7</v></c></row><row/><row><c r=\"C5\"><v>8</v></c><c><v>9</v></c></row>"
        '<row r="9"><c><v>10</v></c></row><row><c><v>11</v></c></row>',
        {},
    ),
    "gaps_and_a_late_last_row": (
        '<row r="3"><c r="B3"><v>1</v></c></row><row r="40"><c r="AA40" t="inlineStr"><is><t>z</t></is></c></row>'
        '<row r="41"/><row r="90" customHeight="1" ht="20"><c r="A90" s="0"/></row>'
        '<row r="100"><c r="C100"><v>3</v></c></row><row r="101" s="1" customFormat="1"/>',
        {},
    ),
    "pretty_printed_with_comments_and_cdata": (
        '\n  <!-- a comment with <c r="Z9"><v>99</v></c> inside -->\n  <row r="1">\n    <c r="A1" t="n">\n'
        '      <v>1</v>\n    </c>\n    <c r="B1" t="inlineStr"><is><t><![CDATA[<b> & </b>]]></t></is></c>\n'
        '    <?pi ignored?>\n  </row>\n',
        {},
    ),
    "namespace_prefix": (
        "",
        {"sheet_xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>pre</x:t></x:is></x:c>'
            '<x:c r="B1"><x:v>2</x:v></x:c></x:row></x:sheetData></x:worksheet>')},
    ),
    "lower_case_references_and_attribute_order": (
        '<row r="1"><c t="n" r="b1"><v>1</v></c><c s="0" r="C1" t="inlineStr"><is><t>c</t></is></c>'
        "<c r='D1' t='inlineStr'><is><t>single quotes</t></is></c></row>",
        {},
    ),
    "iso_dates": (
        '<row r="1"><c r="A1" t="d"><v>2024-03-01T12:30:00</v></c><c r="B1" t="d"><v>2024-03-01</v></c>'
        '<c r="C1" t="d"><v>08:15:00</v></c></row>',
        {},
    ),
    "empty_sheet": ("", {}),
    "self_closing_sheet_data": ("", {"sheet_xml": f"<worksheet {NS}><sheetData/></worksheet>"}),
    "bom_and_dimension": (
        '<row r="1"><c r="A1"><v>1</v></c></row>',
        {"prolog": '\ufeff<?xml version="1.0" encoding="utf-8"?>', "head": '<dimension ref="A1:Z500"/>'},
    ),
}


@pytest.mark.parametrize("case", HANDMADE, ids=str)
def test_handmade_workbooks_read_as_calamine_reads_them(case: str, tmp_path: Path) -> None:
    sheet_data, options = HANDMADE[case]
    path = _handmade(tmp_path / "hand.xlsx", sheet_data, **options)

    _assert_same_as_calamine(path, counted=case == "cells_and_rows_without_r")


def test_rows_split_across_pieces_of_the_stream(tmp_path: Path) -> None:
    # 64 KB pieces: thousands of rows, some unusual, cross piece boundaries everywhere.
    rows = []
    for n in range(1, 6001):
        if n % 97 == 0:
            rows.append(f'<row r="{n}"><c r="A{n}"><f>X</f><v>{n}</v></c><c r="B{n}" t="inlineStr">'
                        f"<is><r><t>r{n}</t></r><r><t>!</t></r></is></c></row>")
        else:
            rows.append(f'<row r="{n}" spans="1:3"><c r="A{n}" t="n"><v>{n}.5</v></c>'
                        f'<c r="B{n}" t="s"><v>{n % 12}</v></c><c r="C{n}" t="inlineStr"><is><t>한글 {n}</t></is></c></row>')
    path = _handmade(tmp_path / "long.xlsx", "".join(rows), shared=SHARED)

    _assert_same_as_calamine(path)


def test_a_long_table_of_plain_shared_strings(tmp_path: Path) -> None:
    # Plain items only, as Excel writes text without runs: the table's one-findall pass.
    texts = [f"이름{n}" if n % 7 else f"  spaced {n}  " for n in range(4000)]
    shared = "".join(f'<si><t xml:space="preserve">{text}</t></si>' if n % 11 == 0 else f"<si><t>{text}</t></si>"
                     for n, text in enumerate(texts)) + "<si><t>line_x000D_break</t></si><si><t></t></si>"
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="s"><v>{n - 1}</v></c><c r="B{n}" s="0" t="s"><v>{4001 - n % 2}</v></c></row>'
                   for n in range(1, 4001))
    path = _handmade(tmp_path / "plain.xlsx", rows, shared=shared)

    _assert_same_as_calamine(path)


def test_the_roster_reader_gives_the_rows_calamine_gave(tmp_path: Path) -> None:
    path = write_roster_xlsx(tmp_path / "roster.xlsx",
                             generate_rows(2000, seed=7, invalid_every=9, duplicate_every=13))
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    calamine_rows = list(workbook.get_sheet_by_index(0).iter_rows())
    workbook.close()
    columns = header_columns(calamine_rows[0])
    expected = []
    for number, cells in enumerate(calamine_rows[1:], start=2):
        values = {field: cells[index] for index, field in columns.items()
                  if not (isinstance(cells[index], str) and (not cells[index] or cells[index].isspace()))}
        if values:
            expected.append(RawRow(number, values))

    assert list(read_rows(path)) == expected


# --- hostile XML ----------------------------------------------------------------------------

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
    + "]>"
)


@pytest.mark.parametrize("part", ["sheet", "shared", "workbook", "external"])
def test_a_billion_laughs_is_an_unreadable_file_not_a_memory_blow_up(part: str, tmp_path: Path) -> None:
    row = '<row r="1"><c r="A1" t="inlineStr"><is><t>이름 &lol9;</t></is></c></row>'
    if part == "sheet":
        path = _handmade(tmp_path / "bomb.xlsx", "", sheet_xml=f"{LAUGHS}<worksheet {NS}><sheetData>{row}"
                                                               "</sheetData></worksheet>")
    elif part == "shared":
        path = _handmade(tmp_path / "bomb.xlsx", '<row r="1"><c r="A1" t="s"><v>0</v></c></row>', shared="")
        path.write_bytes(_replace_member(path, "xl/sharedStrings.xml",
                                         f"{LAUGHS}<sst {NS}><si><t>&lol9;</t></si></sst>".encode()))
    elif part == "workbook":
        path = _handmade(tmp_path / "bomb.xlsx", row)
        path.write_bytes(_replace_member(path, "xl/workbook.xml", (
            f'{LAUGHS}<workbook {NS} {REL_NS}><sheets><sheet name="&lol9;" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>").encode()))
    else:
        path = _handmade(tmp_path / "bomb.xlsx", "", sheet_xml=(
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
            f"<worksheet {NS}><sheetData>{row.replace('&lol9;', '&ext;')}</sheetData></worksheet>"))

    with pytest.raises(ImportFileError) as raised:
        list(read_rows(path))
    assert raised.value.code == "import_file_unreadable"


@pytest.mark.parametrize("sheet_data", [
    '<row r="1"><c r="A1" t="inlineStr"><is><t>이름 &undeclared;</t></is></c></row>',
    '<row r="1"><c r="A1" t="s"><v>5</v></c></row>',  # no shared strings table
    '<row r="1"><c r="A1" t="n"><v>abc</v></c></row>',
    '<row r="1"><c r="A1" t="zz"><v>1</v></c></row>',
    '<row r="1"><c r="A1"><v>1</v></c><c r="B1" t="inlineStr"><is><t>unfinished',
    '<row r="1"><c r="1A"><v>1</v></c></row>',
    '<row r="1"><c r="A1"><f>1+1</f></v></c></row>',  # a </v> without its <v>
])
def test_bad_sheet_xml_is_an_unreadable_file(sheet_data: str, tmp_path: Path) -> None:
    path = _handmade(tmp_path / "bad.xlsx", "", sheet_xml=f"<worksheet {NS}><sheetData>{sheet_data}"
                     + ("" if "unfinished" in sheet_data else "</sheetData></worksheet>"))

    with pytest.raises(ImportFileError) as raised:
        list(read_rows(path))
    assert raised.value.code == "import_file_unreadable"


def test_a_utf16_part_is_an_unreadable_file(tmp_path: Path) -> None:
    xml = f'<?xml version="1.0" encoding="UTF-16"?><worksheet {NS}><sheetData></sheetData></worksheet>'
    path = _handmade(tmp_path / "utf16.xlsx", "")
    path.write_bytes(_replace_member(path, "xl/worksheets/sheet1.xml", xml.encode("utf-16")))

    with pytest.raises(ImportFileError) as raised:
        read_rows(path)
    assert raised.value.code == "import_file_unreadable"


def _replace_member(path: Path, name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, data if info.filename == name else source.read(info))
    return out.getvalue()
