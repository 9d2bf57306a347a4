"""A scriptable, fault-injecting HTTP server on 127.0.0.1 for collector and webhook tests.

Use it as a context manager or through a pytest fixture; either way it binds a
random free port on 127.0.0.1 only and stops (joining every handler thread) when the block or the
test ends, even if a handler is hanging or dripping::

    from tests.faults import FaultServer, Step

    with FaultServer() as server:
        server.script(
            "/api/v1/models",                                   # path, query string ignored
            Step(status=429, headers={"Retry-After": "1"}),    # first request
            Step.json({"data": []}),                           # second and every later request
        )
        http.get(server.url("/api/v1/models?output_modalities=all"))
        assert server.count("/api/v1/models") == 2

As a fixture, define one in the test module (importing ``fault_server`` from here also works but
trips ruff's F811 on every test that names it)::

    @pytest.fixture
    def server():
        with FaultServer() as server:
            yield server

``Step`` fields (one scripted response):

- ``status`` (200), ``headers`` (extra response headers), ``content_type`` ("application/json").
- ``body``: bytes, str, or a callable ``(Request) -> bytes | str`` for dynamic answers.
- ``delay``: seconds to wait before answering.
- ``drip``: send the body at this many bytes per second; ``drip_headers=True`` drips the status
  line and headers too.
- ``hang``: read the request, then send nothing until the server stops.
- ``content_length`` (True): False sends no Content-Length; the body ends when the connection closes.
- ``declared_length``: send this Content-Length instead of the real one (a truncated body).

``FaultServer`` API:

- ``script(path, *steps)``: answers for one path, in order; the last step repeats. A key with a
  ``?`` matches path plus query exactly and wins over a bare path.
- ``route(fn)``: ``fn(Request) -> Step | None`` answers unscripted paths (``None`` falls through to
  ``default``, a 404).
- ``url(path)``, ``base_url``, ``host`` (``127.0.0.1:PORT``).
- ``requests``: every ``Request`` received (``method``, ``path``, ``query``, ``headers`` with
  lower-case names, ``body``); ``count(path=None)`` counts them.
- ``max_in_flight``: the most requests received and not yet fully answered at the same time (a
  request stops counting just before its last byte is sent, so a client that starts its next
  request on receipt is never seen overlapping). Use it to check concurrency limits.
  ``max_concurrent``: the most TCP connections open at once; it can count one more than the
  client really used, because the server closes a connection a moment after the client is done.
- ``reset_counters()`` clears ``requests`` and the two maxima.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

Body = bytes | str | Callable[["Request"], bytes | str]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    raw_path: str = ""


@dataclass
class Step:
    status: int = 200
    body: Body = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    delay: float = 0.0
    drip: float | None = None
    drip_headers: bool = False
    hang: bool = False
    content_length: bool = True
    declared_length: int | None = None

    @classmethod
    def json(cls, data: Any, **kwargs: Any) -> Step:
        return cls(body=json.dumps(data).encode(), **kwargs)


class _Server(ThreadingHTTPServer):
    # Handler threads are joined on close so nothing outlives the test; they all watch `stopped`.
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True
    owner: FaultServer

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        self.owner._connection_opened(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.owner._connection_closed(request)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    disable_nagle_algorithm = True  # the last byte goes out in its own write (see _send)
    timeout = 10  # a client that connects and never sends a request line cannot hold a thread

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _answer(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 10 * 1024 * 1024)) if length > 0 else b""
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            raw_path=self.path,
        )
        owner._request_started(request)
        done = False
        try:
            done = self._send(owner, owner._step_for(request), request)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError, OSError):
            pass  # the client gave up (that is often the point of the test)
        finally:
            if not done:
                owner._request_finished()
            self.close_connection = True

    def _send(self, owner: FaultServer, step: Step, request: Request) -> bool:
        """Answer; return True once the request has been counted as finished."""
        stopped = owner._stopped
        if step.hang:
            stopped.wait()
            return False
        if step.delay and stopped.wait(step.delay):
            return False
        body = step.body(request) if callable(step.body) else step.body
        if isinstance(body, str):
            body = body.encode()
        try:
            reason = HTTPStatus(step.status).phrase
        except ValueError:
            reason = "Status"
        lines = [f"HTTP/1.0 {step.status} {reason}", "Connection: close"]
        if step.content_type:
            lines.append(f"Content-Type: {step.content_type}")
        if step.declared_length is not None:
            lines.append(f"Content-Length: {step.declared_length}")
        elif step.content_length:
            lines.append(f"Content-Length: {len(body)}")
        lines.extend(f"{name}: {value}" for name, value in step.headers.items())
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        if step.drip:
            head_len = 0 if step.drip_headers else min(len(data) - len(body), len(data) - 1)
            self.wfile.write(data[:head_len])
            self._drip(data[head_len:-1], step.drip, stopped)
            if stopped.is_set():
                return False
        else:
            self.wfile.write(data[:-1])
        # The request stops counting as in flight before its last byte goes out: once the client
        # has the whole answer it may start its next request, and must not be seen overlapping.
        owner._request_finished()
        self.wfile.write(data[-1:])
        return True

    def _drip(self, data: bytes, rate: float, stopped: threading.Event) -> None:
        pause = 1.0 / rate
        for i in range(len(data)):
            self.wfile.write(data[i : i + 1])
            if stopped.wait(pause):
                return


class FaultServer:
    """See the module docstring."""

    def __init__(self) -> None:
        self.default = Step(status=404, body=b'{"error": "not scripted"}')
        self.requests: list[Request] = []
        self.max_concurrent = 0
        self.max_in_flight = 0
        self._scripts: dict[str, list[Step]] = {}
        self._router: Callable[[Request], Step | None] | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._open: set[socket.socket] = set()
        self._in_flight = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> FaultServer:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopped.set()
        self._server.shutdown()
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:  # wake handlers blocked reading from idle clients
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()  # joins handler threads
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # addressing
    @property
    def host(self) -> str:
        assert self._server is not None, "start the server first"
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def url(self, path: str = "/") -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    # scripting
    def script(self, path: str, *steps: Step) -> None:
        if not steps:
            raise ValueError("script() needs at least one Step")
        with self._lock:
            self._scripts[path] = list(steps)

    def route(self, fn: Callable[[Request], Step | None]) -> None:
        self._router = fn

    # observations
    def count(self, path: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if path is None or r.path == path)

    def reset_counters(self) -> None:
        with self._lock:
            self.requests.clear()
            self.max_concurrent = len(self._open)
            self.max_in_flight = self._in_flight

    # called from handler threads
    def _step_for(self, request: Request) -> Step:
        with self._lock:
            steps = self._scripts.get(request.raw_path) or self._scripts.get(request.path)
            if steps:
                return steps.pop(0) if len(steps) > 1 else steps[0]
        if self._router is not None:
            step = self._router(request)
            if step is not None:
                return step
        return self.default

    def _connection_opened(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)
            self.max_concurrent = max(self.max_concurrent, len(self._open))

    def _connection_closed(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)

    def _request_started(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _request_finished(self) -> None:
        with self._lock:
            self._in_flight -= 1


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server
