"""Tests of the pure roster parser: plain pytest, no database, files made in tmp_path."""
from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from academy.students.parsing import (
    ImportFileError,
    RawRow,
    RowError,
    StudentRow,
    check_workbook,
    header_columns,
    normalize_phone,
    parse_workbook,
    read_rows,
    validate_row,
)
from academy.students.testdata import (
    ENGLISH_HEADERS,
    expected_counts,
    generate_rows,
    write_roster_xlsx,
)

MB = 1024 * 1024


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    """Write rows as they are, header included, with openpyxl."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def _student(**fields: object) -> dict[str, object]:
    return {"name": "김민준", "parent_phone": "010-1234-5678", **fields}


# --- headers --------------------------------------------------------------------------

def test_korean_headers_give_normalised_rows_numbered_as_in_excel(tmp_path: Path) -> None:
    path = write_roster_xlsx(tmp_path / "ko.xlsx", [
        _student(phone="01098765432", school=" 휘문고등학교 ", school_type="고등", grade=2,
                 class_name=3, major="이과", gender="남", memo="셔틀 이용"),
        {"name": "이  서연", "parent_phone": "010 2222 3333", "gender": "여자", "grade": "중1"},
    ])

    result = parse_workbook(path)

    assert result.errors == []
    assert result.total == 2
    assert result.columns == ("name", "parent_phone", "phone", "school", "school_type",
                              "grade", "class_name", "major", "gender", "memo")
    assert result.rows == [
        StudentRow(row=2, name="김민준", parent_phone="01012345678", phone="01098765432",
                   school="휘문고등학교", school_type="고등", grade=2, class_name="3",
                   major="이과", gender="M", memo="셔틀 이용"),
        StudentRow(row=3, name="이 서연", parent_phone="01022223333", school_type="중등",
                   grade=1, gender="F"),
    ]


def test_english_headers(tmp_path: Path) -> None:
    path = write_roster_xlsx(tmp_path / "en.xlsx", [
        _student(name="Jane  Doe", gender="female", grade="3", class_name="A"),
    ], korean_headers=False)

    (row,) = parse_workbook(path).rows

    assert (row.name, row.gender, row.grade, row.class_name) == ("Jane Doe", "F", 3, "A")


@pytest.mark.parametrize("header", [
    ["성명", "부모님 전화번호", "휴대폰", "학교명", "학교급", "학년", "학급", "계열", "성별", "비고"],
    ["학생명", "보호자 연락처", "연락처", "학교", "학교구분", "학년", "반", "전공", "성별", "메모"],
    ["이름(필수)", "학부모연락처*", "학생 전화번호", "school", "school_type", "grade", "class",
     "major", "gender", "note"],
    ["Student Name", "Parent Phone", "Mobile", "School", "School Type", "Grade", "Class",
     "Major", "Gender", "Notes"],
    [" NAME ", "PARENT_PHONE", "phone", "SCHOOL", "school-type", "GRADE", "Class Name",
     "track", "SEX", "remarks"],
])
def test_header_variants(header: list[str]) -> None:
    assert list(header_columns(header).values()) == [
        "name", "parent_phone", "phone", "school", "school_type", "grade", "class_name",
        "major", "gender", "memo",
    ]


def test_unknown_columns_are_ignored_and_the_first_repeat_wins() -> None:
    columns = header_columns(["번호", "이름", "", None, "주소", "전화번호", "학부모 전화번호",
                              "이름"])

    assert columns == {1: "name", 5: "phone", 6: "parent_phone"}


def test_title_lines_above_the_header_are_skipped(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "title.xlsx", [
        ["2025학년도 겨울방학 학생 명단"],
        [],
        ["번호", "이름", "학부모 전화번호"],
        [1, "김민준", "010-1234-5678"],
    ])

    reader = read_rows(path)

    assert reader.header_row == 3
    assert list(reader) == [RawRow(4, {"name": "김민준", "parent_phone": "010-1234-5678"})]


def test_no_name_column_is_a_file_error(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "noname.xlsx", [["학생", "전화"], ["김민준", "010-1234-5678"]])

    with pytest.raises(ImportFileError, match="name column"):
        read_rows(path)  # raised by the call, before any row is read


def test_no_parent_phone_column_is_a_file_error(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "noparent.xlsx", [["이름", "전화번호"], ["김민준", "010-1234-5678"]])

    with pytest.raises(ImportFileError, match="parent phone column"):
        parse_workbook(path)


def test_an_empty_sheet_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="empty"):
        parse_workbook(_xlsx(tmp_path / "empty.xlsx", []))


# --- phones ---------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("010-1234-5678", "01012345678"),
    ("01012345678", "01012345678"),
    ("010 1234 5678", "01012345678"),
    (" 010.1234.5678 ", "01012345678"),
    ("(010) 1234-5678", "01012345678"),
    ("010–1234–5678", "01012345678"),  # en dashes
    ("０１０－１２３４－５６７８", "01012345678"),  # full width
    ("+82 10-1234-5678", "01012345678"),
    ("+821012345678", "01012345678"),
    ("+82 010-1234-5678", "01012345678"),
    ("82-10-1234-5678", "01012345678"),
    ("0082-10-1234-5678", "01012345678"),
    (1012345678, "01012345678"),  # a number cell lost its leading 0
    (1012345678.0, "01012345678"),  # ... as calamine returns it
    ("1012345678", "01012345678"),
    (821012345678, "01012345678"),
])
def test_normalize_phone_accepts(value: object, expected: str) -> None:
    assert normalize_phone(value) == expected


@pytest.mark.parametrize(("value", "reason"), [
    ("010-123-4567", "has 10 digits"),
    ("010-1234-56789", "has 12 digits"),
    ("011-123-4567", "retired 011"),
    ("016-1234-5678", "retired 016"),
    ("02-123-4567", "starting with 010"),
    ("1234", "starting with 010"),
    ("+1 212 555 0100", r"\+82"),
    ("010-1234-567O", "other than digits"),
    ("전화없음", "other than digits"),
    ("1.01235E+09", "other than digits"),
    (1012345678.5, "not a phone number"),
    (-1012345678, "not a phone number"),
    (True, "not a phone number"),
    ("", "empty"),
])
def test_normalize_phone_refuses_with_a_reason(value: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_phone(value)


_FORMATS = [
    lambda d: f"010-{d[:4]}-{d[4:]}",
    lambda d: f"010{d}",
    lambda d: f"010 {d[:4]} {d[4:]}",
    lambda d: f"010.{d[:4]}.{d[4:]}",
    lambda d: f"+82 10-{d[:4]}-{d[4:]}",
    lambda d: f"+8210{d}",
    lambda d: f"82-10-{d[:4]}-{d[4:]}",
    lambda d: f"+82 010 {d[:4]} {d[4:]}",
    lambda d: int(f"10{d}"),
    lambda d: float(f"10{d}"),
    lambda d: f"10{d}",
]


@given(digits=st.text("0123456789", min_size=8, max_size=8), form=st.sampled_from(_FORMATS))
def test_any_eight_digits_in_any_accepted_format_normalise(
    digits: str, form: Callable[[str], object]
) -> None:
    assert normalize_phone(form(digits)) == "010" + digits


def test_numeric_phone_cells_that_lost_their_zero(tmp_path: Path) -> None:
    path = write_roster_xlsx(tmp_path / "numeric.xlsx", [
        _student(parent_phone=1012345678, phone=1087654321),
    ])

    (row,) = parse_workbook(path).rows

    assert (row.parent_phone, row.phone) == ("01012345678", "01087654321")


# --- rows -----------------------------------------------------------------------------

def test_invalid_rows_are_reported_with_row_numbers_and_good_rows_kept(tmp_path: Path) -> None:
    path = write_roster_xlsx(tmp_path / "invalid.xlsx", [
        _student(),
        {"parent_phone": "010-1111-2222"},
        {"name": "박지우", "parent_phone": "010-123"},
        {"name": "최하은"},
        _student(name="정예준", phone="011-123-4567", gender="?", grade="고7"),
        _student(name="강" * 51, memo="x" * 1001),
        _student(name="윤서아", parent_phone="010-9999-0000"),
    ])

    result = parse_workbook(path)

    assert [row.name for row in result.rows] == ["김민준", "윤서아"]
    assert result.total == 7
    assert result.errors == [
        RowError(3, "", "name is required"),
        RowError(4, "박지우", "parent phone '010-123' has 6 digits; a 010 number has 11"),
        RowError(5, "최하은", "parent phone is required"),
        RowError(6, "정예준", "phone '011-123-4567' uses the retired 011 prefix; use the 010 "
                 "number; gender '?' is not 남/여 or M/F; grade '고7' does not exist"),
        RowError(7, "강" * 50 + "…", "name is longer than 50 characters; memo is longer "
                 "than 1000 characters"),
    ]


def test_duplicates_inside_the_file_point_at_the_first_row(tmp_path: Path) -> None:
    path = write_roster_xlsx(tmp_path / "dup.xlsx", [
        _student(),
        _student(name="이서연"),
        _student(parent_phone="+82 10 1234 5678", memo="again"),
        _student(name="김민준", parent_phone="010-0000-0000"),  # same name, other family
        _student(parent_phone=1012345678),
    ])

    result = parse_workbook(path)

    assert [row.row for row in result.rows] == [2, 3, 5]
    assert result.errors == [
        RowError(4, "김민준", "duplicate of row 2 in this file"),
        RowError(6, "김민준", "duplicate of row 2 in this file"),
    ]


def test_blank_rows_are_skipped_and_numbering_follows_excel(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "blank.xlsx", [
        ["번호", "이름", "학부모 전화번호", "메모"],
        [1, "김민준", "010-1234-5678", None],
        [None, None, None, None],
        [2, "   ", "  ", None],
        [3, None, None, None],  # a template row with only its number filled in
        [4, "이서연", "010-2222-3333", "  "],
    ])

    result = parse_workbook(path)

    assert [(row.row, row.name, row.memo) for row in result.rows] == [
        (2, "김민준", ""), (6, "이서연", ""),
    ]
    assert result.total == 2


@pytest.mark.parametrize(("grade", "expected", "school_type"), [
    (3, 3, ""), (3.0, 3, ""), ("3", 3, ""), ("3.0", 3, ""), ("03", 3, ""), ("12", 12, ""),
    ("3학년", 3, ""), ("고3", 3, "고등"), ("고 3", 3, "고등"), ("중1", 1, "중등"),
    ("초6", 6, "초등"), ("고등학교 2학년", 2, "고등"), ("중학교1학년", 1, "중등"),
])
def test_grade_forms(grade: object, expected: int, school_type: str) -> None:
    row = validate_row(RawRow(2, {"name": "김민준", "parent_phone": "01012345678",
                                  "grade": grade}))

    assert isinstance(row, StudentRow)
    assert (row.grade, row.school_type) == (expected, school_type)


@pytest.mark.parametrize("grade", [0, 13, 2.5, "초7", "중4", "고0", "재수", "N수", "3반"])
def test_bad_grades(grade: object) -> None:
    row = validate_row(RawRow(2, {"name": "김민준", "parent_phone": "01012345678",
                                  "grade": grade}))

    assert isinstance(row, RowError) and row.error.startswith("grade")


def test_a_given_school_type_wins_over_the_grade_prefix() -> None:
    row = validate_row(RawRow(2, {"name": "김민준", "parent_phone": "01012345678",
                                  "grade": "고2", "school_type": "일반고"}))

    assert isinstance(row, StudentRow) and row.school_type == "일반고"


@pytest.mark.parametrize(("gender", "expected"), [
    ("남", "M"), ("남자", "M"), ("M", "M"), ("male", "M"), (" Male ", "M"),
    ("여", "F"), ("여자", "F"), ("f", "F"), ("FEMALE", "F"),
])
def test_gender_forms(gender: str, expected: str) -> None:
    row = validate_row(RawRow(2, {"name": "a", "parent_phone": "01012345678",
                                  "gender": gender}))

    assert isinstance(row, StudentRow) and row.gender == expected


def test_numeric_cells_become_text_without_a_trailing_zero() -> None:
    row = validate_row(RawRow(2, {"name": "a", "parent_phone": "01012345678",
                                  "class_name": 3.0, "major": 2.5, "memo": 10.0}))

    assert isinstance(row, StudentRow)
    assert (row.class_name, row.major, row.memo) == ("3", "2.5", "10")


def test_max_rows_exceeded_names_the_limit(tmp_path: Path) -> None:
    path = write_roster_xlsx(tmp_path / "many.xlsx", generate_rows(11, seed=1))

    assert parse_workbook(path, max_rows=11).total == 11
    with pytest.raises(ImportFileError, match="more than 10 student rows"):
        parse_workbook(path, max_rows=10)


def test_sources_can_be_bytes_or_a_binary_file(tmp_path: Path) -> None:
    data = write_roster_xlsx(tmp_path / "r.xlsx", [_student()]).read_bytes()
    upload = io.BytesIO(data)
    upload.seek(5)  # a caller that read some of it already

    assert len(parse_workbook(data).rows) == 1
    assert len(parse_workbook(upload).rows) == 1


def test_the_first_visible_sheet_is_read(tmp_path: Path) -> None:
    workbook = Workbook()
    hidden = workbook.active
    hidden.append(["template"])
    hidden.sheet_state = "hidden"
    roster = workbook.create_sheet("명단")
    roster.append(["이름", "학부모 전화번호"])
    roster.append(["김민준", "010-1234-5678"])
    workbook.save(tmp_path / "hidden.xlsx")

    assert [row.name for row in parse_workbook(tmp_path / "hidden.xlsx").rows] == ["김민준"]


def test_generated_rows_match_their_expected_counts(tmp_path: Path) -> None:
    path = write_roster_xlsx(
        tmp_path / "gen.xlsx", generate_rows(300, seed=7, invalid_every=7, duplicate_every=11)
    )

    result = parse_workbook(path)
    duplicates = _duplicates(result.errors)

    assert expected_counts(300, invalid_every=7, duplicate_every=11) == (
        len(result.rows), len(result.errors) - duplicates, duplicates
    )
    assert list(generate_rows(5, seed=7)) == list(generate_rows(5, seed=7))


def _duplicates(errors: list[RowError]) -> int:
    return sum(error.error.startswith("duplicate of row") for error in errors)


# --- files that are not rosters, or are traps ----------------------------------------

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
        parse_workbook(path, max_bytes=1000)


def test_a_zip_bomb_is_refused_without_inflating_it() -> None:
    bomb = _raw_zip([_WORKBOOK, ("xl/worksheets/sheet1.xml", _deflated_zeros(300))])
    assert len(bomb) < 400_000

    with pytest.raises(ImportFileError, match="zip bomb"):
        check_workbook(bomb)


def test_a_zip_bomb_under_the_ratio_limit_still_hits_the_size_limit() -> None:
    bomb = _raw_zip([_WORKBOOK, ("xl/worksheets/sheet1.xml", _deflated_zeros(300))])

    with pytest.raises(ImportFileError, match="unpacks to more than 200 MB"):
        check_workbook(bomb, max_ratio=10_000)


def test_a_zip_bomb_with_forged_sizes_is_caught_while_inflating() -> None:
    # The headers claim 1 KB; calamine would inflate all 50 MB anyway.
    bomb = _raw_zip([_WORKBOOK, ("xl/worksheets/sheet1.xml", _deflated_zeros(50))],
                    forge={"xl/worksheets/sheet1.xml": (1024, 0)})

    with pytest.raises(ImportFileError, match="zip bomb"):
        check_workbook(bomb)
    with pytest.raises(ImportFileError, match="unpacks to more than 2 MB"):
        check_workbook(bomb, max_ratio=10_000, max_uncompressed=2 * MB)


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

    result = parse_workbook(_xlsx(tmp_path / "wide.xlsx", rows))

    assert len(result.rows) == 40


# --- volume ---------------------------------------------------------------------------

@pytest.mark.slow  # openpyxl takes about 25 s to write the file
def test_100000_generated_rows(tmp_path: Path) -> None:
    n = 100_000
    started = time.perf_counter()
    path = write_roster_xlsx(
        tmp_path / "big.xlsx", generate_rows(n, seed=42, invalid_every=100, duplicate_every=250)
    )
    written = time.perf_counter() - started

    started, cpu = time.perf_counter(), time.process_time()
    result = parse_workbook(path)
    parsed, parse_cpu = time.perf_counter() - started, time.process_time() - cpu

    print(f"\n100,000 rows: openpyxl wrote {path.stat().st_size / MB:.1f} MB in {written:.1f} s; "
          f"parse_workbook took {parsed:.2f} s wall, {parse_cpu:.2f} s CPU")
    expected = expected_counts(n, invalid_every=100, duplicate_every=250)
    assert (len(result.rows), result.total) == (expected.valid, n)
    assert len(result.errors) == expected.invalid + expected.duplicates


def test_english_header_names_are_recognised() -> None:
    assert sorted(header_columns(list(ENGLISH_HEADERS.values())).values()) == sorted(
        ENGLISH_HEADERS
    )
