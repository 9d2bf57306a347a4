"""Email through Django's SMTP backend, with an unsubscribe link in every message."""

from __future__ import annotations

import smtplib
import time

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage, get_connection

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
        connection=get_connection(fail_silently=False),
    )
    started = time.monotonic()
    try:
        message.send()
    except BadHeaderError as exc:
        raise TransportError(f"bad header: {exc}", permanent=True) from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        permanent = any(500 <= code < 600 for code in codes)
        raise TransportError(f"recipient refused: {exc.recipients}", permanent=permanent, disable=permanent,
                             status_code=codes[0] if codes else None) from None
    except smtplib.SMTPResponseException as exc:
        permanent = 500 <= exc.smtp_code < 600
        raise TransportError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=permanent,
                             status_code=exc.smtp_code) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise TransportError(f"SMTP error: {exc.__class__.__name__}: {exc}") from None
    return Sent(250, "accepted", int((time.monotonic() - started) * 1000))
