"""Test helpers of the progress stream: the real ASGI app under uvicorn, and an SSE reader."""
from __future__ import annotations

import json
import queue
import socket
import threading
import time
from dataclasses import dataclass, field

import pytest
import uvicorn

from academy.progress.tests.test_failures import free_port


@pytest.fixture
def asgi_server():
    """Serve academy.asgi:application with uvicorn in a thread; yield (host, port)."""
    from academy.asgi import application

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, lifespan="off",
                                           log_level="warning", timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(10)


@dataclass
class SSE:
    """One event as the browser's EventSource would see it."""

    event: str
    data: dict
    id: str | None = None


@dataclass
class StreamReader:
    """Read a text/event-stream in a thread; events land in `events` (a queue)."""

    host: str
    port: int
    path: str
    headers: dict = field(default_factory=dict)
    rcvbuf: int | None = None
    read: bool = True

    def __post_init__(self):
        self.events: queue.Queue[SSE] = queue.Queue()
        self.status = None
        self.sock = socket.socket()
        if self.rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        self.sock.connect((self.host, self.port))
        lines = [f"GET {self.path} HTTP/1.1", f"Host: {self.host}", "Accept: text/event-stream"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.thread = None
        if self.read:
            self.start()

    def start(self):
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        buffer = b""
        try:
            file = self.sock.makefile("rb")
            status_line = file.readline()
            self.status = int(status_line.split()[1])
            chunked = False
            while (line := file.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"transfer-encoding:") and b"chunked" in line.lower():
                    chunked = True
            while True:
                if chunked:
                    size = int(file.readline().strip() or b"0", 16)
                    if size == 0:
                        return
                    buffer += file.read(size)
                    file.readline()
                else:
                    data = file.read1(65536)
                    if not data:
                        return
                    buffer += data
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    self._block(block.decode())
        except (OSError, ValueError):
            return

    def _block(self, block: str):
        event, data, event_id = "message", [], None
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)
            elif name == "id":
                event_id = value
        if data:
            self.events.put(SSE(event, json.loads("\n".join(data)), event_id))

    def until(self, predicate, *, timeout: float = 30) -> list[SSE]:
        """Return the events read until one matches `predicate` (that one included)."""
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching event within {timeout}s; saw {[(e.event, e.data) for e in seen]}")
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            seen.append(event)
            if predicate(event):
                return seen

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
