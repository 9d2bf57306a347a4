"""The alerts app's Celery task. Its name is kept from before the app had its own tasks module,
so queued messages and beat entries keep working."""

from __future__ import annotations

import logging

from celery import shared_task

from pricing.alerts.outbox import dispatch_due

log = logging.getLogger(__name__)


@shared_task(name="pricing.tasks.dispatch_alerts", ignore_result=True)
def dispatch_alerts() -> int:
    return dispatch_due()


def on_prices_changed(sender: object, *, newsworthy: bool, **kwargs: object) -> None:
    """Receiver of ``pricing.signals.prices_changed``: deliver alerts for newsworthy changes now
    (the beat's periodic dispatch picks them up anyway, so a broker hiccup loses nothing)."""
    if not newsworthy:
        return  # history loads and baselines alert nobody
    try:
        dispatch_alerts.delay()
    except Exception:  # a broker hiccup must not undo committed prices; the beat sweeps later
        log.warning("could not queue alert dispatch; the periodic dispatcher will pick it up", exc_info=True)
