"""A real streaming OpenAI-compatible server on 127.0.0.1 for probe tests.

``POST /v1/chat/completions`` answers with Server-Sent Events, one token per event, each written
with its own ``send`` on a socket with Nagle disabled, at times scheduled against a monotonic start
(the moment the request reached the socket, from the kernel's receive timestamp): token ``i`` leaves at ``start + first_token_delay +
i / rate``, so sleep overshoot never accumulates. Faults: a malformed JSON line, a connection cut
mid-stream, 429 with Retry-After, a hang until the server shuts down, and a slow drip.

    with StreamServer(StreamSettings(first_token_delay=0.2, rate=50, tokens=100)) as server:
        probe(server.base_url, "key", "m", "short")
"""

from __future__ import annotations

import json
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Linux's SO_TIMESTAMPNS (also the control-message type); the socket module does not export it.
SO_TIMESTAMPNS = 35
FAULTS = (None, "malformed", "cut", "429", "hang", "drip")


@dataclass
class StreamSettings:
    first_token_delay: float = 0.2  # seconds from request read to the first token
    rate: float = 50.0  # tokens per second after the first
    tokens: int = 100  # total completion tokens, reasoning ones included
    include_usage: bool = True
    reasoning_tokens: int = 0  # how many of the tokens come first as reasoning
    reasoning_field: str = "reasoning_content"  # or "reasoning" (OpenRouter's spelling)
    usage_completion_tokens: int | None = None  # report a different count than was sent
    prompt_tokens: int = 111
    chunked: bool = True  # False: HTTP/1.0-style body ended by closing the connection
    fault: str | None = None
    fault_at: int = 10  # token index where "malformed" or "cut" strikes
    retry_after: str = "7"
    error_body: bytes = b'{"error": {"message": "rate limited"}}'
    drip_interval: float = 0.05  # seconds between single bytes for "drip"
    model: str = "test/model"

    def __post_init__(self) -> None:
        if self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    started: float  # monotonic time the request arrived: the schedule's origin
    # Monotonic time each token event had been written (so had reached a loopback peer). On a loaded
    # machine the thread wakes late (12-18 ms seen with both cores busy); this tells that apart from a
    # probe error.
    sent_at: list[float] = field(default_factory=list)


