"""Rebuild one source's history from its stored raw payloads (after a parser fix)."""

from __future__ import annotations

from django.db import transaction

import providers
from pricing.collection.ingest import ingest
from pricing.models import ChangeEvent, CollectionRun, Offer, PendingPrice, PerfSample, PricePeriod, Source
from providers.base import ParseError, ParseResult, Payload


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
            result = ParseResult()
            payload_ids: dict[int, int] = {}
            ok = 0
            for use in run.payloads.all():
                if use.payload is None or use.error:
                    result.complete = False
                    continue
                payload = Payload(url=use.url, body=use.payload.body, fetched_at=use.fetched_at, kind=use.kind)
                try:
                    parsed = collector.parse(payload)
                    payload_ids.update((id(quote), use.payload_id) for quote in parsed.quotes)
                    result.extend(parsed)
                    ok += 1
                except ParseError:
                    result.complete = False
                counts["payloads"] += 1
            fetched = [use.fetched_at for use in run.payloads.all()]
            at = min(fetched) if fetched else run.slot
            stats = ingest(run, result, at=at, notify=False, payload_ids=payload_ids) if ok else None
            status = "failed" if not ok else ("refused" if stats.refused else ("complete" if result.complete else "partial"))
            CollectionRun.objects.filter(pk=run.pk).update(status=status)
            counts["runs"] += 1
    return counts
