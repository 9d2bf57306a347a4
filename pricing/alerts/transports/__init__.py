"""One small contract per channel kind: ``send(channel, content, message_id)`` returns a Sent or
raises TransportError(message, permanent=...). Each kind lives in its own module."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Content:
    """What a message says, independent of the channel."""

    subject: str
    lines: list[str]
    items: list[dict] = field(default_factory=list)
    kind: str = "alert"  # alert | digest | test
    unsubscribe_url: str = ""
    alerts_url: str = ""


@dataclass
class Sent:
    status_code: int | None = None
    response: str = ""
    duration_ms: int = 0


class TransportError(Exception):
    """A failed send. ``permanent`` disables the channel (410, refused address); ``blocked``
    marks an SSRF refusal; ``retry_after`` is the receiver's wish in seconds, if it said one."""

    def __init__(self, message: str, *, permanent: bool = False, blocked: bool = False, status_code: int | None = None,
                 retry_after: float | None = None, response: str = "", duration_ms: int = 0, disable: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.blocked = blocked
        self.status_code = status_code
        self.retry_after = retry_after
        self.response = response
        self.duration_ms = duration_ms
        # Permanent for this message and for the channel: stop sending to it at all.
        self.disable = disable


def neutralise_mentions(text: str) -> str:
    """Model names are provider-supplied: "@everyone" or "<!channel>" in one must ping nobody."""
    zwsp = "\u200b"
    for word in ("@everyone", "@here", "@channel"):
        text = text.replace(word, "@" + zwsp + word[1:])
    return text


def get_transport(kind: str):
    from . import discord, email, feed, slack, webhook

    return {"email": email, "webhook": webhook, "slack": slack, "discord": discord, "feed": feed}[kind]
