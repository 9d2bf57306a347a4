"""A small real HTTP receiver on 127.0.0.1 for webhook tests: records every request and answers
from a script (status, headers) in order, repeating the last entry."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    script: list[tuple[int, dict[str, str]]] = field(default_factory=lambda: [(200, {})])
    requests: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def answer(self, *entries: tuple[int, dict[str, str]] | int) -> None:
        self.script = [e if isinstance(e, tuple) else (e, {}) for e in entries]

    def _next(self) -> tuple[int, dict[str, str]]:
        with self.lock:
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append(
                        Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                status, headers = receiver._next()
                payload = b'{"ok": true}'
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


class DripReceiver:
    """A hostile receiver on 127.0.0.1: reads the request, answers ``200`` with
    ``Content-Length: 100000``, then drips one byte every ``interval`` seconds for as long as the
    client listens. Records the ``webhook-id`` of every request it got."""

    def __init__(self, interval: float = 0.5):
        import socket

        self.interval = interval
        self.ids: list[str] = []
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> DripReceiver:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self.threads.append(thread)
        return self

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _serve(self, conn) -> None:
        conn.settimeout(5)
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            headers = {}
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                body += chunk
            with self.lock:
                self.ids.append(headers.get("webhook-id", ""))
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
            for _ in range(100000):
                if self.stopped.wait(self.interval):
                    return
                conn.sendall(b" ")
        except OSError:
            return  # the client hung up: what a deadline does
        finally:
            conn.close()

    def stop(self) -> None:
        self.stopped.set()
        self.sock.close()
        for thread in self.threads:
            thread.join(timeout=5)


class DripSMTP(DripReceiver):
    """An SMTP server on 127.0.0.1 that greets one byte at a time, forever ("220-" continuation
    lines, so the client keeps waiting for the last line of the greeting)."""

    def _serve(self, conn) -> None:
        with self.lock:
            self.ids.append("connection")
        try:
            while True:
                for byte in b"220-slow\r\n":
                    if self.stopped.wait(self.interval):
                        return
                    conn.sendall(bytes([byte]))
        except OSError:
            return
        finally:
            conn.close()
