"""Korean mobile numbers: the one normaliser the roster import and messaging share.

Pure Python, no Django. The rule: a number is accepted when it is a Korean mobile number
that starts with 010, written nationally ("010-1234-5678", "01012345678", "1012345678" from
a spreadsheet cell that dropped the leading 0) or internationally ("+82 10 1234 5678",
"82 10 1234 5678", "0082-10-...", "+82 (0)10 ..."), with any spaces, dots, parentheses,
slashes or dashes (every Unicode dash, the minus sign, full-width forms) between the
digits. It is stored as 11 ASCII digits starting 010.
"""
from __future__ import annotations

import unicodedata

import phonenumbers

# Separators people type inside phone numbers: spaces, dots, parentheses, slashes, the
# minus sign, and every dash (Unicode category Pd, pinned by a test), so "010‐1234‐5678"
# with U+2010 hyphens reads like the ASCII one.
_ASCII_SEPARATORS = " \t-.()/"
DASHES = (
    "-\u058a\u05be\u1400\u1806\u2010\u2011\u2012\u2013\u2014\u2015\u2e17\u2e1a\u2e3a"
    "\u2e3b\u2e40\u2e5d\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead"
)
SPACES = " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_STRIP = str.maketrans("", "", _ASCII_SEPARATORS)
_STRIP_ALL = str.maketrans("", "", _ASCII_SEPARATORS + DASHES + SPACES + "\u2212")
_LEGACY_MOBILE = ("011", "016", "017", "018", "019")


class PhoneInvalid(ValueError):
    """Not a Korean mobile number: the message for people, a stable code and params for clients."""

    def __init__(self, code: str, message: str, params: dict | None = None):
        super().__init__(message)
        self.code = code
        self.params = params or {}


def phone_normalize(value: object) -> str:
    """Return a Korean mobile number as 11 digits starting 010, or raise PhoneInvalid (a ValueError).

    `value` may be text or an integral number (a spreadsheet cell). Legacy 011/016/017/
    018/019 numbers are refused: they were retired in 2021, and a parent is identified by a
    010 number. The ValueError's message names the value and what is wrong with it.
    """
    kind = value.__class__
    if kind is str:
        # The common spellings, "010-1234-5678", "010 1234 5678", "01012345678", without
        # the general path: an import of 100,000 rows calls this twice a row.
        digits = value.translate(_STRIP)
        if len(digits) == 11 and digits.startswith("010") and digits.isascii() and digits.isdigit():
            return digits
    elif kind is float or kind is int:
        # A number cell, 1012345678 (Excel dropped the leading 0; calamine gives a float):
        # the general path would make "010" + its digits too.
        if 1_000_000_000 <= value <= 1_099_999_999 and (kind is int or value.is_integer()):
            return f"0{int(value)}"
    if isinstance(value, bool) or value is None:
        raise PhoneInvalid("phone_not_a_number", "is not a phone number", {"value": ""})
    if isinstance(value, float):
        if not value.is_integer():
            raise PhoneInvalid("phone_not_a_number", f"{value!r} is not a phone number", {"value": repr(value)})
        value = int(value)
    if isinstance(value, int):
        if value < 0:
            raise PhoneInvalid("phone_not_a_number", f"{value!r} is not a phone number", {"value": repr(value)})
        shown = text = str(value)
    elif isinstance(value, str):
        shown = value.strip()
        # NFKC turns full-width digits, "＋" and "－", as typed on Korean IMEs, into ASCII.
        text = shown if shown.isascii() else unicodedata.normalize("NFKC", shown)
    else:  # a date or time: Excel took "10-12-31" for one
        raise PhoneInvalid("phone_not_a_number", f"{str(value)!r} is not a phone number", {"value": str(value)})
    plus = text.startswith("+")
    digits = (text[1:] if plus else text).translate(_STRIP_ALL)
    if not digits:
        raise PhoneInvalid("phone_empty", "is empty")
    if not (digits.isascii() and digits.isdigit()):
        raise PhoneInvalid("phone_not_digits", f"{shown!r} has characters other than digits", {"value": shown})
    if plus or digits.startswith(("82", "0082")):
        digits = _national(digits[2:] if digits.startswith("0082") else digits, shown)
    elif len(digits) == 10 and digits.startswith("10"):
        digits = "0" + digits  # a number cell: Excel dropped the leading 0
    if len(digits) == 11 and digits.startswith("010"):
        return digits
    if digits.startswith(_LEGACY_MOBILE):
        raise PhoneInvalid("phone_retired_prefix", f"{shown!r} uses the retired {digits[:3]} prefix; use the 010 number",
                           {"value": shown, "prefix": digits[:3]})
    if not digits.startswith("010"):
        raise PhoneInvalid("phone_not_010", f"{shown!r} is not a mobile number starting with 010", {"value": shown})
    raise PhoneInvalid("phone_wrong_length", f"{shown!r} has {len(digits)} digits; a 010 number has 11",
                       {"value": shown, "digits": len(digits)})


def _national(international: str, shown: str) -> str:
    """Return the national digits (with the trunk 0) of an international number's digits."""
    try:
        number = phonenumbers.parse("+" + international)
    except phonenumbers.NumberParseException:
        raise PhoneInvalid("phone_not_a_number", f"{shown!r} is not a phone number", {"value": shown}) from None
    if number.country_code != 82:
        raise PhoneInvalid("phone_not_korean", f"{shown!r} is not a Korean (+82) number", {"value": shown})
    # phonenumbers drops the trunk 0, also when it was written: "+82 010 ..." and "+82 10 ...".
    return "0" + str(number.national_number)
