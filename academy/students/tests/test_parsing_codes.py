"""Every reason a roster row is refused has a code and params beside its English."""
import pytest

from academy.students.parsing import RowError, parse_workbook
from academy.students.tests.rosters import student
from academy.testdata.roster import write_roster_xlsx


@pytest.mark.parametrize("row, code, params", [
    (student(name=""), "field_required", {"field": "name"}),
    (student(name="김" * 51), "field_too_long", {"field": "name", "limit": 50}),
    (student(parent_phone=None), "field_required", {"field": "parent_phone"}),
    (student(parent_phone="02-123-4567"), "phone_not_010", {"field": "parent_phone", "value": "02-123-4567"}),
    (student(parent_phone="011-123-4567"), "phone_retired_prefix",
     {"field": "parent_phone", "value": "011-123-4567", "prefix": "011"}),
    (student(parent_phone="010-123"), "phone_wrong_length", {"field": "parent_phone", "value": "010-123", "digits": 6}),
    (student(parent_phone="010-12ab-5678"), "phone_not_digits", {"field": "parent_phone", "value": "010-12ab-5678"}),
    (student(parent_phone="+1 650 253 0000"), "phone_not_korean", {"field": "parent_phone", "value": "+1 650 253 0000"}),
    (student(phone="1234"), "phone_not_010", {"field": "phone", "value": "1234"}),
    (student(gender="기타"), "gender_invalid", {"value": "기타"}),
    (student(grade="고7"), "grade_does_not_exist", {"value": "고7"}),
    (student(grade="13"), "grade_out_of_range", {"value": 13}),
    (student(grade="셋"), "grade_unreadable", {"value": "셋"}),
    (student(grade=2.5), "grade_not_whole", {"value": 2.5}),
    (student(memo="m" * 1001), "field_too_long", {"field": "memo", "limit": 1000}),
])
def test_each_problem_has_its_code_and_params(tmp_path, row, code, params):
    result = parse_workbook(write_roster_xlsx(tmp_path / "r.xlsx", [row]))
    [error] = result.errors
    failed = error.as_failed()
    assert (failed["code"], failed["params"]) == (code, params)
    assert failed["error"] == error.error and failed["row"] == 2


def test_several_problems_are_listed_each_with_its_code(tmp_path):
    result = parse_workbook(write_roster_xlsx(tmp_path / "r.xlsx", [student(name="", gender="?", grade="0")]))
    failed = result.errors[0].as_failed()
    assert failed["code"] == "row_problems"
    assert [p["code"] for p in failed["params"]["problems"]] == ["field_required", "gender_invalid",
                                                                  "grade_out_of_range"]
    assert failed["error"] == "name is required; gender '?' is not 남/여 or M/F; grade 0 is not between 1 and 12"


def test_a_duplicate_names_the_first_row(tmp_path):
    result = parse_workbook(write_roster_xlsx(tmp_path / "r.xlsx", [student(), student()]))
    assert result.errors == [RowError(3, "김민준", "duplicate of row 2 in this file")]
    assert result.errors[0].as_failed()["params"] == {"first_row": 2}
