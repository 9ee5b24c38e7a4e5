"""E-mail through Django's mail API."""
from __future__ import annotations

import hashlib
import smtplib
from typing import Any

from academy.messaging.providers.base import ProviderUnavailable, SendResult
from academy.messaging.recipients import Recipient


class EmailProvider:
    """Send e-mail through Django's mail API (EMAIL_BACKEND, DEFAULT_FROM_EMAIL)."""

    def __init__(self, *, from_email: str | None = None, connection: Any = None):
        self.from_email = from_email
        self.connection = connection  # a mail backend instance; None: the configured one

    def send(self, recipient: Recipient, *, subject: str, body: str,
             idempotency_key: str) -> SendResult:
        from django.conf import settings
        from django.core.mail import EmailMessage

        if recipient.kind != "email":
            return SendResult.failed(f"cannot e-mail a {recipient.kind} recipient")
        from_email = self.from_email or settings.DEFAULT_FROM_EMAIL
        # Derived from the idempotency key, so a retried send carries the same Message-ID
        # (receivers may drop the duplicate), and no DNS lookup is made for make_msgid().
        message_id = _email_message_id(idempotency_key, from_email)
        message = EmailMessage(
            subject=subject, body=body, from_email=from_email, to=[recipient.address],
            headers={"Message-ID": message_id, "X-Idempotency-Key": idempotency_key},
            connection=self.connection,
        )
        try:
            sent = message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            reasons = "; ".join(f"{code} {_decode(msg)}" for code, msg in exc.recipients.values())
            return SendResult.failed(f"recipient refused: {reasons or recipient.address}")
        except ValueError as exc:  # BadHeaderError, an address Django cannot encode
            return SendResult.failed(f"message rejected: {exc}")
        except (smtplib.SMTPException, OSError) as exc:  # OSError: refused, timeout, DNS
            raise ProviderUnavailable(f"mail backend unavailable: {exc!r}") from exc
        if not sent:
            return SendResult.failed("mail backend accepted no message")
        return SendResult.sent(message_id)


def _email_message_id(idempotency_key: str, from_email: str) -> str:
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    domain = from_email.rpartition("@")[2].strip(" >") or "localhost"
    return f"<{digest}@{domain}>"


def _decode(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
