"""Celery tasks of the alerts app. Like every task here they are triggers: the Message row is the
record, so a lost task only delays a send until the periodic dispatcher (every 30 s) finds it due.

``dispatch_alerts`` keeps the name it had before the app had its own tasks module, so queued
messages and beat entries keep working."""

from __future__ import annotations

import logging

from celery import shared_task

from . import outbox
from .models import Message

log = logging.getLogger(__name__)


@shared_task(name="pricing.tasks.dispatch_alerts", ignore_result=True)
def dispatch_alerts() -> int:
    return outbox.dispatch_due()


def on_prices_changed(sender: object, *, newsworthy: bool, **kwargs: object) -> None:
    """Receiver of ``pricing.signals.prices_changed``: deliver alerts for newsworthy changes now
    (the beat's periodic dispatch picks them up anyway, so a broker hiccup loses nothing)."""
    if not newsworthy:
        return  # history loads and baselines alert nobody
    try:
        dispatch_alerts.delay()
    except Exception:  # a broker hiccup must not undo committed prices; the beat sweeps later
        log.warning("could not queue alert dispatch; the periodic dispatcher will pick it up", exc_info=True)


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
