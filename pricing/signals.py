"""What the write path announces. Ingestion sends; the cache and the alerts app listen.

``prices_changed`` is sent once per ingested run that changed anything, after its transaction has
committed (never for a rolled-back run), with ``source`` (the Source), ``run`` (the
CollectionRun) and ``newsworthy`` (True when some change should alert people: baselines and
history loads are not news). Receivers must be quick; slow work is queued.
"""

from __future__ import annotations

import logging

from django.dispatch import Signal

log = logging.getLogger(__name__)

prices_changed = Signal()


def announce_prices_changed(source: object, run: object, *, newsworthy: bool) -> None:
    """Send ``prices_changed``. A receiver that fails is logged, never undoes committed prices."""
    for receiver, outcome in prices_changed.send_robust(sender=type(source), source=source, run=run,
                                                        newsworthy=newsworthy):
        if isinstance(outcome, Exception):
            log.error("prices_changed receiver %r failed", receiver, exc_info=outcome)
