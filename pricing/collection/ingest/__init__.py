"""The one place that writes prices: ``ingest(run, result)`` applies one run's normalised quotes
in one transaction, as named steps:

1. ``guards``: NaN, Infinity, negative and out-of-band prices are rejected with a reason; a run
   whose complete listing lost more than half of the source's open offers is refused whole,
   keeping the last good prices.
2. ``catalog``: each source id to a canonical model (unmatched ids are kept for a person), then
   providers and offers, found or created; attribute changes of existing offers.
3. ``periods``: the same price moves ``last_seen``; a change closes the open period and opens the
   next, with a change event; a jump of 10x or more either way is held as pending until the next
   run of the source confirms it; an offer is marked removed only after several complete runs
   without it (in the listing's scope: see ``scope``). Decided into a ``Plan`` before anything is
   written.
4. ``writes``: the plan, written in an order the database's constraints accept.
5. ``samples``: performance samples of the offers the run priced.

It is idempotent: the same quotes again change nothing but ``last_seen``. Concurrent ingestion
of one source serialises on a row lock of the source (on SQLite, on the IMMEDIATE transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from pricing.collection.ingest import catalog, guards, periods, scope, writes
from pricing.collection.ingest.held import NewCaps, hold
from pricing.collection.ingest.samples import store_samples
from pricing.collection.matching import Matcher
from pricing.models import (
    CollectionRun,
    Offer,
    PendingPrice,
    PricePeriod,
    QuoteRejection,
    Source,
)
from pricing.signals import announce_prices_changed
from providers.base import ParseResult


@dataclass
class IngestStats:
    seen: int = 0
    changed: int = 0
    new: int = 0
    rejected: int = 0
    pending: int = 0
    unmatched: int = 0
    removed: int = 0
    samples: int = 0
    held: int = 0
    refused: str = ""


def ingest(
    run: CollectionRun, result: ParseResult, *, at: datetime | None = None, notify: bool = True,
    payload_ids: dict[int, int] | None = None, cap_new: bool = True,
) -> IngestStats:
    """Apply one run's quotes and samples. See the module docstring for the steps.

    ``payload_ids`` maps ``id(quote)`` to the RawPayload it was parsed from, so every period
    points at the exact body that stated it (a run of OpenRouter has hundreds). ``cap_new=False``
    applies quotes a person confirmed beyond the per-run cap on new models and offers (``held``)."""
    at = at or timezone.now()
    stats = IngestStats()
    with transaction.atomic():
        source = Source.objects.select_for_update().get(pk=run.source_id)
        # A source's first sweep is its baseline: thousands of "new offer" alerts would be noise.
        has_baseline = CollectionRun.objects.filter(
            source=source, status__in=[CollectionRun.Status.COMPLETE, CollectionRun.Status.PARTIAL]
        ).exclude(pk=run.pk).exists()
        payload_ids = dict(payload_ids or {})
        valid, rejections = guards.screen(run, source.slug, result, payload_ids)
        in_scope = scope.open_in_scope(source, result.scope, at) if result.complete else None
        stats.refused = guards.refusal(source, result, len(valid), in_scope)
        if stats.refused:
            stats.rejected = len(rejections)
            QuoteRejection.objects.bulk_create(rejections, batch_size=500)
            return stats

        matcher = Matcher.load(source.slug)
        caps = NewCaps.for_run(baseline=not has_baseline, enforce=cap_new)
        held_models = catalog.ensure_models(matcher, result.models, valid, source, caps.models)
        held = [(q, f"new model beyond this run's cap of {caps.models}; held for a person to confirm")
                for q in valid if held_models and catalog.model_slug(q) in held_models]
        if held:
            valid = [q for q in valid if catalog.model_slug(q) not in held_models]
        provider_ids = catalog.ensure_providers(valid, source)
        keyed, duplicates = catalog.group_by_offer(valid, matcher, provider_ids, run)
        stats.unmatched = matcher.record_unmatched(at)
        open_periods, offer_ids, known_attrs = periods.read_open(source, keyed)
        rest = [k for k in keyed if k not in offer_ids]
        more, created, over = catalog.ensure_offers(rest, {k: keyed[k][0] for k in rest}, at, known_attrs, source,
                                                    caps.offers)
        offer_ids.update(more)
        for key in over:
            held.extend((q, f"new offer beyond this run's cap of {caps.offers}; held for a person to confirm")
                        for q in keyed.pop(key))
        stats.held = hold(run, source, held) if held else 0
        stats.seen = len(keyed)

        notify = notify and has_baseline
        plan = _plan(run, source, at, notify, has_baseline, payload_ids, keyed, offer_ids, open_periods, created,
                     rejections + duplicates, complete=result.complete, in_scope=in_scope)
        attribute_events, attribute_updates = catalog.attribute_changes(
            keyed, offer_ids, known_attrs, source, at, run, notify)
        writes.apply(plan, open_periods, attribute_updates, attribute_events, source, run, at, notify)
        stats.changed, stats.new, stats.pending = plan.changed, plan.new, plan.pending
        stats.removed, stats.rejected = len(plan.removed), len(plan.rejections)
        stats.samples = store_samples(result.samples, matcher, provider_ids, offer_ids, source, run, at)
        if stats.changed or stats.new or stats.removed or plan.new_periods or plan.events:
            newsworthy = any(event.notify for event in plan.events)
            transaction.on_commit(lambda: announce_prices_changed(source, run, newsworthy=newsworthy))
    return stats


def _plan(run: CollectionRun, source: Source, at: datetime, notify: bool, has_baseline: bool,
          payload_ids: dict[int, int], keyed: dict[catalog.OfferKey, list], offer_ids: dict[catalog.OfferKey, int],
          open_periods: dict[int, periods.OpenPeriod], created: set[int], rejections: list[QuoteRejection],
          *, complete: bool, in_scope: frozenset[int] | None) -> periods.Plan:
    """Decide everything the run will write (see ``periods``)."""
    plan = periods.Plan(rejections=rejections)
    pending = {p.offer_id: p for p in PendingPrice.objects.filter(source=source)}
    fingerprints = periods.Fingerprints()
    rest = periods.settle_unchanged(keyed, offer_ids, open_periods, pending, fingerprints, plan)
    full = periods.read_full([open_periods[offer_ids[k]].id for k in rest if offer_ids[k] in open_periods])
    sweep = periods.Sweep(
        run=run, source=source, at=at, notify=notify, has_baseline=has_baseline,
        jump_factor=Decimal(settings.INGEST_JUMP_FACTOR), payload_ids=payload_ids,
        default_payload=run.payloads.filter(payload__isnull=False).values_list("payload_id", flat=True).last(),
        pending=pending, created=frozenset(created),
        dated_known=periods.read_dated(source, [offer_ids[k] for k in rest if keyed[k][0].valid_from is not None]),
        returning=scope.returning(source, [offer_ids[k] for k in rest
                                           if offer_ids[k] not in open_periods and offer_ids[k] not in created]),
    )
    for key in rest:
        offer_id = offer_ids[key]
        period = open_periods.get(offer_id)
        current = None
        if period is not None:
            valid_from, state = full[period.id]
            current = periods.Current(period.id, valid_from, period.n_missed, state, period.state_hash)
        periods.decide(sweep, plan, offer_id, keyed[key], current, fingerprints)
    if complete and run.status != CollectionRun.Status.PARTIAL:
        seen = {offer_ids[k] for k in keyed}
        left_out = [p for offer_id, p in open_periods.items()
                    if offer_id not in seen and (in_scope is None or p.id in in_scope)]
        periods.count_missing(plan, left_out, scope.last_seen([p.id for p in left_out]), at,
                              after_runs=settings.INGEST_REMOVE_AFTER_RUNS, after_days=settings.INGEST_REMOVE_AFTER_DAYS)
    return plan


def price_at(offer: Offer, when: datetime, source: Source | None = None) -> PricePeriod | None:
    """The price of an offer at any instant (from its most trusted source, unless one is named)."""
    query = PricePeriod.objects.filter(offer=offer).at(when)
    if source is not None:
        query = query.filter(source=source)
    return query.select_related("source").most_trusted_first().first()
