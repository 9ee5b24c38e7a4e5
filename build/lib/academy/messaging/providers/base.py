"""What every provider shares: the protocol, the per-send result, the whole-provider outage.

A provider answers every per-recipient problem with ``SendResult(ok=False, error=...)`` and
raises ``ProviderUnavailable`` only when the whole provider is down, so a job can record a
bad number and go on, but stop (and retry later) when nothing can be sent at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from academy.messaging.recipients import Recipient


class ProviderUnavailable(Exception):
    """The whole provider is down or misconfigured: nothing can be sent now.

    `retry_after` is the provider's hint in seconds (from a Retry-After header), or None.
    """

    def __init__(self, reason: str, *, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_message_id: str | None = None
    error: str | None = None

    @classmethod
    def sent(cls, provider_message_id: str | None = None) -> SendResult:
        return cls(ok=True, provider_message_id=provider_message_id)

    @classmethod
    def failed(cls, error: str) -> SendResult:
        return cls(ok=False, error=error)


@runtime_checkable
class Provider(Protocol):
    def send(self, recipient: Recipient, *, subject: str, body: str,
             idempotency_key: str) -> SendResult:
        """Send one message; return ok=False for a per-recipient failure.

        Raise ProviderUnavailable only when the whole provider cannot send.
        """
        ...
