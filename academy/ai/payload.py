"""The grading job's payload: a DRF serializer, and the one-line reason a client is shown.

DRF collects nested errors (`{"answer_key": [{}, {"points": [...]}]}`); `payload_check`
answers with the first of them as one line that names where it is, as
"answer_key[1].points must be a number > 0, got 0". The cleaned payload is valid input
again: validating it twice changes nothing.
"""
from __future__ import annotations

import math
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.fields import empty
from rest_framework.settings import api_settings

from academy.ai.answers import normalise_answer, parse_number

MAX_SUBMISSIONS = 5000
MAX_QUESTIONS = 500
MAX_ANSWER_CHARS = 2000

DEFAULT_OPTIONS: dict[str, float | int] = {
    "full_threshold": 0.85,  # similarity from which a non-exact answer earns full points
    "partial_threshold": 0.6,  # ... partial points; below it, zero
    "partial_credit": 0.5,  # share of the points a partial answer earns
    "duplicate_threshold": 0.9,  # cosine from which two submissions are reported
    "duplicate_min_answers": 2,  # non-key answers each student of a pair must have
}

# An error with this code is shown as it is, without the place it was found.
_WHOLE = "whole"
_NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _type(value: Any) -> str:
    return type(value).__name__


class _Field(serializers.Field):
    """A field that validates a missing value as None (unless it has a default), so its own
    message names the problem; null is never skipped either."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is empty:
            if self.required:
                self.fail("required")
            if self.default is not empty:
                return True, self.get_default()
            return False, None
        return False, data

    def to_representation(self, value: Any) -> Any:
        return value


def _text(value: Any, *, allow_none: bool = False) -> str | None:
    if value is None and allow_none:
        return None
    if isinstance(value, str):
        if len(value) > MAX_ANSWER_CHARS:
            raise ValidationError(f"is longer than {MAX_ANSWER_CHARS} characters")
        return value
    if _is_number(value):
        return str(value)
    kinds = "a string, a number or null" if allow_none else "a string or a number"
    raise ValidationError(f"must be {kinds}, got {_type(value)}")


class _Text(_Field):
    """A string, or a number written as one."""

    def to_internal_value(self, data: Any) -> str:
        text = _text(data)
        if not normalise_answer(text):
            raise ValidationError("is empty")
        return text


class _String(_Field):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            raise ValidationError("must be a string")
        return data


class _Texts(_Field):
    """A list of answers, each a string or a number (or null where `allow_none`).

    One field for the whole list, not a ListField of fields: 5,000 submissions of 500
    answers stay a plain loop.
    """

    def __init__(self, *, allow_none: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.allow_none = allow_none

    def to_internal_value(self, data: Any) -> list[str | None]:
        if not isinstance(data, list):
            raise ValidationError(f"must be a list, got {_type(data)}")
        if self.allow_none and len(data) > MAX_QUESTIONS:
            key = self.root.initial_data.get("answer_key")
            questions = len(key) if isinstance(key, list) else 0
            raise ValidationError(f"has {len(data)} answers for {questions} questions")
        cleaned = []
        for index, answer in enumerate(data):
            try:
                cleaned.append(_text(answer, allow_none=self.allow_none))
            except ValidationError as exc:
                raise ValidationError({index: exc.detail}) from None
        if not self.allow_none:  # alternatives to a key: each must say something
            for index, text in enumerate(cleaned):
                if not normalise_answer(text):
                    raise ValidationError({index: ["is empty"]})
        return cleaned


class _Number(_Field):
    """A finite number (bool is not one), kept as given: 2 stays an int."""

    def __init__(self, *, check: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check

    def to_internal_value(self, data: Any) -> int | float | None:
        if data is None and self.default is None:
            return None
        if not _is_number(data) or (self.check == "> 0" and data <= 0) \
                or (self.check == ">= 0" and data < 0):
            wanted = f"a number {self.check}" if self.check else "a number"
            raise ValidationError(f"must be {wanted}, got {data!r}")
        return data


class _Object(serializers.Serializer):
    """A JSON object whose unknown fields are refused by name."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is empty and self.required:
            self.fail("required")
        return False, data  # null is "not an object", said by to_internal_value

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise ValidationError({_NON_FIELD: [f"must be an object, got {_type(data)}"]})
        extra = sorted(set(data) - set(self.fields), key=str)
        if extra:
            raise ValidationError({_NON_FIELD: [
                f"has unknown field(s) {', '.join(map(repr, extra))}; "
                f"expected {', '.join(sorted(self.fields))}"
            ]})
        return super().to_internal_value(data)


