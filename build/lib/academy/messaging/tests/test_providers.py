"""Providers send one message to one recipient; per-recipient failures never raise."""
from __future__ import annotations

import json
import smtplib
import socket
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from academy.messaging.providers import (
    EmailProvider,
    FileOutboxProvider,
    HttpSmsProvider,
    Provider,
    ProviderUnavailable,
    RoutingProvider,
    SendResult,
    get_provider,
)
from academy.messaging.recipients import Recipient

SMS = Recipient(kind="sms", address="01012345678")
EMAIL = Recipient(kind="email", address="parent@example.com")


# --- file outbox ---------------------------------------------------------------------------

def test_file_outbox_appends_one_json_line_per_message(tmp_path):
    day = datetime(2025, 3, 4, 23, 59, tzinfo=timezone.utc)
    provider = FileOutboxProvider(tmp_path / "outbox", now=lambda: day)

    first = provider.send(SMS, subject="", body="내일 휴강입니다.", idempotency_key="job-1:0")
    second = provider.send(EMAIL, subject="안내", body="Hello", idempotency_key="job-1:1")

    assert first.ok and second.ok and first.provider_message_id != second.provider_message_id
    path = tmp_path / "outbox" / "outbox-20250304.jsonl"
    raw = path.read_text(encoding="utf-8")
    assert "내일 휴강입니다." in raw  # written readable, not \uXXXX-escaped
    lines = [json.loads(line) for line in raw.splitlines()]
    assert [(line["kind"], line["to"], line["body"], line["idempotency_key"]) for line in lines] == [
        ("sms", "01012345678", "내일 휴강입니다.", "job-1:0"),
        ("email", "parent@example.com", "Hello", "job-1:1"),
    ]
    assert lines[0]["id"] == first.provider_message_id
    assert isinstance(provider, Provider)


