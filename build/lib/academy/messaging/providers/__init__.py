"""Send one message to one recipient: the providers' public names.

`base` holds the protocol and results, `mail`, `sms_http` and `outbox` one provider each,
and `routing` picks one by the recipient's kind and builds them from the settings.
"""
from academy.messaging.providers.base import Provider, ProviderUnavailable, SendResult
from academy.messaging.providers.mail import EmailProvider
from academy.messaging.providers.outbox import FileOutboxProvider
from academy.messaging.providers.routing import RoutingProvider, get_provider
from academy.messaging.providers.sms_http import HttpSmsProvider

__all__ = [
    "EmailProvider", "FileOutboxProvider", "HttpSmsProvider", "Provider", "ProviderUnavailable",
    "RoutingProvider", "SendResult", "get_provider",
]
