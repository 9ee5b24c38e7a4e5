"""Normalising one row's cells (parsing.values)."""
from __future__ import annotations

from pathlib import Path

import pytest

from academy.students.parsing import RawRow, RowError, StudentRow, parse_workbook, validate_row
from academy.students.tests.rosters import student
from academy.testdata.roster import write_roster_xlsx


def test_invalid_rows_are_reported_with_row_numbers_and_good_rows_kept(tmp_path: Path) -> None:
    path = write_roster_xlsx(tmp_path / "invalid.xlsx", [
        student(),
        {"parent_phone": "010-1111-2222"},
        {"name": "박지우", "parent_phone": "010-123"},
        {"name": "최하은"},
        student(name="정예준", phone="011-123-4567", gender="?", grade="고7"),
        student(name="강" * 51, memo="x" * 1001),
        student(name="윤서아", parent_phone="010-9999-0000"),
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


def test_numeric_phone_cells_that_lost_their_zero(tmp_path: Path) -> None:
    path = write_roster_xlsx(tmp_path / "numeric.xlsx", [
        student(parent_phone=1012345678, phone=1087654321),
    ])

    (row,) = parse_workbook(path).rows

    assert (row.parent_phone, row.phone) == ("01012345678", "01087654321")


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


def test_remembered_grades_and_genders_answer_like_the_first_time() -> None:
    def row(**values):
        return validate_row(RawRow(2, {"name": "김민준", "parent_phone": "010-1111-2222", **values}))

    for _ in range(2):  # the second pass reads what the first one remembered
        assert (row(grade=1).grade, row(grade=3.0).grade, row(grade="고3").school_type) == (1, 3, "고등")
        assert (row(gender="남").gender, row(gender=" F ").gender) == ("M", "F")
        # True == 1 and hashes like it: it must not read as the remembered grade 1.
        assert isinstance(row(grade=True), RowError)
        assert isinstance(row(grade=1.5), RowError) and isinstance(row(grade="고7"), RowError)
        assert isinstance(row(gender="기타"), RowError)


def test_remembered_number_texts_answer_like_the_first_time() -> None:
    def row(value):
        return validate_row(RawRow(2, {"name": "a", "parent_phone": "01012345678", "class_name": value}))

    for _ in range(2):  # the second pass reads what the first one remembered
        assert [row(value).class_name for value in (3, 3.0, 2.5, True, 1, 10**17, 1e17)] == [
            "3", "3", "2.5", "TRUE", "1", "100000000000000000", "100000000000000000"]
