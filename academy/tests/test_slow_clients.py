"""Slow clients through the production layout: nginx (deploy/nginx) in front of gunicorn's workers.

Without nginx, each of gunicorn's worker threads (2 x 4) is held by one slow client: eight
clients sending a byte a second freeze the API (bench/slow_clients), and an upload slower than the 30 s worker timeout
is killed. Here both go through nginx, which buffers requests before gunicorn sees them.
"""
from __future__ import annotations

import http.client
import time
import uuid

import pytest

from academy.tests import stack
from academy.videos.services import video_create

UPLOAD_BYTES = 16 * 1024 * 1024
UPLOAD_RATE = 400 * 1024  # bytes per second


@pytest.fixture
def proxied(transactional_db, tmp_path, media):
    app_port, proxy_port = stack.free_port(), stack.free_port()
    app = stack.gunicorn(port=app_port, log_dir=tmp_path, env=stack.child_env())
    proxy = stack.nginx(port=proxy_port, upstream_port=app_port, work=tmp_path / "nginx")
    try:
        yield proxy_port
    finally:
        proxy.stop()
        app.stop()


def _get(port: int, path: str, token: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@pytest.mark.slow
def test_two_slow_loris_clients_leave_polls_answered(proxied, owner):
    tenant, _, token = owner
    video = video_create(tenant_id=tenant.pk, title="watched", enqueue=False)
    path = f"/media/videos/{video.pk}/progress/"
    body_header = (f"POST /media/videos/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                   "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n").encode()
    slow = [stack.SlowLoris(proxied, body_header + b"x" * 1000),  # a body at one byte a second
            stack.SlowLoris(proxied, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"y" * 1000)]  # headers too
    for client in slow:
        client.start()
    try:
        time.sleep(2)  # both are connected and trickling before the polls start
        # Each poll must be answered within its 10 s socket timeout; with the two gunicorn
        # workers held by these clients (no nginx), none would be.
        statuses = [_get(proxied, path, token) for _ in range(20)]
    finally:
        for client in slow:
            client.stopped.set()
    assert statuses == [200] * 20


@pytest.mark.slow
def test_a_16_mb_upload_at_400_kb_per_second_succeeds(proxied, owner):
    _, _, token = owner
    boundary = uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nslow upload\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", proxied, timeout=120)
    conn.putrequest("POST", "/media/videos/")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + UPLOAD_BYTES + len(tail)))
    conn.endheaders()
    conn.send(head)
    started = time.monotonic()
    chunk = b"\0" * (UPLOAD_RATE // 10)
    sent = 0
    while sent < UPLOAD_BYTES:
        piece = chunk[:UPLOAD_BYTES - sent]
        conn.send(piece)
        sent += len(piece)
        # Paced to 400 KB/s: the whole body takes about 41 s, over gunicorn's 30 s worker timeout.
        ahead = sent / UPLOAD_RATE - (time.monotonic() - started)
        if ahead > 0:
            time.sleep(ahead)
    conn.send(tail)
    response = conn.getresponse()
    body = response.read()
    elapsed = time.monotonic() - started
    assert elapsed > 35, "the upload was not slow: the test proves nothing"
    assert response.status == 201, body[:500]
