"""Finding the header and reading data rows (parsing.rows)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from academy.students.parsing import (
    ImportFileError,
    ImportLimits,
    RawRow,
    StudentRow,
    header_columns,
    parse_workbook,
    read_rows,
)
from academy.students.tests.rosters import student, xlsx_write
from academy.testdata.roster import ENGLISH_HEADERS, generate_rows, write_roster_xlsx


def test_korean_headers_give_normalised_rows_numbered_as_in_excel(tmp_path: Path) -> None:
    path = write_roster_xlsx(tmp_path / "ko.xlsx", [
        student(phone="01098765432", school=" 휘문고등학교 ", school_type="고등", grade=2,
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
        student(name="Jane  Doe", gender="female", grade="3", class_name="A"),
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
    path = xlsx_write(tmp_path / "title.xlsx", [
        ["2025학년도 겨울방학 학생 명단"],
        [],
        ["번호", "이름", "학부모 전화번호"],
        [1, "김민준", "010-1234-5678"],
    ])

    reader = read_rows(path)

    assert reader.header_row == 3
    assert list(reader) == [RawRow(4, {"name": "김민준", "parent_phone": "010-1234-5678"})]


def test_no_name_column_is_a_file_error(tmp_path: Path) -> None:
    path = xlsx_write(tmp_path / "noname.xlsx", [["학생", "전화"], ["김민준", "010-1234-5678"]])

    with pytest.raises(ImportFileError, match="name column"):
        read_rows(path)  # raised by the call, before any row is read


def test_no_parent_phone_column_is_a_file_error(tmp_path: Path) -> None:
    path = xlsx_write(tmp_path / "noparent.xlsx", [["이름", "전화번호"], ["김민준", "010-1234-5678"]])

    with pytest.raises(ImportFileError, match="parent phone column"):
        parse_workbook(path)


def test_an_empty_sheet_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="empty"):
        parse_workbook(xlsx_write(tmp_path / "empty.xlsx", []))


def test_blank_rows_are_skipped_and_numbering_follows_excel(tmp_path: Path) -> None:
    path = xlsx_write(tmp_path / "blank.xlsx", [
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


def test_max_rows_exceeded_names_the_limit(tmp_path: Path) -> None:
    path = write_roster_xlsx(tmp_path / "many.xlsx", generate_rows(11, seed=1))

    assert parse_workbook(path, limits=ImportLimits(max_rows=11)).total == 11
    with pytest.raises(ImportFileError, match="more than 10 student rows"):
        parse_workbook(path, limits=ImportLimits(max_rows=10))


def test_sources_can_be_bytes_or_a_binary_file(tmp_path: Path) -> None:
    data = write_roster_xlsx(tmp_path / "r.xlsx", [student()]).read_bytes()
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


def test_english_header_names_are_recognised() -> None:
    assert sorted(header_columns(list(ENGLISH_HEADERS.values())).values()) == sorted(
        ENGLISH_HEADERS
    )
