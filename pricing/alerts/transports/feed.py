"""The private Atom feed: sending is recording; the feed view reads the sent messages."""

from __future__ import annotations

from . import Content, Sent


def send(channel, content: Content, message_id: str) -> Sent:
    return Sent(response="stored for the feed")
