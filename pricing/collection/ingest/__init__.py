"""The one place that writes prices.

``ingest(run, result)`` applies one run's normalised quotes in one transaction:

1. Guards: NaN, Infinity, negative and out-of-band prices are rejected with a reason; a run whose
   complete listing lost more than half of the source's open offers is refused whole, keeping the
   last good prices.
2. Matching: each source id to a canonical model; unmatched ids are kept for a person.
3. Periods: the same price moves ``last_seen``; a change closes the open period and opens the
   next, with a change event in the same transaction; a jump of 10x or more either way is held as
   pending until the next run of the source confirms it; an offer is marked removed only after
   several complete runs without it.

It is idempotent: the same quotes again change nothing but ``last_seen``. Concurrent ingestion
of one source serialises on a row lock of the source (on SQLite, on the IMMEDIATE transaction).
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from pricing.cache import bump_generation
from pricing.collection.matching import Matcher
from pricing.models import (
    ChangeEvent,
    CollectionRun,
    Model,
    Offer,
    PendingPrice,
    PerfSample,
    PricePeriod,
    Provider,
    QuoteRejection,
    RawPayload,
    RunPayload,
    Source,
)
from pricing.models.history import PRICE_FIELDS, PRICE_MAX, PriceKind, state_hash
from pricing.money import plain
from providers.base import ModelInfo, ParseResult, Payload, Quote
from providers.base import PerfSample as PerfQuote

log = logging.getLogger(__name__)

# Below this many open offers the "lost more than half" rule would refuse ordinary churn.
REFUSE_MIN_OPEN = 4
CHUNK = 900  # under SQLite's bound-parameter limit with room to spare


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
    refused: str = ""


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def store_payload(run: CollectionRun, payload: Payload) -> RunPayload:
    """Keep the body as received (once per distinct body) and note that this run received it."""
    raw = None
    if payload.body:
        digest = RawPayload.digest(payload.body)
        raw = RawPayload.objects.filter(sha256=digest).first()
        if raw is None:
            try:
                with transaction.atomic():
                    raw = RawPayload.objects.create(
                        sha256=digest,
                        body_gz=gzip.compress(payload.body, compresslevel=6),
                        size=len(payload.body),
                        first_url=payload.url[:2000],
                        first_fetched_at=payload.fetched_at,
                    )
            except IntegrityError:  # another process stored the same body first
                raw = RawPayload.objects.get(sha256=digest)
    return RunPayload.objects.create(
        run=run,
        payload=raw,
        url=payload.url[:2000],
        kind=payload.kind,
        fetched_at=payload.fetched_at,
        status=payload.status,
        error=payload.error[:2000],
    )


PRICE_KINDS = frozenset(PriceKind.values)


def _guard(quote: Quote) -> str:
    """Why this quote cannot be stored, or "" if it can."""
    if quote.price_kind.value not in PRICE_KINDS:
        return f"unknown price kind {quote.price_kind!r}"
    for name, value in zip(PRICE_FIELDS, _state(quote), strict=False):
        if value is None:
            continue
        if value.__class__ is not Decimal:
            return f"{name} is a {type(value).__name__}, not a Decimal"
        if not value.is_finite():
            return f"{name} is {value}, not a finite number"
        if value < 0:
            return f"{name} is negative ({value})"
        if value > PRICE_MAX:
            return f"{name} = {value} USD/M is above the {PRICE_MAX} USD/M band (a unit slip?)"
    return ""


def _state(quote: Quote) -> tuple:
    return (quote.input, quote.output, quote.cached_input, quote.cache_write, quote.reasoning, quote.per_request,
            quote.price_kind.value)


def _jumped(old: tuple, new: tuple, factor: Decimal) -> bool:
    """A component moved by ``factor`` or more either way (free <-> priced is not a jump)."""
    for before, after in zip(old[: len(PRICE_FIELDS)], new[: len(PRICE_FIELDS)], strict=True):
        if before and after and (after >= before * factor or before >= after * factor):
            return True
    return False


def _state_json(state: tuple) -> dict:
    out = {name: plain(value) for name, value in zip(PRICE_FIELDS, state, strict=False)}
    out["price_kind"] = state[len(PRICE_FIELDS)]
    return out


def _same(a: Decimal | None, b: Decimal | None) -> bool:
    # Decimal("0.50") == Decimal("0.5"); the database normalises scale, so compare by value.
    return a == b


def _states_equal(a: tuple, b: tuple) -> bool:
    return all(_same(x, y) for x, y in zip(a, b, strict=True))


def _ensure_models(matcher: Matcher, infos: list[ModelInfo], quotes: list[Quote], source: Source) -> None:
    """OpenRouter's catalogue is the canonical list of models: its slugs create models."""
    if source.slug != "openrouter":
        return
    wanted: dict[str, ModelInfo] = {}
    for info in infos:
        slug = info.source_id.split(":", 1)[0]
        wanted.setdefault(slug, info)
    for quote in quotes:
        slug = (quote.canonical_hint or quote.provider_model_id).split(":", 1)[0]
        if slug and "/" in slug and slug not in wanted:
            wanted[slug] = ModelInfo(source_id=slug, name=quote.model_name, hf_id=quote.hf_id,
                                     context_length=quote.context_length)
    missing = [slug for slug in wanted if slug.lower() not in matcher.by_slug]
    for batch in _chunks(missing):
        created = Model.objects.bulk_create(
            [
                Model(
                    slug=slug,
                    name=(wanted[slug].name or slug)[:300],
                    author=slug.split("/", 1)[0],
                    hf_id=(wanted[slug].hf_id or "")[:200],
                    context_length=wanted[slug].context_length,
                )
                for slug in batch
            ],
            ignore_conflicts=True,
        )
        del created
        for model in Model.objects.filter(slug__in=batch):
            matcher.add_model(model)
    # Fill in Hugging Face ids learnt later: they are the bridge to every host's own ids.
    for slug, info in wanted.items():
        if info.hf_id and slug.lower() in matcher.by_slug and info.hf_id.lower() not in matcher.by_hf:
            Model.objects.filter(slug=slug, hf_id="").update(hf_id=info.hf_id[:200])
            matcher.by_hf[info.hf_id.lower()] = matcher.by_slug[slug.lower()]


