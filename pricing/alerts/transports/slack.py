"""Slack incoming webhooks: mrkdwn text with &, < and > escaped, so a model name cannot form a
link or a <!channel> mention; @here/@everyone defused as well."""

from __future__ import annotations

from . import Content, Sent, neutralise_mentions
from ._http import post_json


def escape(text: str) -> str:
    return neutralise_mentions(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def payload(content: Content) -> dict:
    lines = [f"*{escape(content.subject)}*"] + [f"• {escape(line)}" for line in content.lines]
    if content.alerts_url:
        lines.append(f"<{content.alerts_url}|Manage alerts>")
    return {"text": "\n".join(lines), "unfurl_links": False, "unfurl_media": False}


def send(channel, content: Content, message_id: str) -> Sent:
    return post_json(channel.target, payload(content))
