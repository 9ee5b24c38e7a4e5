"""Who a message goes to: a Korean mobile number or an e-mail address, normalised."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from academy.phones import PhoneInvalid, phone_normalize

RecipientKind = Literal["sms", "email"]


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    address: str  # "01012345678" for sms, "name@example.com" for email


class RecipientInvalid(ValueError):
    """Not a recipient: the message for people, a stable code and params for clients."""

    def __init__(self, code: str, message: str, params: dict | None = None):
        super().__init__(message)
        self.code = code
        self.params = params or {}


def parse_recipient(text: str) -> Recipient:
    """Return the recipient `text` names: a Korean mobile number or an e-mail address.

    Phones are normalised by academy.phones, the import's rule: 11 digits starting 010.
    Raise RecipientInvalid (a ValueError) saying what is wrong otherwise.
    """
    if not isinstance(text, str):
        raise RecipientInvalid("recipient_not_text", f"recipient must be a string, got {type(text).__name__}",
                               {"type": type(text).__name__})
    # NFKC turns full-width digits, '＠', '＋' and '－' into their ASCII forms.
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned:
        raise RecipientInvalid("recipient_empty", "recipient is empty")
    if "@" in cleaned:
        return Recipient(kind="email", address=_normalise_email(cleaned))
    try:
        return Recipient(kind="sms", address=phone_normalize(cleaned))
    except PhoneInvalid as exc:
        raise RecipientInvalid(exc.code, f"phone {exc}", exc.params) from None


def _normalise_email(text: str) -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(text)
    except ValidationError:
        raise RecipientInvalid("email_invalid", f"not a valid e-mail address: {text!r}", {"value": text}) from None
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"  # the local part may be case-sensitive; the domain is not
