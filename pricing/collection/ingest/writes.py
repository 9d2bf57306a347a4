"""Step 4 of ingestion: carry out a run's :class:`~pricing.collection.ingest.periods.Plan`.

The order matters: closing before opening keeps "one open period per offer and source" true at
every statement, which PostgreSQL checks per statement; events are written after the periods they
point at; each touched offer's current price is refreshed last.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import F

from pricing.collection.ingest.catalog import CHUNK, chunks, refresh_current
from pricing.collection.ingest.periods import Plan
from pricing.models import ChangeEvent, CollectionRun, Offer, PendingPrice, PricePeriod, QuoteRejection, Source


def apply(plan: Plan, open_ids: list[int], attribute_updates: dict[int, dict],
          attribute_events: list[ChangeEvent], source: Source, run: CollectionRun, at: datetime, notify: bool) -> None:
    close_changed(plan.to_close)
    for period in plan.removed:
        PricePeriod.objects.filter(pk=period.id).update(valid_to=at, n_missed=F("n_missed") + 1)
        plan.events.append(ChangeEvent(kind=ChangeEvent.Kind.REMOVED, offer_id=period.offer_id, source=source, at=at,
                                       run=run, notify=notify))
        plan.touched_offers.add(period.offer_id)
    for batch in chunks(plan.missed):
        PricePeriod.objects.filter(pk__in=batch).update(n_missed=F("n_missed") + 1)
    for batch in chunks(plan.reset_missed):
        PricePeriod.objects.filter(pk__in=batch).update(n_missed=0)
    touch_last_seen(source, plan.unchanged, open_ids, at)
    if plan.pending_delete:
        PendingPrice.objects.filter(pk__in=plan.pending_delete).delete()
    if plan.pending_upserts:
        PendingPrice.objects.bulk_create(plan.pending_upserts)
    PricePeriod.objects.bulk_create(plan.new_periods, batch_size=500)
    for offer_id, changes in attribute_updates.items():
        Offer.objects.filter(pk=offer_id).update(**changes)
    plan.events.extend(attribute_events)
    ChangeEvent.objects.bulk_create(plan.events, batch_size=500)
    QuoteRejection.objects.bulk_create(plan.rejections, batch_size=500)
    refresh_current(plan.touched_offers)


def close_changed(to_close: list[tuple[int, datetime]]) -> None:
    """Close the changed periods: one UPDATE per instant (a sweep's changes share one)."""
    closing: dict[datetime, list[int]] = {}
    for period_id, valid_to in to_close:
        closing.setdefault(valid_to, []).append(period_id)
    for valid_to, period_ids in closing.items():
        for batch in chunks(period_ids):
            PricePeriod.objects.filter(pk__in=batch).update(valid_to=valid_to)


def touch_last_seen(source: Source, unchanged: list[int], open_ids: list[int], at: datetime) -> None:
    """Move ``last_seen`` of the periods seen again. The usual sweep changes almost nothing: one
    UPDATE over the source's open periods, minus the few that changed or went missing, beats
    thousands of id lists."""
    if not unchanged:
        return
    # An older capture replayed later confirms a price but never moves its last sighting back.
    if len(unchanged) > 0.9 * len(open_ids):
        unchanged_set = set(unchanged)
        excluded = [pid for pid in open_ids if pid not in unchanged_set]
        if len(excluded) <= CHUNK:
            PricePeriod.objects.filter(source=source, valid_to__isnull=True, last_seen__lt=at).exclude(
                pk__in=excluded).update(last_seen=at)
            return
    for batch in chunks(unchanged):
        PricePeriod.objects.filter(pk__in=batch, last_seen__lt=at).update(last_seen=at)
