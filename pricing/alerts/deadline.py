"""A total deadline for a blocking exchange on a socket (a webhook POST, an SMTP session).

Per-operation timeouts do not bound a peer that drips one byte at a time: each read succeeds just
in time. The watchdog shuts the socket down when the deadline passes, so whatever the client is
blocked in (connect, TLS, headers, body, an SMTP reply) returns at once with an error.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable


def send_deadline() -> float:
    """The total time one send may take (ALERTS_SEND_DEADLINE_SECONDS), for every transport: well
    under the outbox lease (pricing/alerts/outbox.py lease()), so a lease never runs out under a
    live send."""
    from django.conf import settings

    return float(settings.ALERTS_SEND_DEADLINE_SECONDS)


class DeadlineExceeded(TimeoutError):
    """The whole exchange took longer than its total deadline."""


class Watchdog:
    """``with Watchdog(seconds, lambda: sock_or_none) as dog:``; ``dog.expired`` tells afterwards."""

    def __init__(self, seconds: float, current_socket: Callable[[], socket.socket | None]):
        self.seconds = seconds
        self._socket = current_socket
        self._fired = threading.Event()
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    @property
    def expired(self) -> bool:
        return self._fired.is_set()

    def _cut(self) -> None:
        self._fired.set()
        sock = self._socket()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()

    def error(self) -> DeadlineExceeded:
        return DeadlineExceeded(f"no complete answer within the {self.seconds:g} s deadline")
