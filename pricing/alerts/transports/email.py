"""Email through Django's SMTP backend, with an unsubscribe link in every message."""

from __future__ import annotations

import smtplib
import socket
import time

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage, get_connection
from django.core.mail.backends import smtp as smtp_backend

from ..deadline import Watchdog, send_deadline
from . import Content, Sent, TransportError


def clean_header(text: str) -> str:
    """No header injection from a provider's string: one line, bounded."""
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())[:200]


def body(content: Content) -> str:
    lines = [content.subject, ""] + [f"- {line}" for line in content.lines]
    lines += ["", "Prices in USD per million tokens."]
    if content.alerts_url:
        lines.append(f"Manage your alerts: {content.alerts_url}")
    if content.unsubscribe_url:
        lines.append(f"Unsubscribe from these emails: {content.unsubscribe_url}")
    return "\n".join(lines) + "\n"


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class DeadlineSMTPBackend(smtp_backend.EmailBackend):
    """Django's SMTP backend, telling the send deadline's watchdog its socket as soon as it is
    connected: smtplib reads the server's greeting inside its constructor, before the backend
    holds the connection object, so a server dripping its greeting would be out of reach."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sockets: list[socket.socket] = []

    @property
    def connection_class(self):
        sockets = self.sockets

        class Tracked(super().connection_class):
            def _get_socket(self, host, port, timeout):
                sock = super()._get_socket(host, port, timeout)
                sockets.append(sock)
                return sock

        return Tracked


def _connection():
    if settings.EMAIL_BACKEND == SMTP_BACKEND:
        return get_connection(f"{__name__}.DeadlineSMTPBackend", fail_silently=False)
    return get_connection(fail_silently=False)  # console, file or a custom backend: as configured


def send(channel, content: Content, message_id: str) -> Sent:
    headers = {"X-Ratecard-Message": message_id}
    if content.unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{content.unsubscribe_url}>"
    message = EmailMessage(
        subject=clean_header(f"[Ratecard] {content.subject}"),
        body=body(content),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[channel.target],
        headers=headers,
        connection=_connection(),
    )
    started = time.monotonic()
    sockets = getattr(message.connection, "sockets", [])
    # A server that drips its replies cannot hold the worker past the send deadline.
    with Watchdog(send_deadline(), lambda: sockets[-1] if sockets else None) as dog:
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as exc:
            if dog.expired:
                raise TransportError(f"deadline exceeded: {dog.error()}",
                                     duration_ms=int((time.monotonic() - started) * 1000)) from None
            raise _failure(exc) from None
        except BadHeaderError as exc:
            raise TransportError(f"bad header: {exc}", permanent=True) from None
    return Sent(250, "accepted", int((time.monotonic() - started) * 1000))


def _failure(exc: Exception) -> TransportError:
    """An SMTP failure as a TransportError: 5xx are permanent (a refused recipient disables)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = any(500 <= code < 600 for code in codes)
        return TransportError(f"recipient refused: {exc.recipients}", permanent=permanent, disable=permanent,
                              status_code=codes[0] if codes else None)
    if isinstance(exc, smtplib.SMTPResponseException):
        permanent = 500 <= exc.smtp_code < 600
        return TransportError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=permanent,
                              status_code=exc.smtp_code)
    return TransportError(f"SMTP error: {exc.__class__.__name__}: {exc}")