def test_file_outbox_threads_never_interleave_lines(tmp_path):
    day = datetime(2025, 3, 4, tzinfo=timezone.utc)
    # Two providers on one directory share the lock as well.
    providers = [FileOutboxProvider(tmp_path, now=lambda: day) for _ in range(2)]
    body = "가" * 3000  # long lines make interleaving likely if writes were not serialised

    def send_many(worker: int) -> None:
        for i in range(50):
            providers[worker % 2].send(SMS, subject="", body=body, idempotency_key=f"{worker}:{i}")

    threads = [threading.Thread(target=send_many, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = (tmp_path / "outbox-20250304.jsonl").read_text(encoding="utf-8").splitlines()
    keys = {json.loads(line)["idempotency_key"] for line in lines}
    assert len(lines) == 400 and len(keys) == 400


def test_file_outbox_unwritable_directory_is_a_provider_outage(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    provider = FileOutboxProvider(blocker / "outbox")
    with pytest.raises(ProviderUnavailable, match="outbox not writable"):
        provider.send(SMS, subject="", body="x", idempotency_key="k")


# --- e-mail through Django's mail API ---------------------------------------------------------

@pytest.fixture
def django_mail():
    """Django settings with the locmem mail backend; yield the outbox list.

    The project settings when they load; when they cannot (a bare `-p no:django` run
    without SECRET_KEY), Django's global defaults, which are all the mail API needs.
    """
    from django.conf import settings
    from django.core import mail
    from django.core.exceptions import ImproperlyConfigured
    from django.test.utils import override_settings

    if not settings.configured:
        try:
            settings.DEFAULT_CHARSET  # noqa: B018 - loads DJANGO_SETTINGS_MODULE if set
        except ImproperlyConfigured:
            settings.configure()
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                           DEFAULT_FROM_EMAIL="Academy <noreply@academy.test>"):
        mail.outbox = []
        yield mail.outbox


def test_email_provider_sends_through_the_configured_backend(django_mail):
    result = EmailProvider().send(EMAIL, subject="수업 안내", body="내일 휴강입니다.",
                                  idempotency_key="job-7:3")

    assert result.ok and result.error is None
    [message] = django_mail
    assert message.to == ["parent@example.com"]
    assert message.from_email == "Academy <noreply@academy.test>"
    assert (message.subject, message.body) == ("수업 안내", "내일 휴강입니다.")
    headers = message.message()
    assert headers["X-Idempotency-Key"] == "job-7:3"
    assert headers["Message-ID"] == result.provider_message_id
    assert result.provider_message_id.endswith("@academy.test>")
    # The same key gives the same Message-ID: a retried send is recognisable downstream.
    again = EmailProvider().send(EMAIL, subject="수업 안내", body="x", idempotency_key="job-7:3")
    assert again.provider_message_id == result.provider_message_id


def test_email_provider_refuses_sms_recipients(django_mail):
    result = EmailProvider().send(SMS, subject="s", body="b", idempotency_key="k")
    assert result == SendResult(ok=False, error="cannot e-mail a sms recipient")
    assert django_mail == []


class _RaisingBackend:
    def __init__(self, exc: BaseException):
        self.exc = exc

    def send_messages(self, messages):
        raise self.exc


def test_email_refused_recipient_is_a_per_recipient_failure(django_mail):
    refused = smtplib.SMTPRecipientsRefused({"parent@example.com": (550, b"no such user")})
    result = EmailProvider(connection=_RaisingBackend(refused)).send(
        EMAIL, subject="s", body="b", idempotency_key="k")
    assert not result.ok and result.error == "recipient refused: 550 no such user"


@pytest.mark.parametrize("exc", [
    ConnectionRefusedError(111, "Connection refused"),
    smtplib.SMTPAuthenticationError(535, b"bad credentials"),
    TimeoutError("timed out"),
])
def test_email_server_failure_is_a_provider_outage(django_mail, exc):
    with pytest.raises(ProviderUnavailable, match="mail backend unavailable"):
        EmailProvider(connection=_RaisingBackend(exc)).send(
            EMAIL, subject="s", body="b", idempotency_key="k")


# --- HTTP SMS gateway -------------------------------------------------------------------------

class _Gateway(BaseHTTPRequestHandler):
    """Answer by recipient: ...0400 -> 400, ...0503 -> 503, ...0429 -> 429, else 200."""

    requests: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"body": body, "headers": dict(self.headers)})
        to = body["to"]
        if to.endswith("0400"):
            self._answer(400, {"error": "invalid destination number"})
        elif to.endswith("0503"):
            self._answer(503, {"error": "maintenance"}, {"Retry-After": "30"})
        elif to.endswith("0429"):
            self._answer(429, {"error": "slow down"}, {"Retry-After": "7"})
        elif to.endswith("0204"):
            self.send_response(204)
            self.end_headers()
        else:
            self._answer(200, {"message_id": f"gw-{len(type(self).requests)}"})

    def _answer(self, code, payload, headers=None):
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
        pass


@pytest.fixture
def gateway(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    _Gateway.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/sms", _Gateway.requests
    server.shutdown()
    server.server_close()
    thread.join()


def test_http_sms_2xx_is_sent_with_the_gateway_message_id(gateway):
    url, requests = gateway
    provider = HttpSmsProvider(url, "secret-key", timeout=5)

    result = provider.send(SMS, subject="ignored", body="내일 휴강", idempotency_key="job-1:0")

    assert result == SendResult(ok=True, provider_message_id="gw-1")
    [request] = requests
    assert request["body"] == {"to": "01012345678", "text": "내일 휴강", "idempotency_key": "job-1:0"}
    assert request["headers"]["Idempotency-Key"] == "job-1:0"
    assert request["headers"]["Authorization"] == "Bearer secret-key"
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert "secret-key" not in repr(provider)


def test_http_sms_2xx_without_a_body_is_sent_without_an_id(gateway):
    url, _ = gateway
    result = HttpSmsProvider(url, "k", timeout=5).send(
        Recipient("sms", "01000000204"), subject="", body="b", idempotency_key="k")
    assert result == SendResult(ok=True, provider_message_id=None)


def test_http_sms_4xx_is_a_per_recipient_failure_with_the_reason(gateway):
    url, _ = gateway
    result = HttpSmsProvider(url, "k", timeout=5).send(
        Recipient("sms", "01000000400"), subject="", body="b", idempotency_key="k")
    assert result == SendResult(ok=False, error="gateway rejected (400): invalid destination number")


@pytest.mark.parametrize("number, message, retry_after", [
    ("01000000503", "answered 503: maintenance", 30.0),
    ("01000000429", "answered 429: slow down", 7.0),  # throttled: every recipient would fail
])
def test_http_sms_outage_raises_with_retry_after(gateway, number, message, retry_after):
    url, _ = gateway
    with pytest.raises(ProviderUnavailable, match=message) as info:
        HttpSmsProvider(url, "k", timeout=5).send(
            Recipient("sms", number), subject="", body="b", idempotency_key="k")
    assert info.value.retry_after == retry_after


def test_http_sms_connection_refused_is_an_outage(monkeypatch):
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ProviderUnavailable, match="unreachable"):
        HttpSmsProvider(f"http://127.0.0.1:{port}/", "k", timeout=2).send(
            SMS, subject="", body="b", idempotency_key="k")


