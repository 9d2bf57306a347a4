"""Confirming held quotes: a person says the new models and offers are real; they are applied
through the one apply step as a run of their source (trigger "confirm")."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from pricing.collection import payloads
from pricing.collection.ingest.held import quote_from_json
from pricing.models import CollectionRun, HeldQuote
from providers.base import ParseResult


def confirm(held: QuerySet[HeldQuote]) -> list[CollectionRun]:
    """Apply the given unconfirmed held quotes, one run per source. Returns the runs."""
    done: list[CollectionRun] = []
    by_source: dict[int, list[HeldQuote]] = {}
    for item in held.filter(confirmed_at__isnull=True).select_related("source").order_by("pk"):
        by_source.setdefault(item.source_id, []).append(item)
    for items in by_source.values():
        now = timezone.now()
        with transaction.atomic():
            run = CollectionRun.objects.create(source=items[0].source, slot=now, trigger="confirm",
                                               status=CollectionRun.Status.RUNNING, started=now)
            # Not a complete listing: confirming some offers says nothing about the others.
            result = ParseResult(quotes=[quote_from_json(item.quote) for item in items], complete=False)
            payloads.conclude(run, payloads.Parsed(result=result, n_ok=1, first_fetch=now), at=now, cap_new=False)
            HeldQuote.objects.filter(pk__in=[item.pk for item in items]).update(confirmed_at=now)
        done.append(run)
    return done