def _providers(quotes: list[Quote], source: Source) -> dict[str, int]:
    names: dict[str, str] = {}
    for quote in quotes:
        names.setdefault(quote.provider, quote.provider_name or quote.provider)
    existing = dict(Provider.objects.filter(slug__in=list(names)).values_list("slug", "id"))
    missing = [slug for slug in names if slug not in existing]
    if missing:
        # A source that quotes itself (OpenRouter's list price) is an aggregator, not a host.
        aggregator = source.kind == Source.Kind.AGGREGATOR
        Provider.objects.bulk_create(
            [
                Provider(slug=slug[:64], name=names[slug][:200],
                         kind=Provider.Kind.AGGREGATOR if aggregator and slug == source.slug else Provider.Kind.HOST)
                for slug in missing
            ],
            ignore_conflicts=True,
        )
        existing.update(Provider.objects.filter(slug__in=missing).values_list("slug", "id"))
    return existing


def _offers(
    keys: set[tuple[int, int, str]], attrs: dict[tuple[int, int, str], Quote], at: datetime, known_attrs: dict
) -> tuple[dict, set]:
    """Offer ids for (provider_id, model_id, variant) keys, creating the missing ones. Fills
    ``known_attrs`` with each existing offer's attributes and its current price's source."""
    by_key: dict[tuple[int, int, str], int] = {}
    if not keys:
        return by_key, set()
    provider_ids = {k[0] for k in keys}
    model_ids = {k[1] for k in keys}
    fields = ("id", "provider_id", "model_id", "variant", *ATTRIBUTES, "current_period__source_id")
    # A big sweep reads its providers' offers in one pass; a small one asks by model.
    batches = [None] if len(model_ids) > CHUNK else list(_chunks(sorted(model_ids)))
    for model_batch in batches:
        query = Offer.objects.filter(provider_id__in=provider_ids)
        if model_batch is not None:
            query = query.filter(model_id__in=model_batch)
        for offer_id, provider_id, model_id, variant, *values in query.values_list(*fields):
            key = (provider_id, model_id, variant)
            if key in keys:
                by_key[key] = offer_id
                known_attrs[offer_id] = values
    missing = [k for k in keys if k not in by_key]
    created: set[int] = set()
    if missing:
        Offer.objects.bulk_create(
            [
                Offer(
                    provider_id=k[0],
                    model_id=k[1],
                    variant=k[2],
                    quantization=attrs[k].quantization[:32],
                    context_length=attrs[k].context_length,
                    max_output=attrs[k].max_output,
                    status=attrs[k].status[:32],
                    provider_model_id=attrs[k].provider_model_id[:300],
                    first_seen=attrs[k].valid_from or at,
                )
                for k in missing
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        missing_models = sorted({k[1] for k in missing})
        for model_batch in _chunks(missing_models):
            for offer_id, provider_id, model_id, variant in Offer.objects.filter(
                model_id__in=model_batch, provider_id__in={k[0] for k in missing}
            ).values_list("id", "provider_id", "model_id", "variant"):
                key = (provider_id, model_id, variant)
                if key not in by_key:
                    by_key[key] = offer_id
                    created.add(offer_id)
    return by_key, created


ATTRIBUTES = ("quantization", "context_length", "status")


def ingest(
    run: CollectionRun, result: ParseResult, *, at: datetime | None = None, notify: bool = True,
    payload_ids: dict[int, int] | None = None,
) -> IngestStats:
    """Apply one run's quotes and samples. See the module docstring for the rules.

    ``payload_ids`` maps ``id(quote)`` to the RawPayload it was parsed from, so every period
    points at the exact body that stated it (a run of OpenRouter has hundreds)."""
    at = at or timezone.now()
    stats = IngestStats()
    with transaction.atomic():
        source = Source.objects.select_for_update().get(pk=run.source_id)
        has_baseline = CollectionRun.objects.filter(
            source=source, status__in=[CollectionRun.Status.COMPLETE, CollectionRun.Status.PARTIAL]
        ).exclude(pk=run.pk).exists()
        # A source's first sweep is its baseline: thousands of "new offer" alerts would be noise.
        notify = notify and has_baseline
        rejections: list[QuoteRejection] = []
        for pmid, reason in result.rejected:
            rejections.append(QuoteRejection(run=run, provider_model_id=pmid[:300], reason=reason[:2000]))

        valid: list[Quote] = []
        for quote in result.quotes:
            reason = _guard(quote)
            if reason:
                rejections.append(
                    QuoteRejection(run=run, provider_model_id=quote.provider_model_id[:300],
                                   provider=quote.provider[:64], reason=reason)
                )
            else:
                valid.append(quote)

        open_count = PricePeriod.objects.filter(source=source, valid_to__isnull=True).count()
        if result.complete and open_count >= REFUSE_MIN_OPEN and len(valid) < open_count / 2:
            stats.refused = (
                f"refused: the listing has {len(valid)} valid quotes against {open_count} open offers "
                f"(lost more than half); last good prices kept"
            )
            stats.rejected = len(rejections)
            QuoteRejection.objects.bulk_create(rejections, batch_size=500)
            return stats

        matcher = Matcher.load(source.slug)
        _ensure_models(matcher, result.models, valid, source)
        provider_ids = _providers(valid, source)

        # Curated history lists several dated prices of one offer in one payload: apply them in
        # date order. Two undated quotes for one offer in one run are a source bug.
        keyed: dict[tuple[int, int, str], list[Quote]] = {}
        for quote in valid:
            model_id = matcher.match(quote.provider_model_id, quote.canonical_hint, quote.hf_id)
            if model_id is None:
                continue
            key = (provider_ids[quote.provider], model_id, quote.variant[:100])
            group = keyed.setdefault(key, [])
            if group and (quote.valid_from is None or group[0].valid_from is None):
                rejections.append(
                    QuoteRejection(run=run, provider_model_id=quote.provider_model_id[:300], provider=quote.provider,
                                   reason="a second quote for the same offer in one run; the first was kept")
                )
                continue
            group.append(quote)
        for group in keyed.values():
            if len(group) > 1:
                group.sort(key=lambda q: q.valid_from)
        stats.unmatched = matcher.record_unmatched(at)

        # Open periods as (id, offer_id, n_missed, state_hash), with their offer's key and
        # attributes in the same read: no Decimals or datetimes to convert for the many that did
        # not change (the few that did are read in full below), and no second pass over offers.
        open_periods: dict[int, tuple] = {}
        known_attrs: dict[int, list] = {}
        offer_ids: dict[tuple[int, int, str], int] = {}
        for row in PricePeriod.objects.filter(source=source, valid_to__isnull=True).values_list(
            "id", "offer_id", "n_missed", "state_hash", "offer__provider_id", "offer__model_id", "offer__variant",
            *(f"offer__{name}" for name in ATTRIBUTES), "offer__current_period__source_id",
        ):
            open_periods[row[1]] = row[:4]
            key = (row[4], row[5], row[6])
            if key in keyed:
                offer_ids[key] = row[1]
                known_attrs[row[1]] = list(row[7:])
        rest = set(keyed) - offer_ids.keys()
        more, created = _offers(rest, {k: keyed[k][0] for k in rest}, at, known_attrs)
        offer_ids.update(more)
        stats.seen = len(keyed)
        default_payload = run.payloads.filter(payload__isnull=False).values_list("payload_id", flat=True).last()
        payload_ids = payload_ids or {}
        pending = {p.offer_id: p for p in PendingPrice.objects.filter(source=source)}
        factor = Decimal(settings.INGEST_JUMP_FACTOR)
        unchanged: list[int] = []
        reset_missed: list[int] = []
        to_close: list[tuple[int, datetime]] = []
        new_periods: list[PricePeriod] = []
        events: list[ChangeEvent] = []
        pending_upserts: list[PendingPrice] = []
        pending_delete: list[int] = []
        touched_offers: set[int] = set()

        # Fast path for the usual sweep: one undated quote whose fingerprint matches the open
        # period is "seen again" and needs nothing else; only the rest go through the full logic.
        hashes: dict[tuple, str] = {}
        states = {id(quote): _state(quote) for group in keyed.values() for quote in group}
        need_full: list[int] = []
        done: set[tuple[int, int, str]] = set()
        for key, group in keyed.items():
            offer_id = offer_ids[key]
            row = open_periods.get(offer_id)
            if row is None:
                continue
            for quote in group:
                state = states[id(quote)]
                digest = hashes.get(state)
                if digest is None:
                    digest = hashes[state] = state_hash(state)
                if digest != row[3] or quote.valid_from is not None:
                    need_full.append(row[0])
                    break
            else:
                if len(group) == 1:
                    done.add(key)
                    unchanged.append(row[0])
                    if row[2]:
                        reset_missed.append(row[0])
                    if offer_id in pending:
                        pending_delete.append(pending[offer_id].id)
        full: dict[int, tuple] = {}
        for batch in _chunks(need_full):
            for row in PricePeriod.objects.filter(pk__in=batch).values_list("id", "valid_from", *PRICE_FIELDS, "price_kind"):
                full[row[0]] = (row[1], tuple(row[2:]))

        known: set[tuple[int, datetime]] = set()
        dated = [offer_ids[k] for k, g in keyed.items() if g[0].valid_from is not None]
        for batch in _chunks(dated):
            known.update(
                PricePeriod.objects.filter(source=source, offer_id__in=batch).values_list("offer_id", "valid_from")
            )

        def open_new(offer_id: int, quote: Quote, valid_from: datetime) -> PricePeriod:
            period = PricePeriod(
                offer_id=offer_id,
                source=source,
                valid_from=valid_from,
                first_seen=at,
                last_seen=at,
                run=run,
                payload_id=payload_ids.get(id(quote), default_payload),
                provider_model_id=quote.provider_model_id[:300],
                price_kind=quote.price_kind.value,
                extra=quote.extra or {},
                state_hash=hashes.get(states[id(quote)]) or state_hash(states[id(quote)]),
                **{name: getattr(quote, name) for name in PRICE_FIELDS},
            )
            new_periods.append(period)
            touched_offers.add(offer_id)
            return period

        for key, group in keyed.items():
            offer_id = offer_ids[key]
            # The open period as (id, from, n_missed, state); id None while it is new in this run.
            row = open_periods.get(offer_id)
            # current: [period id (None while new in this run), valid_from, n_missed, state, new period, hash]
            current: list | None = None
            if row is not None:
                valid_from_old, old_state = full.get(row[0], (None, None))
                current = [row[0], valid_from_old, row[2], old_state, None, row[3]]
            for quote in group:
                state = states[id(quote)]
                valid_from = quote.valid_from or at
                if current is None:
                    period = open_new(offer_id, quote, valid_from)
                    current = [None, valid_from, 0, state, period, None]
                    if offer_id in created and not known:
                        stats.new += 1
                        if has_baseline:  # a source's first sweep is its baseline, not news
                            events.append(ChangeEvent(kind=ChangeEvent.Kind.NEW_OFFER, offer_id=offer_id,
                                                      source=source, at=valid_from, new=_state_json(state), run=run,
                                                      notify=notify, period=period))
                    continue
                if (current[5] is not None and hashes.get(state, "") == current[5]) or (
                    current[3] is not None and _states_equal(current[3], state)
                ):
                    if current[0] is not None:
                        unchanged.append(current[0])
                        if current[2]:
                            reset_missed.append(current[0])
                    if offer_id in pending and quote.valid_from is None:
                        pending_delete.append(pending[offer_id].id)
                    continue
                if valid_from <= current[1]:
                    if (offer_id, valid_from) not in known:
                        rejections.append(
                            QuoteRejection(run=run, provider_model_id=quote.provider_model_id[:300],
                                           provider=quote.provider,
                                           reason=f"dated {valid_from.isoformat()}, not after the current period's start")
                        )
                    if current[0] is not None:
                        unchanged.append(current[0])
                    continue
                if quote.valid_from is None and _jumped(current[3], state, factor):
                    held = pending.get(offer_id)
                    if held is None or not _states_equal(held.price_tuple(), state):
                        if held is not None:
                            pending_delete.append(held.id)
                        pending_upserts.append(
                            PendingPrice(offer_id=offer_id, source=source, first_seen=valid_from, last_seen=at,
                                         run=run, payload_id=payload_ids.get(id(quote), default_payload),
                                         price_kind=quote.price_kind.value,
                                         extra=quote.extra or {}, **{name: getattr(quote, name) for name in PRICE_FIELDS})
                        )
                        stats.pending += 1
                        if current[0] is not None:
                            unchanged.append(current[0])
                        continue
                    # Confirmed by a second run: the change dates from when it was first seen.
                    pending_delete.append(held.id)
                    valid_from = held.first_seen
                elif offer_id in pending:
                    pending_delete.append(pending[offer_id].id)
                if current[0] is not None:
                    to_close.append((current[0], valid_from))
                else:
                    current[4].valid_to = valid_from
                old_state = current[3]
                period = open_new(offer_id, quote, valid_from)
                current = [None, valid_from, 0, state, period, None]
                stats.changed += 1
                events.append(ChangeEvent(kind=ChangeEvent.Kind.PRICE, offer_id=offer_id, source=source, at=valid_from,
                                          old=_state_json(old_state), new=_state_json(state), run=run, notify=notify,
                                          period=period))

        removed: list[tuple[int, int]] = []
        missed: list[int] = []
        if result.complete and run.status != CollectionRun.Status.PARTIAL:
            seen_offers = {offer_ids[k] for k in keyed}
            limit = settings.INGEST_REMOVE_AFTER_RUNS
            for offer_id, row in open_periods.items():
                if offer_id in seen_offers:
                    continue
                if row[2] + 1 >= limit:
                    removed.append((row[0], offer_id))
                else:
                    missed.append(row[0])

        # Writes. Closing before opening keeps "one open period per offer and source" true at
        # every statement, which PostgreSQL checks per statement.
        closing: dict[datetime, list[int]] = {}
        for period_id, valid_to in to_close:
            closing.setdefault(valid_to, []).append(period_id)
        for valid_to, period_ids in closing.items():  # a sweep's changes share one instant
            for batch in _chunks(period_ids):
                PricePeriod.objects.filter(pk__in=batch).update(valid_to=valid_to)
        for period_id, offer_id in removed:
            PricePeriod.objects.filter(pk=period_id).update(valid_to=at, n_missed=F("n_missed") + 1)
            events.append(ChangeEvent(kind=ChangeEvent.Kind.REMOVED, offer_id=offer_id, source=source, at=at, run=run,
                                      notify=notify))
            touched_offers.add(offer_id)
        stats.removed = len(removed)
        if missed:
            for batch in _chunks(missed):
                PricePeriod.objects.filter(pk__in=batch).update(n_missed=F("n_missed") + 1)
        if reset_missed:
            for batch in _chunks(reset_missed):
                PricePeriod.objects.filter(pk__in=batch).update(n_missed=0)
        _touch_last_seen(source, unchanged, open_periods, at)
        if pending_delete:
            PendingPrice.objects.filter(pk__in=pending_delete).delete()
        if pending_upserts:
            PendingPrice.objects.bulk_create(pending_upserts)
        PricePeriod.objects.bulk_create(new_periods, batch_size=500)
        _attributes(keyed, offer_ids, known_attrs, source, at, run, notify, events)
        ChangeEvent.objects.bulk_create(events, batch_size=500)
        QuoteRejection.objects.bulk_create(rejections, batch_size=500)
        stats.rejected = len(rejections)
        _refresh_current(touched_offers)
        stats.samples = _samples(result.samples, matcher, provider_ids, offer_ids, source, run, at)
        if stats.changed or stats.new or stats.removed or new_periods or events:
            newsworthy = any(event.notify for event in events)
            transaction.on_commit(lambda: _after_change(dispatch=newsworthy))
    return stats


def _touch_last_seen(source: Source, unchanged: list[int], open_periods: dict, at: datetime) -> None:
    if not unchanged:
        return
    # The usual sweep changes almost nothing: one UPDATE over the source's open periods,
    # minus the few that changed or went missing, beats thousands of id lists.
    others = [row[0] for row in open_periods.values()]
    if len(unchanged) > 0.9 * len(others):
        unchanged_set = set(unchanged)
        excluded = [pid for pid in others if pid not in unchanged_set]
        query = PricePeriod.objects.filter(source=source, valid_to__isnull=True)
        if len(excluded) <= CHUNK:
            query.exclude(pk__in=excluded).update(last_seen=at)
            return
    for batch in _chunks(unchanged):
        PricePeriod.objects.filter(pk__in=batch).update(last_seen=at)


def _attributes(keyed: dict, offer_ids: dict, known_attrs: dict, source: Source, at: datetime, run: CollectionRun,
                notify: bool, events: list[ChangeEvent]) -> None:
    """Quantization, context and status are history too: a change is an event, price or not."""
    for key, group in keyed.items():
        offer_id = offer_ids[key]
        values = known_attrs.get(offer_id)
        if values is None:
            continue  # created in this run with the quote's attributes
        if (values[-1] or source.id) != source.id:
            continue  # the offer's attributes follow its most trusted source
        quote = group[-1]
        changes = {}
        for name, old in zip(ATTRIBUTES, values, strict=False):
            new = getattr(quote, name)
            if new in (None, "") or new == old:
                continue
            if old not in (None, ""):
                events.append(ChangeEvent(kind=ChangeEvent.Kind.ATTRIBUTE, offer_id=offer_id, source=source, at=at,
                                          field=name, old={name: old}, new={name: new}, run=run, notify=notify))
            changes[name] = new
        if changes:
            Offer.objects.filter(pk=offer_id).update(**changes)


def _refresh_current(offer_ids: set[int]) -> None:
    """Point each touched offer at the open period of its most trusted source (one UPDATE with a
    correlated subquery per chunk: Django's bulk_update builds a CASE per row and is far slower)."""
    if not offer_ids:
        return
    best = (
        PricePeriod.objects.filter(offer=OuterRef("pk"), valid_to__isnull=True)
        .order_by("-source__weight", "-last_seen", "-id")
        .values("id")[:1]
    )
    now = timezone.now()
    for batch in _chunks(sorted(offer_ids)):
        Offer.objects.filter(pk__in=batch).update(current_period=Subquery(best))
        Offer.objects.filter(pk__in=batch, current_period__isnull=False, gone_at__isnull=False).update(gone_at=None)
        Offer.objects.filter(pk__in=batch, current_period__isnull=True, gone_at__isnull=True).update(gone_at=now)


def _samples(samples: list[PerfQuote], matcher: Matcher, provider_ids: dict, offer_ids: dict, source: Source,
             run: CollectionRun, at: datetime) -> int:
    rows: list[PerfSample] = []
    for sample in samples:
        model_id = matcher.match(sample.provider_model_id, sample.canonical_hint, sample.hf_id)
        provider_id = provider_ids.get(sample.provider)
        if model_id is None or provider_id is None:
            continue
        offer_id = offer_ids.get((provider_id, model_id, sample.variant))
        if offer_id is None:
            continue
        uptime = sample.uptime_1d
        rows.append(
            PerfSample(
                offer_id=offer_id, source=source, observed_at=at, window=sample.window[:16],
                kind=PerfSample.Kind.PROBE if sample.window == "probe" else PerfSample.Kind.PASSIVE,
                ttft_p50_ms=sample.ttft_p50_ms, ttft_p75_ms=sample.ttft_p75_ms, ttft_p90_ms=sample.ttft_p90_ms,
                ttft_p99_ms=sample.ttft_p99_ms, tps_p50=sample.tps_p50, tps_p75=sample.tps_p75,
                tps_p90=sample.tps_p90, tps_p99=sample.tps_p99, uptime_5m=sample.uptime_5m,
                uptime_30m=sample.uptime_30m, uptime_1d=uptime if uptime is None or 0 <= uptime <= 100 else None,
                n_requests=sample.n_requests, run=run, extra=sample.extra or {},
            )
        )
    if rows:
        PerfSample.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def _after_change(*, dispatch: bool) -> None:
    bump_generation()
    if not dispatch:
        return  # history loads and baselines alert nobody
    try:
        from pricing.collection.tasks import dispatch_alerts
    except ImportError:  # pragma: no cover - alerts not installed
        return
    try:
        dispatch_alerts.delay()
    except Exception:  # a broker hiccup must not undo committed prices; the beat sweeps later
        log.warning("could not queue alert dispatch; the periodic dispatcher will pick it up", exc_info=True)


def price_at(offer: Offer, when: datetime, source: Source | None = None) -> PricePeriod | None:
    """The price of an offer at any instant (from its most trusted source, unless one is named)."""
    query = PricePeriod.objects.filter(offer=offer, valid_from__lte=when).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=when)
    )
    if source is not None:
        query = query.filter(source=source)
    return query.select_related("source").order_by("-source__weight", "-valid_from").first()