def test_http_sms_timeout_is_an_outage(monkeypatch):
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    with socket.socket() as sock:  # listens, never answers: the kernel accepts, nobody replies
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
        with pytest.raises(ProviderUnavailable, match="unreachable"):
            HttpSmsProvider(url, "k", timeout=0.2).send(SMS, subject="", body="b", idempotency_key="k")


def test_http_sms_refuses_email_recipients_without_a_request(gateway):
    url, requests = gateway
    result = HttpSmsProvider(url, "k").send(EMAIL, subject="", body="b", idempotency_key="k")
    assert result == SendResult(ok=False, error="cannot text a email recipient")
    assert requests == []


# --- routing and configuration -------------------------------------------------------------

class _Recording:
    def __init__(self, name):
        self.name, self.sent = name, []

    def send(self, recipient, *, subject, body, idempotency_key):
        self.sent.append(recipient)
        return SendResult.sent(f"{self.name}-{len(self.sent)}")


def test_routing_provider_chooses_by_recipient_kind():
    sms, email = _Recording("sms"), _Recording("email")
    router = RoutingProvider(sms=sms, email=email)

    assert router.send(SMS, subject="", body="b", idempotency_key="1").provider_message_id == "sms-1"
    assert router.send(EMAIL, subject="", body="b", idempotency_key="2").provider_message_id == "email-1"
    assert (sms.sent, email.sent) == ([SMS], [EMAIL])
    missing = RoutingProvider(sms=sms).send(EMAIL, subject="", body="b", idempotency_key="3")
    assert missing == SendResult(ok=False, error="no provider configured for email recipients")


def test_get_provider_defaults_to_the_outbox_under_media_root(django_mail, settings_obj, tmp_path):
    for name in ("MESSAGING_SMS_PROVIDER", "MESSAGING_OUTBOX_DIR"):
        if hasattr(settings_obj, name):
            delattr(settings_obj, name)
    settings_obj.MEDIA_ROOT = str(tmp_path)

    provider = get_provider()

    sms = provider.providers["sms"]
    assert isinstance(sms, FileOutboxProvider) and sms.directory == Path(tmp_path) / "outbox"
    assert isinstance(provider.providers["email"], EmailProvider)


def test_get_provider_builds_the_http_gateway(django_mail, settings_obj):
    settings_obj.MESSAGING_SMS_PROVIDER = "http"
    settings_obj.MESSAGING_SMS_URL = "https://sms.example.test/send"
    settings_obj.MESSAGING_SMS_API_KEY = "key"
    settings_obj.MESSAGING_SMS_TIMEOUT = 3

    sms = get_provider().providers["sms"]

    assert isinstance(sms, HttpSmsProvider)
    assert (sms.url, sms.api_key, sms.timeout) == ("https://sms.example.test/send", "key", 3.0)


@pytest.mark.parametrize("overrides, message", [
    ({"MESSAGING_SMS_PROVIDER": "http", "MESSAGING_SMS_URL": ""}, "MESSAGING_SMS_URL is empty"),
    ({"MESSAGING_SMS_PROVIDER": "pigeon"}, "'outbox' or 'http'"),
])
def test_get_provider_rejects_bad_configuration(django_mail, settings_obj, overrides, message):
    from django.core.exceptions import ImproperlyConfigured

    for name, value in overrides.items():
        setattr(settings_obj, name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        get_provider()


@pytest.fixture
def settings_obj(django_mail):
    """Django's settings inside an override, so attribute changes are undone afterwards."""
    from django.conf import settings
    from django.test.utils import override_settings

    with override_settings():
        yield settings
