"""A real SMS gateway on loopback, and settings that point the sender at it."""
from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Gateway:
    """What the gateway does and saw: refuses some numbers (400), can go down (503)."""

    def __init__(self):
        self.url = ""
        self.refuse: set[str] = set()
        self.down_after: int | None = None  # answer 503 from this many accepted messages on
        self.accepted: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.keys: list[str] = []
        self.lock = threading.Lock()

    def answer(self, to: str, key: str) -> tuple[int, dict]:
        with self.lock:
            self.requests[to] += 1
            if self.down_after is not None and sum(self.accepted.values()) >= self.down_after:
                return 503, {"error": "maintenance"}
            if to in self.refuse:
                return 400, {"error": f"number {to} is not reachable"}
            self.accepted[to] += 1
            self.keys.append(key)
            return 200, {"message_id": f"gw-{sum(self.accepted.values())}"}


def _handler(gateway: Gateway):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            code, payload = gateway.answer(body["to"], self.headers["Idempotency-Key"])
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
            pass

    return Handler


@pytest.fixture
def gateway(monkeypatch, settings):
    """Start a real HTTP SMS gateway on 127.0.0.1 and configure the sender to use it."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    state = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1/sms"
    settings.MESSAGING_SMS_PROVIDER = "http"
    settings.MESSAGING_SMS_URL = state.url
    settings.MESSAGING_SMS_API_KEY = "test-key"
    settings.MESSAGING_SMS_TIMEOUT = 5
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def fast_sending(settings, tmp_path):
    """No waiting for the rate limit unless a test asks for it; the outbox in tmp_path."""
    settings.MESSAGING_RATE_PER_SECOND = 1_000_000
    settings.MESSAGING_RATE_BURST = 100_000
    settings.MESSAGING_OUTBOX_DIR = str(tmp_path / "outbox")


def phones(count: int, start: int = 0) -> list[str]:
    """Return `count` distinct mobile numbers as people type them."""
    return [f"010-{(start + i) // 10000:04d}-{(start + i) % 10000:04d}" for i in range(count)]
