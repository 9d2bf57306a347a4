"""What a complete listing is complete for, and which of the source's offers it left out.

A listing that covers the whole source (``ParseResult.scope`` None) speaks for every open period
of the source. One that covers a scope (one model's OpenRouter endpoints, a models list) speaks
only for the open periods in that scope: the "lost more than half" guard counts those, and only
those can miss a run, be removed, or come back ("returned").

An offer a complete listing in scope leaves out misses a run; it is removed (its open period
closed, a "removed" event written) after ``INGEST_REMOVE_AFTER_RUNS`` misses in a row, or at the
first miss that comes ``INGEST_REMOVE_AFTER_DAYS`` or more after it was last seen, so sparse
history (the bundled snapshot, a daily or weekly archive) ends offers too. A listing older than
an offer's last sighting says nothing about it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from pricing.collection.ingest.catalog import chunks
from pricing.models import PricePeriod, Source
from providers.base import ListingScope


def open_in_scope(source: Source, scope: ListingScope | None, at: datetime) -> frozenset[int] | None:
    """Ids of the source's open periods the listing speaks for: those in its scope last seen
    before it. None when it speaks for every open period (a live listing of the whole source)."""
    rows = PricePeriod.objects.filter(source=source, valid_to__isnull=True)
    if scope is None:
        if not rows.filter(last_seen__gte=at).exists():
            return None
        return frozenset(rows.filter(last_seen__lt=at).values_list("id", flat=True))
    rows = rows.filter(last_seen__lt=at)
    if scope.catalogue is None:  # narrow in the database: a per-model body touches a few rows
        rows = rows.filter(Q(provider_model_id__in=scope.ids) | Q(offer__provider__slug__in=scope.providers))
    return frozenset(
        period_id
        for period_id, provider, provider_model_id in rows.values_list("id", "offer__provider__slug", "provider_model_id")
        if scope.covers(provider, provider_model_id)
    )


def last_seen(period_ids: list[int]) -> dict[int, datetime]:
    seen: dict[int, datetime] = {}
    for batch in chunks(period_ids):
        seen.update(PricePeriod.objects.filter(pk__in=batch).values_list("id", "last_seen"))
    return seen


def returning(source: Source, offer_ids: list[int]) -> frozenset[int]:
    """Offers (quoted now, with no open period of this source) that this source listed before and
    then stopped listing: they come back."""
    back: set[int] = set()
    for batch in chunks(offer_ids):
        back.update(PricePeriod.objects.filter(source=source, offer_id__in=batch).values_list("offer_id", flat=True))
    return frozenset(back)


def gone(missed_runs: int, last: datetime, at: datetime, *, after_runs: int, after_days: int) -> bool:
    """Removed at this miss: enough runs in a row without it, or long enough since it was seen."""
    return missed_runs >= after_runs or (after_days > 0 and at - last >= timedelta(days=after_days))
