"""Send one message to one recipient: recipients, providers and a sending-rate bucket.

A provider answers every per-recipient problem with ``SendResult(ok=False, error=...)`` and
raises ``ProviderUnavailable`` only when the whole provider is down, so a job can record a
bad number and go on, but stop (and retry later) when nothing can be sent at all.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import smtplib
import threading
import time
import unicodedata
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http.client import HTTPException
from pathlib import Path
from typing import Any, Callable, Literal, Protocol, runtime_checkable

RecipientKind = Literal["sms", "email"]


class ProviderUnavailable(Exception):
    """The whole provider is down or misconfigured: nothing can be sent now.

    `retry_after` is the provider's hint in seconds (from a Retry-After header), or None.
    """

    def __init__(self, reason: str, *, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    address: str  # "01012345678" for sms, "name@example.com" for email


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


# --- recipients -------------------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[\s\-.()/]")
_PHONE_CHARS = re.compile(r"\+?\d+")


def parse_recipient(text: str) -> Recipient:
    """Return the recipient `text` names: a Korean mobile number or an e-mail address.

    Phones are normalised to 11 digits starting 010 ("010-1234-5678", "+82 10 1234 5678",
    full-width digits, and "1012345678" from a spreadsheet that dropped the leading zero).
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
    return Recipient(kind="sms", address=_normalise_phone(cleaned))


def _normalise_email(text: str) -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(text)
    except ValidationError:
        raise ValueError(f"not a valid e-mail address: {text!r}") from None
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"  # the local part may be case-sensitive; the domain is not


def _normalise_phone(text: str) -> str:
    compact = _PHONE_SEPARATORS.sub("", text)
    if not _PHONE_CHARS.fullmatch(compact):
        raise ValueError(f"not a phone number or e-mail address: {text!r}")
    if compact.startswith("+"):
        if not compact.startswith("+82"):
            raise ValueError(f"only Korean mobile numbers (+82) are supported: {text!r}")
        national = compact[3:]
        digits = national if national.startswith("0") else "0" + national
    elif compact.startswith("0082"):
        national = compact[4:]
        digits = national if national.startswith("0") else "0" + national
    elif len(compact) == 10 and compact.startswith("10"):
        digits = "0" + compact  # a spreadsheet number cell drops the leading zero
    else:
        digits = compact
    if not digits.startswith("010"):
        raise ValueError(f"mobile number must start with 010: {text!r}")
    if len(digits) != 11:
        raise ValueError(f"mobile number must have 11 digits, got {len(digits)}: {text!r}")
    return digits


# --- providers ----------------------------------------------------------------------------

@runtime_checkable
class Provider(Protocol):
    def send(self, recipient: Recipient, *, subject: str, body: str,
             idempotency_key: str) -> SendResult:
        """Send one message; return ok=False for a per-recipient failure.

        Raise ProviderUnavailable only when the whole provider cannot send.
        """
        ...


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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib would turn a redirected POST into a GET without the body: refuse instead.
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None


class HttpSmsProvider:
    """POST one SMS as JSON {to, text, idempotency_key} to an HTTP gateway.

    2xx: sent (the message id from the JSON body, if any). 4xx: this recipient failed with
    the gateway's reason, except 401/403/404/405/407/408/429, which no other recipient would
    pass either (bad key, wrong URL, throttled): those, 3xx, 5xx, timeouts and connection
    errors raise ProviderUnavailable.
    """

    WHOLE_PROVIDER_4XX = frozenset({401, 403, 404, 405, 407, 408, 429})
    MAX_RESPONSE_BYTES = 64 * 1024

    def __init__(self, url: str, api_key: str, timeout: float = 10.0):
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"SMS gateway URL must be http(s): {url!r}")
        self.url = url
        self.api_key = api_key
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirect)

    def __repr__(self) -> str:  # never show the key
        return f"HttpSmsProvider(url={self.url!r}, timeout={self.timeout})"

    def send(self, recipient: Recipient, *, subject: str, body: str,
             idempotency_key: str) -> SendResult:
        # `subject` is unused: an SMS has none.
        if recipient.kind != "sms":
            return SendResult.failed(f"cannot text a {recipient.kind} recipient")
        data = json.dumps({"to": recipient.address, "text": body,
                           "idempotency_key": idempotency_key}).encode()
        request = urllib.request.Request(self.url, data=data, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "Authorization": f"Bearer {self.api_key}",
            "Idempotency-Key": idempotency_key,
        })
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                payload = _json_or_none(response.read(self.MAX_RESPONSE_BYTES))
        except urllib.error.HTTPError as exc:
            return self._answer_error(exc)
        except (urllib.error.URLError, HTTPException, OSError) as exc:  # OSError: timeouts
            raise ProviderUnavailable(f"SMS gateway unreachable: {_reason(exc)}") from exc
        return SendResult.sent(_message_id(payload))

    def _answer_error(self, exc: urllib.error.HTTPError) -> SendResult:
        code = exc.code
        try:
            raw = exc.read(self.MAX_RESPONSE_BYTES)
        except (OSError, HTTPException):
            raw = b""
        finally:
            exc.close()
        reason = _gateway_reason(raw) or exc.reason or "no reason given"
        if 400 <= code < 500 and code not in self.WHOLE_PROVIDER_4XX:
            return SendResult.failed(f"gateway rejected ({code}): {reason}")
        raise ProviderUnavailable(f"SMS gateway answered {code}: {reason}",
                                  retry_after=_retry_after(exc.headers.get("Retry-After")))


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _message_id(payload: Any) -> str | None:
    if isinstance(payload, dict):
        for key in ("message_id", "messageId", "id"):
            if payload.get(key) not in (None, ""):
                return str(payload[key])
    return None


