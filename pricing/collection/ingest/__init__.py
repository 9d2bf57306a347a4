"""The one place that writes prices: ``ingest(run, result)`` applies one run's normalised quotes
in one transaction, as named steps:

0. ``unchanged``: the usual sweep restates almost every price. A quote whose prices fingerprint to
   its open period's (and that still names the same offer) is settled first, "seen again", with no
   guard, matching or Decimal work; only new, changed and odd quotes take the steps below.
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

from pricing.collection.ingest import catalog, guards, periods, scope, unchanged, writes
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
from providers.base import ParseResult, Quote


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
        matcher = Matcher.load(source.slug)
        table = unchanged.read_open(source)
        fingerprints, known_attrs = periods.Fingerprints(), dict[int, catalog.KnownAttributes]()
        settled = unchanged.settle_first(result.quotes, table, matcher, source.slug, fingerprints, known_attrs)
        valid, rejections = guards.screen(run, source.slug, result, payload_ids, settled.rest, settled.positions)
        in_scope = scope.open_in_scope(source, result.scope, at) if result.complete else None
        stats.refused = guards.refusal(source, result, len(valid) + len(settled.quotes), in_scope,
                                       n_open=len(table.by_offer))
        if stats.refused:
            stats.rejected = len(rejections)
            QuoteRejection.objects.bulk_create(rejections, batch_size=500)
            return stats

        caps = NewCaps.for_run(baseline=not has_baseline, enforce=cap_new)
        held_models = catalog.ensure_models(
            matcher, result.models, settled.in_listing_order(valid) if source.slug == "openrouter" else valid,
            source, caps.models)
        held = _held_models(held_models, settled, valid, caps.models)
        if held:
            valid = [q for q in valid if catalog.model_slug(q) not in held_models]
        provider_ids = catalog.ensure_providers(valid, source)
        provider_ids.update(table.providers)  # the settled quotes' providers (samples look them up)
        keyed, duplicates = catalog.group_by_offer(valid, matcher, provider_ids, run)
        open_of_keyed = table.of_keys(keyed)
        duplicates += unchanged.resolve(settled, keyed, open_of_keyed, run)
        stats.unmatched = matcher.record_unmatched(at)
        offer_ids = _known_offers(keyed, open_of_keyed, known_attrs)
        rest = [k for k in keyed if k not in offer_ids]
        more, created, over = catalog.ensure_offers(rest, {k: keyed[k][0] for k in rest}, at, known_attrs, source,
                                                    caps.offers)
        offer_ids.update(more)
        for key in over:
            held.extend((q, f"new offer beyond this run's cap of {caps.offers}; held for a person to confirm")
                        for q in keyed.pop(key))
        stats.held = hold(run, source, held) if held else 0
        stats.seen = len(keyed) + len(settled.quotes)

        notify = notify and has_baseline
        plan = _plan(run, source, at, notify, has_baseline, payload_ids, keyed, offer_ids, table.by_offer, created,
                     rejections + duplicates, settled, fingerprints, complete=result.complete, in_scope=in_scope)
        attribute_events, attribute_updates = catalog.attribute_changes(
            settled.last_quotes(keyed, offer_ids, known_attrs), known_attrs, source, at, run, notify)
        writes.apply(plan, table.by_offer.ids(), attribute_updates, attribute_events, source, run, at, notify)
        stats.changed, stats.new, stats.pending = plan.changed, plan.new, plan.pending
        stats.removed, stats.rejected = len(plan.removed), len(plan.rejections)
        if result.samples:
            offer_ids.update((catalog.OfferKey(p.provider_id, p.model_id, p.variant), p.offer_id)
                             for p in map(table.by_offer.__getitem__, settled.quotes))
        stats.samples = store_samples(result.samples, matcher, provider_ids, offer_ids, source, run, at)
        if stats.changed or stats.new or stats.removed or plan.new_periods or plan.events:
            newsworthy = any(event.notify for event in plan.events)
            transaction.on_commit(lambda: announce_prices_changed(source, run, newsworthy=newsworthy))
    return stats


def _held_models(held_models: set[str], settled: unchanged.Settled, valid: list[Quote],
                 cap: int) -> list[tuple[Quote, str]]:
    """The quotes of new models beyond the run's cap, in listing order (settled ones included)."""
    if not held_models:
        return []
    held = []
    for quote in settled.in_listing_order(valid):
        if catalog.model_slug(quote) in held_models:
            held.append((quote, f"new model beyond this run's cap of {cap}; held for a person to confirm"))
    for offer_id in [o for o, q in settled.quotes.items() if catalog.model_slug(q) in held_models]:
        settled.unsettle(offer_id)
    return held


def _known_offers(keyed: dict[catalog.OfferKey, list[Quote]], open_of_keyed: dict[catalog.OfferKey, periods.OpenPeriod],
                  known_attrs: dict[int, catalog.KnownAttributes]) -> dict[catalog.OfferKey, int]:
    """The offer ids of the full path's keys that have an open period of the source. The stored
    attributes are kept only for the offers whose quote states different ones."""
    offer_ids: dict[catalog.OfferKey, int] = {}
    for key, period in open_of_keyed.items():
        group = keyed.get(key)
        if group is None:  # a duplicate of a settled quote
            continue
        offer_ids[key] = period.offer_id
        quote = group[-1]
        if (quote.quantization, quote.context_length, quote.status) != (
                period.quantization, period.context_length, period.status):
            known_attrs[period.offer_id] = period.known_attributes()
    return offer_ids


def _plan(run: CollectionRun, source: Source, at: datetime, notify: bool, has_baseline: bool,
          payload_ids: dict[int, int], keyed: dict[catalog.OfferKey, list], offer_ids: dict[catalog.OfferKey, int],
          open_periods: unchanged.OpenPeriods, created: set[int], rejections: list[QuoteRejection],
          settled: unchanged.Settled, fingerprints: periods.Fingerprints,
          *, complete: bool, in_scope: frozenset[int] | None) -> periods.Plan:
    """Decide everything the run will write (see ``periods``)."""
    plan = periods.Plan(rejections=rejections)
    pending = {p.offer_id: p for p in PendingPrice.objects.filter(source=source)}
    plan.unchanged, plan.reset_missed = open_periods.seen_again(settled.quotes)
    plan.pending_delete = [pending[o].id for o in pending if o in settled.quotes]  # back before a jump was confirmed
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
        seen.update(settled.quotes)
        left_out = open_periods.missing(seen, in_scope)
        periods.count_missing(plan, left_out, scope.last_seen([p.id for p in left_out]), at,
                              after_runs=settings.INGEST_REMOVE_AFTER_RUNS, after_days=settings.INGEST_REMOVE_AFTER_DAYS)
    return plan


def price_at(offer: Offer, when: datetime, source: Source | None = None) -> PricePeriod | None:
    """The price of an offer at any instant (from its most trusted source, unless one is named)."""
    query = PricePeriod.objects.filter(offer=offer).at(when)
    if source is not None:
        query = query.filter(source=source)
    return query.select_related("source").most_trusted_first().first()
