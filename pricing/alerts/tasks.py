"""Celery tasks of the alerts app. Like every task here they are triggers: the Message row is the
record, so a lost task only delays a send until the periodic dispatcher (every 30 s) finds it due."""

from __future__ import annotations

import logging

from celery import shared_task

from . import outbox
from .models import Message

log = logging.getLogger(__name__)


@shared_task(name="pricing.alerts.tasks.send_message", ignore_result=True, soft_time_limit=120, time_limit=150)
def send_message(message_id: int) -> bool:
    """Send one due message now (a "send test" press, a confirmation link), off the web request."""
    return bool(outbox.send_claimed(message_id))


def queue(message: Message) -> None:
    """Hand a due message to a worker; the web request returns at once."""
    try:
        send_message.delay(message.pk)
    except Exception:  # a broker hiccup: the message is due, so the periodic dispatcher sends it
        log.warning("could not queue alert message %s; the dispatcher will send it", message.pk, exc_info=True)