def _gateway_reason(raw: bytes) -> str:
    payload = _json_or_none(raw)
    if isinstance(payload, dict):
        for key in ("error", "message", "reason", "detail"):
            value = payload.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("reason")
            if value:
                return str(value)[:200]
    return raw.decode(errors="replace").strip()[:200]


def _reason(exc: BaseException) -> str:
    inner = getattr(exc, "reason", None)
    return repr(inner if isinstance(inner, BaseException) else exc)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


_outbox_locks: dict[str, threading.Lock] = {}
_outbox_locks_guard = threading.Lock()


def _outbox_lock(directory: Path) -> threading.Lock:
    # One lock per directory, so two providers on one directory do not interleave either.
    key = os.path.abspath(directory)
    with _outbox_locks_guard:
        return _outbox_locks.setdefault(key, threading.Lock())


class FileOutboxProvider:
    """Append one JSON line per message to `<directory>/outbox-YYYYMMDD.jsonl` (UTC date).

    The demo's SMS provider. Each line is written with a single O_APPEND write under a
    per-directory lock: threads never interleave, and neither do processes in practice
    (POSIX appends one write at the end of the file). No fsync: this is a demo outbox.
    """

    def __init__(self, directory: str | os.PathLike[str], *,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.directory = Path(directory)
        self._now = now
        self._lock = _outbox_lock(self.directory)

    def path_for(self, when: datetime) -> Path:
        return self.directory / f"outbox-{when:%Y%m%d}.jsonl"

    def send(self, recipient: Recipient, *, subject: str, body: str,
             idempotency_key: str) -> SendResult:
        when = self._now()
        message_id = f"outbox-{uuid.uuid4().hex}"
        line = json.dumps({
            "id": message_id, "at": when.isoformat(), "kind": recipient.kind,
            "to": recipient.address, "subject": subject, "body": body,
            "idempotency_key": idempotency_key,
        }, ensure_ascii=False) + "\n"
        data = line.encode("utf-8")
        try:
            with self._lock:
                self.directory.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path_for(when), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view):]
                finally:
                    os.close(fd)
        except OSError as exc:  # no space, no permission: nothing else will succeed either
            raise ProviderUnavailable(f"outbox not writable: {exc}") from exc
        return SendResult.sent(message_id)


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


# --- sending rate ---------------------------------------------------------------------------

class RateLimiter(Protocol):
    def acquire(self, n: int = 1) -> float:
        """Take n tokens; return the seconds to wait before using them (0.0: now)."""
        ...


class TokenBucket:
    """An in-process token bucket: `rate_per_second` refill, at most `burst` tokens.

    ``acquire`` reserves: it always takes the tokens, letting the balance go negative, and
    returns how long the caller must wait before sending. Callers queue up fairly: the
    second of two callers on an empty bucket waits twice as long. (The Redis-backed
    per-tenant bucket will keep the same contract.) Thread-safe.
    """

    def __init__(self, rate_per_second: float, burst: int,
                 clock: Callable[[], float] = time.monotonic):
        if not rate_per_second > 0:
            raise ValueError(f"rate_per_second must be > 0, got {rate_per_second!r}")
        if burst < 1:
            raise ValueError(f"burst must be >= 1, got {burst!r}")
        self.rate = float(rate_per_second)
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self, n: int = 1) -> float:
        """Take n tokens; return the seconds to wait before using them (0.0: now)."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n!r}")
        if n > self.burst:
            raise ValueError(f"cannot take {n} tokens at once from a bucket of {self.burst}")
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._updated)  # a clock going back adds nothing
            self._updated = max(self._updated, now)
            self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
            self._tokens -= n
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    @property
    def tokens(self) -> float:
        """Return the current balance (negative while callers are queued)."""
        with self._lock:
            elapsed = max(0.0, self._clock() - self._updated)
            return min(float(self.burst), self._tokens + elapsed * self.rate)
