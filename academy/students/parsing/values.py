"""Normalise the cells of one roster row into a StudentRow, or say what is wrong with it."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from sys import intern

from academy.phones import PhoneInvalid, phone_normalize
from academy.students.parsing.types import MAX_LENGTHS, RawRow, RowError, StudentRow


def cell_text(value: object) -> str:
    """Return a cell as stripped text; integral floats lose their ".0" (3.0 -> "3")."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()



_GENDERS = {
    **dict.fromkeys(("남", "남자", "남성", "남학생", "m", "male", "boy", "man"), "M"),
    **dict.fromkeys(("여", "여자", "여성", "여학생", "f", "female", "girl", "woman"), "F"),
}
_LEVELS = {  # Korean school level prefix -> (school type, highest grade)
    "초": ("초등", 6), "초등": ("초등", 6), "초등학교": ("초등", 6),
    "중": ("중등", 3), "중등": ("중등", 3), "중학교": ("중등", 3),
    "고": ("고등", 3), "고등": ("고등", 3), "고등학교": ("고등", 3),
}
_GRADE = re.compile(r"(초등학교|초등|초|중학교|중등|중|고등학교|고등|고)?(\d{1,2})(?:\.0+)?(?:학년)?")


class _Problems:
    """What is wrong with a row: English for the `error` text, code and params for clients."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.coded: list[dict] = []

    def add(self, text: str, code: str, **params) -> None:
        self.texts.append(text)
        self.coded.append({"code": code, "params": params})


class _GradeInvalid(ValueError):
    def __init__(self, code: str, message: str, value: object):
        super().__init__(message)
        self.code, self.value = code, value


def _grade(value: object) -> tuple[int, str]:
    """Return (grade, school type implied by a prefix like 고3, or "")."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not float(value).is_integer():
            raise _GradeInvalid("grade_not_whole", f"grade {value!r} is not a whole number", value)
        grade, level = int(value), None
    else:
        text = "".join(unicodedata.normalize("NFKC", cell_text(value)).split())
        match = _GRADE.fullmatch(text)
        if match is None:
            raise _GradeInvalid("grade_unreadable", f"grade {cell_text(value)!r} is not a grade like 3, 3학년 or 고3",
                                cell_text(value))
        level, grade = match.group(1), int(match.group(2))
    if level is None:
        if not 1 <= grade <= 12:
            raise _GradeInvalid("grade_out_of_range", f"grade {grade} is not between 1 and 12", grade)
        return grade, ""
    school_type, highest = _LEVELS[level]
    if not 1 <= grade <= highest:
        raise _GradeInvalid("grade_does_not_exist", f"grade {cell_text(value)!r} does not exist", cell_text(value))
    return grade, school_type


def _add(problems: _Problems | None, text: str, code: str, **params) -> _Problems:
    """Add a problem, making the list at the first one (most rows have none)."""
    if problems is None:
        problems = _Problems()
    problems.add(text, code, **params)
    return problems


def _phone(value: object, field: str, problems: _Problems | None, *,
           required: bool) -> tuple[str, _Problems | None]:
    """Return the normalised number ("" when missing or wrong) and the problems so far."""
    if value is None:
        if required:
            problems = _add(problems, f"{field.replace('_', ' ')} is required", "field_required", field=field)
        return "", problems
    try:
        return phone_normalize(value), problems
    except PhoneInvalid as exc:
        return "", _add(problems, f"{field.replace('_', ' ')} {exc}", exc.code, field=field, **exc.params)


def validate_row(raw: RawRow) -> StudentRow | RowError:
    """Return the row normalised, or a RowError listing every problem found."""
    values = raw.values  # blank cells are absent, never ""
    get = values.get
    problems: _Problems | None = None

    value = get("name")
    name = " ".join((value if value.__class__ is str else cell_text(value)).split())
    if not name:
        problems = _add(problems, "name is required", "field_required", field="name")
    elif len(name) > _NAME_MAX:
        problems = _add(problems, f"name is longer than {_NAME_MAX} characters", "field_too_long",
                        field="name", limit=_NAME_MAX)

    parent_phone, problems = _phone(get("parent_phone"), "parent_phone", problems, required=True)
    phone, problems = _phone(get("phone"), "phone", problems, required=False)
    gender = implied_type = ""

    value = get("gender")
    if value is not None:
        text_value = value.__class__ is str
        gender = _GENDER_SEEN.get(value) if text_value else None
        if gender is None:
            gender = _GENDERS.get("".join(cell_text(value).lower().split()), "")
            if gender and text_value and len(_GENDER_SEEN) < _SEEN_MAX:
                _GENDER_SEEN[value] = gender
        if not gender:
            problems = _add(problems, f"gender {cell_text(value)!r} is not 남/여 or M/F", "gender_invalid",
                            value=cell_text(value))

    grade: int | None = None
    value = get("grade")
    if value is not None:
        kind = value.__class__
        # A roster has a dozen distinct grades: remember the valid ones. Text, int and float
        # only (never bool: True == 1), and 3 == 3.0 share a key because they give one grade.
        seen = _GRADE_SEEN.get(value) if kind is float or kind is str or kind is int else None
        if seen is not None:
            grade, implied_type = seen
        else:
            try:
                grade, implied_type = _grade(value)
            except _GradeInvalid as exc:
                problems = _add(problems, str(exc), exc.code, value=exc.value)
            else:
                if len(_GRADE_SEEN) < _SEEN_MAX and kind in (str, int, float):
                    _GRADE_SEEN[value] = (grade, implied_type)

    texts = []
    for field, limit, label in _TEXT_FIELDS:
        value = get(field)
        if value is None:
            texts.append("")
            continue
        kind = value.__class__
        if kind is str:
            text = value.strip()
        elif kind is float or kind is int:
            # A class or grade column of numbers repeats a few of them (never bools: True == 1).
            text = _NUMBER_TEXT.get(value)
            if text is None:
                text = cell_text(value)
                if len(_NUMBER_TEXT) < _SEEN_MAX:
                    _NUMBER_TEXT[value] = text
        else:
            text = cell_text(value)
        if len(text) > limit:
            problems = _add(problems, f"{label} is longer than {limit} characters", "field_too_long",
                            field=field, limit=limit)
        # A roster repeats a few schools and classes 100,000 times: share one string.
        texts.append(intern(text) if len(text) <= _INTERN_MAX else text)
    school, school_type, class_name, major, memo = texts

    if problems is not None:
        shown = name if len(name) <= _NAME_MAX else name[:_NAME_MAX] + "…"
        return RowError(row=raw.row_number, name=shown, error="; ".join(problems.texts),
                        problems=tuple(problems.coded))
    return StudentRow(raw.row_number, name, parent_phone, phone, school, school_type or implied_type,
                      grade, class_name, major, gender, memo)


_NAME_MAX = MAX_LENGTHS["name"]
# Valid grade cells (text or number) and gender cells (text) already normalised; bounded,
# so a file of odd values cannot grow them without end.
_GRADE_SEEN: dict[object, tuple[int, str]] = {}
_GENDER_SEEN: dict[str, str] = {}
_NUMBER_TEXT: dict[float | int, str] = {}  # 3 and 3.0 read "3" alike
_SEEN_MAX = 1000
_INTERN_MAX = 100
_TEXT_FIELDS = tuple(
    (field, MAX_LENGTHS[field], field.replace("_", " "))
    for field in ("school", "school_type", "class_name", "major", "memo")
)
