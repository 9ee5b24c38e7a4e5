"""Recipients: an e-mail address or a phone (the phone rule itself: academy/tests/test_phones.py)."""
from __future__ import annotations

import pytest

from academy.messaging.recipients import Recipient, parse_recipient


@pytest.mark.parametrize("text, expected", [
    ("010-1234-5678", Recipient("sms", "01012345678")),
    ("82 10 1234 5678", Recipient("sms", "01012345678")),  # the import's rule, the same here
    ("010\u20101234\u20105678", Recipient("sms", "01012345678")),  # U+2010 hyphens
    ("０１０－１２３４－５６７８", Recipient("sms", "01012345678")),  # full-width
    ("parent@example.com", Recipient("email", "parent@example.com")),
    ("  Parent.Kim@Example.COM ", Recipient("email", "Parent.Kim@example.com")),
    ("학부모＠example.com", None),  # non-ASCII local part: rejected by validate_email
])
def test_parse_recipient_accepts(text, expected):
    if expected is None:
        with pytest.raises(ValueError, match="e-mail"):
            parse_recipient(text)
    else:
        assert parse_recipient(text) == expected


@pytest.mark.parametrize("text, reason", [
    ("", "empty"),
    ("   ", "empty"),
    (None, "must be a string"),
    (1012345678, "must be a string"),
    ("010-1234-567", "^phone '010-1234-567' has 10 digits; a 010 number has 11$"),
    ("+1 415 555 0100", r"^phone .* is not a Korean \(\+82\) number$"),
    ("parent@", "not a valid e-mail"),
    ("@example.com", "not a valid e-mail"),
    ("parent@@example.com", "not a valid e-mail"),
    ("parent@example", "not a valid e-mail"),
])
def test_parse_recipient_rejects_with_a_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_recipient(text)
