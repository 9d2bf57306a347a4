"""Signed webhooks, Standard Webhooks scheme (webhook-id, webhook-timestamp, webhook-signature)."""

from __future__ import annotations

import json

from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from . import Content, Sent
from ._http import post_json


def payload(content: Content, message_id: str) -> dict:
    return {
        "type": f"ratecard.{content.kind}",
        "timestamp": timezone.now().isoformat(),
        "data": {"id": message_id, "subject": content.subject, "items": content.items},
    }


def sign(secret: str, message_id: str, body: str) -> dict[str, str]:
    now = timezone.now()
    signature = Webhook(secret).sign(message_id, now, body)
    return {"webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature}


def send(channel, content: Content, message_id: str) -> Sent:
    # The id is the message's public id: the same for every retry, so a receiver can dedupe.
    body = json.dumps(payload(content, message_id), separators=(",", ":"))
    return post_json(channel.target, body.encode(), sign(channel.secret, message_id, body))
