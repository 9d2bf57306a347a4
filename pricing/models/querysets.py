"""The shared reads, said once: which period is open, which held at an instant, which source is
believed first, whether an offer is still listed, and whether a source is fresh.

Pages, the API, feeds, alerts and the write path all ask these questions; each has exactly one
answer here (as a QuerySet method, and where a sweep works in memory, as the same rule in Python).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Count, DateTimeField, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# "The most trusted source": the heaviest source, then the price confirmed most recently, then
# the newest period. The write path's denormalised ``Offer.current_period`` and every read pick
# by this order.
TRUST_ORDER = ("-source__weight", "-last_seen", "-valid_from", "-id")

# Runs that delivered a listing. A partial run (the listing arrived, some per-model bodies did
# not) counts: the prices it carried are fresh. Failed, refused and skipped runs do not.
FRESH_STATUSES = ("complete", "partial")


def trust_key(weight: int, last_seen: datetime | None, valid_from: datetime | None, pk: int | None) -> tuple:
    """TRUST_ORDER as a sort key for periods already in memory (larger is more trusted)."""
    return (weight, last_seen or EPOCH, valid_from or EPOCH, pk or 0)


def listing_window() -> timedelta | None:
    """How long after its last sighting an offer that a later listing of its source (in scope,
    the same model) left out still counts as current: INGEST_REMOVE_AFTER_DAYS, the write path's
    time window (None when it is 0, off). The write path ends such offers by that rule as it
    ingests (``pricing.collection.ingest.scope``); reading by the same rule keeps data ingested
    before it, or by a run that could not tell its scope, from counting as current."""
    days = getattr(settings, "INGEST_REMOVE_AFTER_DAYS", 3)
    return timedelta(days=days) if days > 0 else None


def scope_key(source_id: int, source_kind: str, model_id: int, provider_id: int, provider_kind: str) -> tuple:
    """The listing an open period belongs to: its source's listing of its model. A host's own
    API lists that host only, so its scope is the host's offers of the model. At an aggregator,
    the aggregator quoting itself (OpenRouter's models list) and the hosts behind it (its
    per-model endpoints) are two listings, fetched apart."""
    if source_kind == "api":
        return (source_id, model_id, provider_id)
    return (source_id, model_id, provider_kind == "aggregator")


def still_listed(last_seen: datetime | None, scope_seen: datetime | None, when: datetime | None = None) -> bool:
    """Whether an open period still counts as listed at ``when`` (now if None).

    ``scope_seen`` is the latest time its source listed the same model (``PricePeriodQuerySet.
    scope_seen``). A period last seen more than the listing window before that was left out of
    a later listing in scope: it is no longer current from that listing on."""
    if last_seen is None or scope_seen is None:
        return True
    if when is not None and when < scope_seen:
        return True
    window = listing_window()
    return window is None or scope_seen - last_seen < window


class PricePeriodQuerySet(models.QuerySet):
    def open(self) -> PricePeriodQuerySet:
        """Periods not closed by a change or a removal (``pricing_period_source_open`` serves it)."""
        return self.filter(valid_to__isnull=True)

    def at(self, when: datetime) -> PricePeriodQuerySet:
        """Periods that held at an instant: begun at or before it and not ended by it."""
        return self.filter(valid_from__lte=when).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=when))

    def most_trusted_first(self) -> PricePeriodQuerySet:
        return self.order_by(*TRUST_ORDER)

    def with_freshness(self) -> PricePeriodQuerySet:
        """Annotate each period with ``source_last_fresh``: when its source last had a fresh run
        (``stale_since`` judges it), so a page learns staleness without another query."""
        return self.annotate(source_last_fresh=last_fresh_of("source_id"))

    def scope_seen(self, model_ids: list[int] | None = None) -> dict[tuple, datetime]:
        """``scope_key`` -> the latest time the source listed that model: the instant of its
        latest listing in scope (one grouped query over open periods)."""
        query = self.open()
        if model_ids is not None:
            query = query.filter(offer__model_id__in=model_ids)
        rows = (
            query.order_by()
            .values_list("source_id", "source__kind", "offer__model_id", "offer__provider_id", "offer__provider__kind")
            .annotate(seen=Max("last_seen"))
        )
        out: dict[tuple, datetime] = {}
        for source_id, source_kind, model_id, provider_id, provider_kind, seen in rows:
            key = scope_key(source_id, source_kind, model_id, provider_id, provider_kind)
            out[key] = max(seen, out.get(key, seen))
        return out


class OfferQuerySet(models.QuerySet):
    def live(self) -> OfferQuerySet:
        """Offers the write path holds open (an open period of some source). Whether they are
        still *current* also depends on later listings: see ``still_listed``."""
        return self.filter(gone_at__isnull=True, current_period__isnull=False)

    def hosts(self) -> OfferQuerySet:
        """Offers sold by a host or a lab selling its own model; aggregators left out."""
        return self.exclude(provider__kind="aggregator")


class CollectionRunQuerySet(models.QuerySet):
    def fresh(self) -> CollectionRunQuerySet:
        """Runs that delivered a listing (FRESH_STATUSES)."""
        return self.filter(status__in=FRESH_STATUSES)


def staleness_limit(source_slug: str) -> timedelta:
    """How old a source's last fresh run may be before its prices are stale: three collection
    intervals, or three days for a source with no schedule (curated tables, the snapshot)."""
    interval = getattr(settings, "COLLECT_INTERVALS", {}).get(source_slug)
    return timedelta(minutes=3 * interval) if interval else timedelta(days=3)


class SourceQuerySet(models.QuerySet):
    def with_freshness(self) -> SourceQuerySet:
        """Annotate each source with its last fresh run (``last_fresh`` when it finished,
        ``last_fresh_id``), its newest run (``last_slot``, ``last_status``, ``last_error``) and
        the failed or refused runs since the last fresh one (``failed_since``): one query,
        served by pricing_run_source_status. ``is_stale(source)`` judges the result."""
        # Resolved through the app registry: runs.py imports this module for its manager.
        CollectionRun = apps.get_model("pricing", "CollectionRun")  # noqa: N806
        fresh = CollectionRun.objects.filter(source=OuterRef("pk")).fresh().order_by("-slot", "-id")
        newest = CollectionRun.objects.filter(source=OuterRef("pk")).order_by("-slot", "-id")
        fresh_slot = (
            CollectionRun.objects.filter(source=OuterRef(OuterRef("pk"))).fresh().order_by("-slot").values("slot")[:1]
        )
        failed = (
            CollectionRun.objects.filter(source=OuterRef("pk"), status__in=["failed", "refused"])
            .filter(slot__gt=Coalesce(Subquery(fresh_slot), Value(EPOCH, output_field=DateTimeField())))
            .order_by().values("source").annotate(n=Count("id")).values("n")
        )
        return self.annotate(
            last_fresh=last_fresh_of("pk"),
            last_fresh_id=Subquery(fresh.values("id")[:1]),
            last_slot=Subquery(newest.values("slot")[:1]),
            last_status=Subquery(newest.values("status")[:1]),
            last_error=Subquery(newest.values("error")[:1]),
            failed_since=Coalesce(Subquery(failed), 0),
        )


def is_stale(source, now: datetime, limit: timedelta | None = None) -> bool:
    """A source annotated by ``with_freshness`` is stale when its last fresh run is older than
    its staleness limit (or it never had one). Its offers stay in use, shown greyed with their
    date; only the write path's removal rule ends an offer."""
    return stale_since(source.slug, getattr(source, "last_fresh", None), now, limit)


def stale_since(slug: str, last_fresh: datetime | None, now: datetime, limit: timedelta | None = None) -> bool:
    if last_fresh is None:
        return True
    return now - last_fresh > (limit if limit is not None else staleness_limit(slug))


def last_fresh_of(source_ref: str = "pk") -> Subquery:
    """When the source at ``OuterRef(source_ref)`` last had a fresh run (a correlated subquery,
    served by pricing_run_source_status)."""
    CollectionRun = apps.get_model("pricing", "CollectionRun")  # noqa: N806
    fresh = CollectionRun.objects.filter(source=OuterRef(source_ref)).fresh().order_by("-slot", "-id")
    return Subquery(fresh.annotate(at=Coalesce("finished", "slot")).values("at")[:1])
