"""SMS through an HTTP gateway that takes one JSON POST per message."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http.client import HTTPException
from typing import Any

from academy.messaging.providers.base import ProviderUnavailable, SendResult
from academy.messaging.recipients import Recipient


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
