"""Replays: rebuild one source's history from its stored raw payloads (after a parser fix),
through the same apply step as a live run."""

from __future__ import annotations

from django.db import transaction

import providers
from pricing.collection import payloads
from pricing.models import ChangeEvent, CollectionRun, Offer, PendingPrice, PerfSample, PricePeriod, Source


def reparse(slug: str, *, dry_run: bool = False) -> dict[str, int]:
    collector = providers.get_collector(slug)
    source = Source.objects.get(slug=slug)
    run_list = list(
        CollectionRun.objects.filter(source=source, status__in=["complete", "partial", "refused", "failed"])
        .order_by("slot")
        .prefetch_related("payloads__payload")
    )
    counts = {"runs": 0, "payloads": 0}
    if dry_run:
        counts["runs"] = len(run_list)
        counts["payloads"] = sum(len(run.payloads.all()) for run in run_list)
        return counts
    with transaction.atomic():
        # Offers only this source knows are rebuilt from scratch (their attributes and "new offer"
        # events come from the replay); offers other sources also price keep their rows.
        shared = PricePeriod.objects.exclude(source=source).values("offer_id")
        Offer.objects.filter(periods__source=source).exclude(pk__in=shared).delete()
        Offer.objects.filter(current_period__source=source).update(current_period=None)
        ChangeEvent.objects.filter(source=source).delete()
        PendingPrice.objects.filter(source=source).delete()
        PerfSample.objects.filter(source=source).delete()
        PricePeriod.objects.filter(source=source).delete()
        CollectionRun.objects.filter(pk__in=[r.pk for r in run_list]).update(status="pending")
        for run in run_list:
            # The same apply step as a live run: a listing that no longer parses fails its run.
            payloads.apply(run, payloads.stored(run), collector, notify=False)
            counts["payloads"] += len(run.payloads.all())
            counts["runs"] += 1
    return counts