class _Cut(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30  # so a stuck client cannot pin a handler thread forever

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        except OSError:
            pass
        self.arrived: float | None = None

    def handle(self) -> None:
        self.arrived = self._arrival_time()
        super().handle()

    def _arrival_time(self) -> float | None:
        """When the request's first bytes reached this socket, on the monotonic clock.

        The kernel stamps each segment as it arrives. Anchoring the schedule there, not at the
        moment this thread got round to reading, keeps a busy machine's thread start-up (measured
        at up to 15 ms with both cores loaded) out of the first-token delay.
        """
        try:
            _, ancillary, _, _ = self.connection.recvmsg(1, socket.CMSG_SPACE(16), socket.MSG_PEEK)
        except (OSError, NotImplementedError):  # TLS sockets have no recvmsg: read time it is
            return None
        now_mono, now_real = time.monotonic(), time.time()
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
                seconds, nanos = struct.unpack("qq", data[:16])
                return now_mono - (now_real - (seconds + nanos / 1e9))
        return None

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        started = self.arrived if self.arrived is not None else time.monotonic()
        settings = self.server.settings
        if self.path != "/v1/chat/completions":
            self._plain(404, b'{"error": {"message": "not found"}}')
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self._plain(400, b'{"error": {"message": "bad json"}}')
            return
        received = Received(path=self.path, headers=dict(self.headers.items()), body=body, started=started)
        self.server.received.append(received)
        if settings.fault == "429":
            self._plain(429, settings.error_body, {"Retry-After": settings.retry_after})
            return
        try:
            self._stream(settings, received)
        except (BrokenPipeError, ConnectionResetError, _Cut):
            pass
        self.close_connection = True

    def _plain(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _write(self, data: bytes, settings: StreamSettings) -> None:
        # One write per event: wfile is unbuffered, so this is one send() and, with NODELAY, one segment.
        if settings.chunked:
            data = b"%x\r\n%s\r\n" % (len(data), data)
        self.wfile.write(data)

    def _event(self, obj: Any, settings: StreamSettings) -> None:
        payload = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode()
        self._write(b"data: " + payload + b"\n\n", settings)

    def _chunk(self, delta: dict[str, Any], settings: StreamSettings, finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "model": settings.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    def _wait_until(self, when: float) -> None:
        delay = when - time.monotonic()
        if delay > 0 and self.server.stopping.wait(delay):
            raise _Cut  # the server is shutting down

    def _stream(self, settings: StreamSettings, received: Received) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        if settings.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        # What real hosts send at once: a keep-alive comment and a role-only delta with empty
        # content, neither of which is a token.
        self._write(b": PROCESSING\n\n", settings)
        self._event(self._chunk({"role": "assistant", "content": ""}, settings), settings)

        if settings.fault == "hang":
            self.server.stopping.wait()
            raise _Cut
        if settings.fault == "drip":
            line = b"data: " + json.dumps(self._chunk({"content": "slow"}, settings)).encode() + b"\n\n"
            while True:
                for byte in line:
                    self._write(bytes([byte]), settings)
                    if self.server.stopping.wait(settings.drip_interval):
                        raise _Cut

        first = received.started + settings.first_token_delay
        for i in range(settings.tokens):
            self._wait_until(first + i / settings.rate)
            if settings.fault == "malformed" and i == settings.fault_at:
                self._event(b'{"choices": [{"delta": {"content": "br', settings)
                continue
            if settings.fault == "cut" and i == settings.fault_at:
                # Half an event, then the connection goes: no final chunk, no [DONE].
                self._write(b'data: {"choices": [{"del', settings)
                self.connection.shutdown(socket.SHUT_RDWR)
                raise _Cut
            if i < settings.reasoning_tokens:
                delta = {settings.reasoning_field: f"r{i} "}
            else:
                delta = {"content": f"t{i} "}
            self._event(self._chunk(delta, settings), settings)
            # After the write: on loopback the bytes are in the client's receive queue by now.
            received.sent_at.append(time.monotonic())

        self._event(self._chunk({}, settings, finish="length"), settings)
        if settings.include_usage:
            completion = (
                settings.usage_completion_tokens if settings.usage_completion_tokens is not None else settings.tokens
            )
            usage = {
                "prompt_tokens": settings.prompt_tokens,
                "completion_tokens": completion,
                "total_tokens": settings.prompt_tokens + completion,
            }
            self._event({"id": "chatcmpl-test", "model": settings.model, "choices": [], "usage": usage}, settings)
        self._event(b"[DONE]", settings)
        if settings.chunked:
            self.wfile.write(b"0\r\n\r\n")


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True  # server_close joins handler threads; `stopping` releases the hung ones

    def __init__(self, settings: StreamSettings):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.settings = settings
        self.received: list[Received] = []
        self.stopping = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Failed handshakes and clients that hang up are what several tests do on purpose.
        pass

    def server_bind(self) -> None:
        super().server_bind()
        # Set on the listener, not only per connection: Linux switches receive stamping on
        # asynchronously, and a segment that lands before it is on gets stamped at read time instead.
        # A listener holding the option keeps stamping on for the server's whole life.
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        except OSError:
            pass


class StreamServer:
    """Context manager: serves on a random 127.0.0.1 port, shuts down and joins its threads on exit.
    ``settings`` may be replaced between requests."""

    def __init__(self, settings: StreamSettings | None = None, *, tls: ssl.SSLContext | None = None):
        self._server = _Server(settings or StreamSettings())
        self._tls = tls
        if tls is not None:
            # Handshakes happen in the handler threads (on first read), not in the accept loop.
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True, do_handshake_on_connect=False)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def settings(self) -> StreamSettings:
        return self._server.settings

    @settings.setter
    def settings(self, value: StreamSettings) -> None:
        self._server.settings = value

    @property
    def received(self) -> list[Received]:
        return self._server.received

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        scheme = "https" if self._tls else "http"
        return f"{scheme}://{host}:{port}/v1"

    def __enter__(self) -> StreamServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