class _List(serializers.ListSerializer):
    """A JSON list of at most `max_items`, checked before its items are."""

    def __init__(self, *args: Any, max_items: int, what: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_items = max_items
        self.what = what

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is empty and self.required:
            self.fail("required")
        return False, data  # null is "not a list", said by to_internal_value

    def to_internal_value(self, data: Any) -> list[Any]:
        if not isinstance(data, list):
            raise ValidationError(f"must be a list, got {_type(data)}")
        if len(data) > self.max_items:
            raise ValidationError(f"too many {self.what}: {len(data)} > {self.max_items}", code=_WHOLE)
        return super().to_internal_value(data)


class KeyItemSerializer(_Object):
    question = _String(required=False, default="")
    answer = _Text()
    points = _Number(required=False, default=1, check="> 0")
    accept = _Texts(required=False, default=list, allow_none=False)
    tolerance = _Number(required=False, default=None, check=">= 0")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["tolerance"] is not None and parse_number(attrs["answer"]) is None:
            raise ValidationError({"tolerance": [
                f"is set but the answer {attrs['answer']!r} is not a number"
            ]})
        return attrs


class _Student(_Field):
    """A student's name (not blank) or integer id; each at most once in the submissions."""

    def to_internal_value(self, data: Any) -> str | int:
        if isinstance(data, str):
            if not data.strip():
                raise ValidationError("is empty")
        elif not isinstance(data, int) or isinstance(data, bool):
            raise ValidationError("must be a string or an integer id")
        return data


class _Submissions(_List):
    """Submissions in order; a student named twice is refused where it appears again."""

    def to_internal_value(self, data: Any) -> list[Any]:
        self.seen: dict[Any, int] = {}
        self.index = -1
        return super().to_internal_value(data)

    def run_child_validation(self, data: Any) -> Any:
        self.index += 1
        return super().run_child_validation(data)


class SubmissionSerializer(_Object):
    student = _Student(required=False)
    answers = _Texts(required=False, allow_none=True)

    def validate_student(self, value: str | int) -> str | int:
        # Checked here, before the answers, so the first problem of a submission is named.
        submissions = self.parent
        if value in submissions.seen:
            raise ValidationError(f"{value!r} already appears in "
                                  f"submissions[{submissions.seen[value]}]")
        submissions.seen[value] = submissions.index
        return value


class OptionsSerializer(_Object):
    full_threshold = _Number(required=False, default=DEFAULT_OPTIONS["full_threshold"])
    partial_threshold = _Number(required=False, default=DEFAULT_OPTIONS["partial_threshold"])
    partial_credit = _Number(required=False, default=DEFAULT_OPTIONS["partial_credit"])
    duplicate_threshold = _Number(required=False, default=DEFAULT_OPTIONS["duplicate_threshold"])
    duplicate_min_answers = _Number(required=False, default=DEFAULT_OPTIONS["duplicate_min_answers"])

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        return False, {} if data is empty else data  # no options: every default

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not 0 < attrs["partial_threshold"] < attrs["full_threshold"] <= 1:
            raise ValidationError("must satisfy 0 < partial_threshold < full_threshold <= 1")
        if not 0 <= attrs["partial_credit"] <= 1:
            raise ValidationError({"partial_credit": ["must be between 0 and 1"]})
        if not 0 < attrs["duplicate_threshold"] <= 1:
            raise ValidationError({"duplicate_threshold": ["must be > 0 and <= 1"]})
        minimum = attrs["duplicate_min_answers"]
        if minimum != int(minimum) or minimum < 1:
            raise ValidationError({"duplicate_min_answers": ["must be an integer >= 1"]})
        return {**attrs, "duplicate_min_answers": int(minimum)}


class PayloadSerializer(_Object):
    answer_key = _List(child=KeyItemSerializer(), max_items=MAX_QUESTIONS, what="questions")
    submissions = _Submissions(child=SubmissionSerializer(), max_items=MAX_SUBMISSIONS,
                               what="submissions")
    options = OptionsSerializer(required=False)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict) and set(data) <= set(self.fields):
            # Both lists are named before either is read, as the reason for a half payload.
            for name in ("answer_key", "submissions"):
                if name not in data:
                    raise ValidationError({name: [ErrorDetail("", code="required")]})
        return super().to_internal_value(data)

    def validate_answer_key(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not value:
            raise ValidationError("is empty")
        return value


def payload_check(payload: Any) -> tuple[dict[str, Any], list[str]]:
    """Return (cleaned payload, warnings), or raise ValueError saying what is wrong."""
    serializer = PayloadSerializer(data=payload)
    if not serializer.is_valid():
        raise ValueError(_first_error(serializer.errors, None))
    cleaned = dict(serializer.validated_data)
    questions = len(cleaned["answer_key"])
    warnings = []
    for index, submission in enumerate(cleaned["submissions"]):
        answers, student = len(submission["answers"]), submission["student"]
        if answers != questions:
            what = ("the missing ones count as blank" if answers < questions
                    else "the extra ones are ignored")
            warnings.append(f"submissions[{index}] (student {student!r}): {answers} answers for "
                            f"{questions} questions; {what}")
    return cleaned, warnings


def payload_validate(payload: Any) -> dict[str, Any]:
    """Return the cleaned payload, or raise ValueError saying what is wrong."""
    return payload_check(payload)[0]


def _first_error(detail: Any, path: str | None) -> str:
    """Return the first error in DRF's nested `detail` as one line naming where it is."""
    where = path or "payload"
    if isinstance(detail, dict):
        for key, value in detail.items():
            if not value:
                continue
            if key == _NON_FIELD:
                return _first_error(value, path)
            if isinstance(value, list) and value and getattr(value[0], "code", None) == "required":
                return f"{where} is missing '{key}'"
            if isinstance(key, int):
                return _first_error(value, f"{where}[{key}]")
            return _first_error(value, key if path is None else f"{path}.{key}")
    if isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                if value:
                    return _first_error(value, f"{where}[{index}]")
            else:
                return str(value) if getattr(value, "code", None) == _WHOLE else f"{where} {value}"
    return f"{where} {detail}"
