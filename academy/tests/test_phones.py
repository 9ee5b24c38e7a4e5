"""The one phone rule, shared by the roster import and messaging: one table, both callers."""
from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from academy.messaging.recipients import parse_recipient
from academy.phones import DASHES, SPACES, phone_normalize
from academy.students.parsing import RawRow, RowError, StudentRow, validate_row

# (value, the normalised number or None when refused, a part of the reason when refused)
CASES = [
    ("010-1234-5678", "01012345678", ""),
    ("01012345678", "01012345678", ""),
    ("010 1234 5678", "01012345678", ""),
    (" 010.1234.5678 ", "01012345678", ""),
    ("(010) 1234-5678", "01012345678", ""),
    ("010/1234/5678", "01012345678", ""),
    ("010\u20101234\u20105678", "01012345678", ""),  # U+2010 hyphen
    ("010\u20131234\u20135678", "01012345678", ""),  # en dash
    ("010\u22121234\u22125678", "01012345678", ""),  # minus sign
    ("010\u00a01234\u00a05678", "01012345678", ""),  # no-break space
    ("０１０－１２３４－５６７８", "01012345678", ""),  # full width
    ("+82 10-1234-5678", "01012345678", ""),
    ("+821012345678", "01012345678", ""),
    ("+82 010-1234-5678", "01012345678", ""),
    ("+82 (0)10 1234 5678", "01012345678", ""),
    ("＋８２ １０ １２３４ ５６７８", "01012345678", ""),
    ("82 10 1234 5678", "01012345678", ""),
    ("82-10-1234-5678", "01012345678", ""),
    ("0082-10-1234-5678", "01012345678", ""),
    ("1012345678", "01012345678", ""),  # a number cell lost its leading 0
    ("010-123-4567", None, "has 10 digits; a 010 number has 11"),
    ("010-1234-56789", None, "has 12 digits"),
    ("011-123-4567", None, "retired 011 prefix"),
    ("016-1234-5678", None, "retired 016"),
    ("02-123-4567", None, "starting with 010"),
    ("1234", None, "starting with 010"),
    ("+1 212 555 0100", None, r"not a Korean \(\+82\) number"),
    ("+82", None, "is not a phone number"),
    ("010-1234-567O", None, "other than digits"),
    ("010+1234+5678", None, "other than digits"),
    ("전화없음", None, "other than digits"),
    ("1.01235E+09", None, "other than digits"),
    ("", None, "empty"),
]
# Spreadsheet cells: only the import sees these, as calamine returns them.
CELL_CASES = [
    (1012345678, "01012345678", ""),
    (1012345678.0, "01012345678", ""),
    (821012345678, "01012345678", ""),
    (1012345678.5, None, "not a phone number"),
    (-1012345678, None, "not a phone number"),
    (True, None, "not a phone number"),
    # The edges of the number-cell fast path (1,000,000,000 to 1,099,999,999).
    (1000000000, "01000000000", ""),
    (1099999999.0, "01099999999", ""),
    (999999999, None, "starting with 010"),
    (1100000000.0, None, "starting with 010"),
    (1099999999.5, None, "not a phone number"),
    (10123456789, None, "starting with 010"),
]


@pytest.mark.parametrize("value", [1000000000, 1012345678, 1012345678.0, 1099999999, 1050000000.0])
def test_number_cells_read_like_the_same_digits_typed_as_text(value: object) -> None:
    assert phone_normalize(value) == phone_normalize(str(int(value)))


@pytest.mark.parametrize(("value", "expected", "reason"), CASES + CELL_CASES)
def test_the_rule(value: object, expected: str | None, reason: str) -> None:
    if expected is None:
        with pytest.raises(ValueError, match=reason):
            phone_normalize(value)
    else:
        assert phone_normalize(value) == expected


@pytest.mark.parametrize(("value", "expected", "reason"), [case for case in CASES if case[0].strip()])
def test_import_and_messaging_agree(value: str, expected: str | None, reason: str) -> None:
    row = validate_row(RawRow(2, {"name": "김민준", "parent_phone": value}))
    if expected is None:
        with pytest.raises(ValueError, match=reason):
            parse_recipient(value)
        assert isinstance(row, RowError) and re.search(f"^parent phone .*{reason}", row.error)
    else:
        assert (parse_recipient(value).address, row) == (
            expected, StudentRow(row=2, name="김민준", parent_phone=expected))


def test_every_unicode_dash_and_space_is_a_separator() -> None:
    chars = [chr(c) for c in range(sys.maxunicode + 1)]
    assert set(DASHES) == {ch for ch in chars if unicodedata.category(ch) == "Pd"}
    assert set(SPACES) == {ch for ch in chars if unicodedata.category(ch) == "Zs"}
    for dash in DASHES + SPACES:
        assert phone_normalize(f"010{dash}1234{dash}5678") == "01012345678", repr(dash)


_FORMATS = [
    lambda d: f"010-{d[:4]}-{d[4:]}",
    lambda d: f"010{d}",
    lambda d: f"010 {d[:4]} {d[4:]}",
    lambda d: f"010.{d[:4]}.{d[4:]}",
    lambda d: f"+82 10-{d[:4]}-{d[4:]}",
    lambda d: f"+8210{d}",
    lambda d: f"82-10-{d[:4]}-{d[4:]}",
    lambda d: f"82 10 {d[:4]} {d[4:]}",
    lambda d: f"+82 010 {d[:4]} {d[4:]}",
    lambda d: f"0082 10 {d[:4]} {d[4:]}",
    lambda d: int(f"10{d}"),
    lambda d: float(f"10{d}"),
    lambda d: f"10{d}",
]


@given(digits=st.text("0123456789", min_size=8, max_size=8), form=st.sampled_from(_FORMATS))
def test_any_eight_digits_in_any_accepted_format_normalise(
    digits: str, form: Callable[[str], object]
) -> None:
    assert phone_normalize(form(digits)) == "010" + digits
