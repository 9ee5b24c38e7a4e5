"""Who a message goes to: a Korean mobile number or an e-mail address, normalised."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from academy.phones import phone_normalize

RecipientKind = Literal["sms", "email"]


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    address: str  # "01012345678" for sms, "name@example.com" for email


def parse_recipient(text: str) -> Recipient:
    """Return the recipient `text` names: a Korean mobile number or an e-mail address.

    Phones are normalised by academy.phones, the import's rule: 11 digits starting 010.
    Raise ValueError saying what is wrong otherwise.
    """
    if not isinstance(text, str):
        raise ValueError(f"recipient must be a string, got {type(text).__name__}")
    # NFKC turns full-width digits, '＠', '＋' and '－' into their ASCII forms.
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned:
        raise ValueError("recipient is empty")
    if "@" in cleaned:
        return Recipient(kind="email", address=_normalise_email(cleaned))
    try:
        return Recipient(kind="sms", address=phone_normalize(cleaned))
    except ValueError as exc:
        raise ValueError(f"phone {exc}") from None


def _normalise_email(text: str) -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(text)
    except ValidationError:
        raise ValueError(f"not a valid e-mail address: {text!r}") from None
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"  # the local part may be case-sensitive; the domain is not
