"""Discord webhooks: plain content, no mention parsed (allowed_mentions.parse = [])."""

from __future__ import annotations

from . import Content, Sent, neutralise_mentions
from ._http import post_json

LIMIT = 2000  # Discord refuses longer content


def escape(text: str) -> str:
    # Role and user mentions (<@&id>, <@id>) are inert with parse=[], but defuse them in the text too.
    return neutralise_mentions(text.replace("<@", "<@\u200b"))


def payload(content: Content) -> dict:
    text = "\n".join([f"**{escape(content.subject)}**"] + [f"- {escape(line)}" for line in content.lines])
    if len(text) > LIMIT:
        text = text[: LIMIT - 1] + "…"
    return {"content": text, "allowed_mentions": {"parse": []}}


def send(channel, content: Content, message_id: str) -> Sent:
    return post_json(channel.target, payload(content))
