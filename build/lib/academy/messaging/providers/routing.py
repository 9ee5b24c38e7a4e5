"""Choose the provider by the recipient's kind; build it from the settings."""
from __future__ import annotations

import os

from academy.messaging.providers.base import Provider, SendResult
from academy.messaging.providers.mail import EmailProvider
from academy.messaging.providers.outbox import FileOutboxProvider
from academy.messaging.providers.sms_http import HttpSmsProvider
from academy.messaging.recipients import Recipient


class RoutingProvider:
    """Send through the provider for the recipient's kind."""

    def __init__(self, *, sms: Provider | None = None, email: Provider | None = None):
        self.providers: dict[str, Provider | None] = {"sms": sms, "email": email}

    def send(self, recipient: Recipient, *, subject: str, body: str,
             idempotency_key: str) -> SendResult:
        provider = self.providers.get(recipient.kind)
        if provider is None:
            return SendResult.failed(f"no provider configured for {recipient.kind} recipients")
        return provider.send(recipient, subject=subject, body=body,
                             idempotency_key=idempotency_key)


def get_provider() -> RoutingProvider:
    """Return the provider the settings configure: SMS by MESSAGING_SMS_PROVIDER, e-mail
    through Django's EMAIL_BACKEND."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    kind = getattr(settings, "MESSAGING_SMS_PROVIDER", "outbox")
    sms: Provider
    if kind == "outbox":
        directory = getattr(settings, "MESSAGING_OUTBOX_DIR", None) or os.path.join(
            settings.MEDIA_ROOT or ".", "outbox")
        sms = FileOutboxProvider(directory)
    elif kind == "http":
        url = getattr(settings, "MESSAGING_SMS_URL", "")
        if not url:
            raise ImproperlyConfigured("MESSAGING_SMS_PROVIDER is 'http' but MESSAGING_SMS_URL is empty")
        sms = HttpSmsProvider(url, getattr(settings, "MESSAGING_SMS_API_KEY", ""),
                              timeout=float(getattr(settings, "MESSAGING_SMS_TIMEOUT", 10.0)))
    else:
        raise ImproperlyConfigured(
            f"MESSAGING_SMS_PROVIDER must be 'outbox' or 'http', got {kind!r}")
    return RoutingProvider(sms=sms, email=EmailProvider())
