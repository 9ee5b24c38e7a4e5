"""Files that are not rosters, or are traps (parsing.container)."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from openpyxl import Workbook

from academy.students.parsing import ImportFileError, ImportLimits, check_workbook, parse_workbook
from academy.students.tests.rosters import MB, xlsx_write
from academy.testdata.roster import generate_rows, write_roster_xlsx


def _raw_zip(members: list[tuple[str, bytes]], *, forge: dict[str, tuple[int, int]] | None = None,
             flags: int = 0) -> bytes:
    """Build a zip by hand: (name, raw deflate data + true size and CRC) members.

    forge maps a name to the (size, crc) written in its headers instead of the truth.
    """
    out = io.BytesIO()
    central = []
    for name, payload in members:
        size, crc, data = struct.unpack("<QL", payload[:12]) + (payload[12:],)
        size, crc = (forge or {}).get(name, (size, crc))
        encoded = name.encode()
        offset = out.tell()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, 8, 0, 0, crc, len(data),
                              size, len(encoded), 0) + encoded + data)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, 8, 0, 0, crc,
                                   len(data), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    directory = b"".join(central)
    start = out.tell()
    out.write(directory + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members),
                                      len(members), len(directory), start, 0))
    return out.getvalue()


def _deflated(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = compressor.compress(data) + compressor.flush()
    return struct.pack("<QL", len(data), zlib.crc32(data)) + raw


def _deflated_zeros(megabytes: int) -> bytes:
    """Deflate megabytes MiB of zeros in a fraction of a second.

    One MiB is compressed with a full flush, which leaves a byte-aligned block that
    refers to nothing before it, so the same bytes can simply be repeated.
    """
    zeros = bytes(MB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(zeros, crc)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # an empty last block
    return struct.pack("<QL", megabytes * MB, crc) + block * megabytes + final


_WORKBOOK = ("xl/workbook.xml", _deflated(b"<workbook/>"))


def test_a_text_file_named_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "students.xlsx"
    path.write_text("이름,학부모 전화번호\n김민준,010-1234-5678\n", encoding="utf-8")

    with pytest.raises(ImportFileError, match="not an Excel .xlsx workbook"):
        parse_workbook(path)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.xlsx").write_bytes(b"")

    with pytest.raises(ImportFileError, match="empty"):
        parse_workbook(tmp_path / "empty.xlsx")


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photo.txt", "not a spreadsheet")

    with pytest.raises(ImportFileError, match="zip archive, not an Excel"):
        parse_workbook(path)


def test_an_encrypted_or_legacy_file_is_refused() -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)

    with pytest.raises(ImportFileError, match="password-protected or an old .xls"):
        parse_workbook(ole2)
    with pytest.raises(ImportFileError, match="password-protected"):
        parse_workbook(_raw_zip([_WORKBOOK], flags=0x1))


def test_a_truncated_workbook_is_refused(tmp_path: Path) -> None:
    data = write_roster_xlsx(tmp_path / "r.xlsx", generate_rows(50, seed=1)).read_bytes()

    with pytest.raises(ImportFileError, match="damaged"):
        parse_workbook(data[: len(data) // 2])


def test_a_file_over_max_bytes_is_refused(tmp_path: Path) -> None:
    path = write_roster_xlsx(tmp_path / "r.xlsx", generate_rows(50, seed=1))

    with pytest.raises(ImportFileError, match="the limit is 1 KB"):
        parse_workbook(path, limits=ImportLimits(max_bytes=1000))


def test_a_zip_bomb_is_refused_without_inflating_it() -> None:
    bomb = _raw_zip([_WORKBOOK, ("xl/worksheets/sheet1.xml", _deflated_zeros(300))])
    assert len(bomb) < 400_000

    with pytest.raises(ImportFileError, match="zip bomb"):
        check_workbook(bomb)


def test_a_zip_bomb_under_the_ratio_limit_still_hits_the_size_limit() -> None:
    bomb = _raw_zip([_WORKBOOK, ("xl/worksheets/sheet1.xml", _deflated_zeros(300))])

    with pytest.raises(ImportFileError, match="unpacks to more than 200 MB"):
        check_workbook(bomb, limits=ImportLimits(max_ratio=10_000))


def test_a_zip_bomb_with_forged_sizes_is_caught_while_inflating() -> None:
    # The headers claim 1 KB; calamine would inflate all 50 MB anyway.
    bomb = _raw_zip([_WORKBOOK, ("xl/worksheets/sheet1.xml", _deflated_zeros(50))],
                    forge={"xl/worksheets/sheet1.xml": (1024, 0)})

    with pytest.raises(ImportFileError, match="zip bomb"):
        check_workbook(bomb)
    with pytest.raises(ImportFileError, match="unpacks to more than 2 MB"):
        check_workbook(bomb, limits=ImportLimits(max_ratio=10_000, max_uncompressed=2 * MB))


def test_a_part_longer_than_its_header_says_is_refused() -> None:
    text = b"<sheetData>" + b"<row/>" * 1000 + b"</sheetData>"
    forged = _raw_zip([_WORKBOOK, ("xl/worksheets/sheet1.xml", _deflated(text))],
                      forge={"xl/worksheets/sheet1.xml": (100, zlib.crc32(text[:100]))})

    with pytest.raises(ImportFileError, match="damaged"):
        check_workbook(forged)


def test_a_far_away_cell_cannot_make_calamine_allocate_the_grid(tmp_path: Path) -> None:
    # One cell at the last row and column: 17 billion cells for calamine's dense grid.
    workbook = Workbook()
    workbook.active.append(["이름", "학부모 전화번호"])
    workbook.active["XFD1048576"] = "x"
    workbook.save(tmp_path / "far.xlsx")
    assert (tmp_path / "far.xlsx").stat().st_size < 10_000

    with pytest.raises(ImportFileError, match="1,048,576 rows x 16,384 columns"):
        parse_workbook(tmp_path / "far.xlsx")


def _sheet_zip(sheet_data: str) -> bytes:
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f"<sheetData>{sheet_data}</sheetData></worksheet>").encode()
    return _raw_zip([_WORKBOOK, ("xl/worksheets/sheet1.xml", _deflated(sheet))])


@pytest.mark.parametrize("sheet_data", [
    # cells without r are placed by counting: 20,000 columns, then a row far below
    "<row>" + "<c><v>1</v></c>" * 20_000 + '</row><row r="99999"><c r="A99999"><v>1</v></c></row>',
    # the same with namespace prefixes, newlines and single quotes
    "<x:row>" + "<x:c\n><x:v>1</x:v></x:c>" * 20_000
    + "</x:row><x:row r='99999'><x:c\nr='A99999'><x:v>1</x:v></x:c></x:row>",
    # a lower-case reference calamine accepts
    '<row r="1"><c r="A1"><v>1</v></c><c r="zz99999"><v>1</v></c></row>',
])
def test_sparse_grid_tricks_are_refused(sheet_data: str) -> None:
    with pytest.raises(ImportFileError, match="used range is too large"):
        check_workbook(_sheet_zip(sheet_data))


def test_references_beyond_excel_are_refused() -> None:
    with pytest.raises(ImportFileError, match="outside Excel's sheet size"):
        check_workbook(_sheet_zip('<row r="1"><c r="A99999999"><v>1</v></c></row>'))


def test_a_wide_but_small_sheet_is_accepted(tmp_path: Path) -> None:
    header = ["이름", "학부모 전화번호"] + [f"항목{i}" for i in range(80)]
    rows = [header] + [[f"학생{i}", f"010-0000-{i:04d}"] + list(range(80)) for i in range(40)]

    result = parse_workbook(xlsx_write(tmp_path / "wide.xlsx", rows))

    assert len(result.rows) == 40
