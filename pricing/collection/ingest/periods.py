"""Step 3 of ingestion: what each offer's quotes do to its open price period.

For each offer the run quoted, in date order: the same price is "seen again" (``last_seen``
moves); a dated quote not after the open period's start is old news; a jump of the jump factor or
more either way is held as pending until the next run confirms it; any other change closes the
open period and opens the next, with a change event. Offers a complete listing left out count a
miss, and are removed after several. Nothing is written here: the decisions go into a
:class:`Plan` that ``writes.apply`` carries out.

The usual sweep changes almost nothing: ``unchanged`` reads the open periods as small rows
(:class:`OpenPeriod`, with a fingerprint of the price) and settles the quotes that restate them
before any other step; here, :func:`settle_unchanged` catches the few more the guards' rounding
made equal. Only the rest have their full price state read and go through :func:`decide`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from pricing.collection.ingest import scope
from pricing.collection.ingest.catalog import KnownAttributes, OfferKey, chunks
from pricing.collection.ingest.guards import rejection
from pricing.models import ChangeEvent, CollectionRun, PendingPrice, PricePeriod, QuoteRejection, Source
from pricing.models.history import PRICE_FIELDS, state_hash
from pricing.money import plain
from providers.base import Quote

# A price state: the PRICE_FIELDS values (Decimal or None), then the price kind.
State = tuple


def state_of(quote: Quote) -> State:
    # ``_value_`` rather than ``.value``: the enum property costs a Python call per quote.
    return (quote.input, quote.output, quote.cached_input, quote.cache_write, quote.reasoning, quote.per_request,
            quote.price_kind._value_)


def state_json(state: State) -> dict:
    out = {name: plain(value) for name, value in zip(PRICE_FIELDS, state, strict=False)}
    out["price_kind"] = state[len(PRICE_FIELDS)]
    return out


def states_equal(a: State, b: State) -> bool:
    # Decimal("0.50") == Decimal("0.5"); the database normalises scale, so compare by value.
    return all(x == y for x, y in zip(a, b, strict=True))


def jumped(old: State, new: State, factor: Decimal) -> bool:
    """A component moved by ``factor`` or more either way (free <-> priced is not a jump)."""
    for before, after in zip(old[: len(PRICE_FIELDS)], new[: len(PRICE_FIELDS)], strict=True):
        if before and after and (after >= before * factor or before >= after * factor):
            return True
    return False


class Fingerprints(dict):
    """state -> state_hash, computed once per distinct state (a sweep repeats few states)."""

    def of(self, state: State) -> str:
        digest = self.get(state)
        if digest is None:
            digest = self[state] = state_hash(state)
        return digest


class OpenPeriod(NamedTuple):
    """A source's open period of one offer, as read for a sweep (no Decimals or datetimes): its
    fingerprint, what a quote of it carries (provider slug, id, variant), and its offer."""

    id: int
    offer_id: int
    n_missed: int
    state_hash: str
    provider_id: int
    provider_model_id: str
    variant: str
    model_id: int
    quantization: str
    context_length: int | None
    status: str
    current_period_id: int | None

    def known_attributes(self) -> KnownAttributes:
        # The offer's current price is this open period (or it has none): its attributes follow us.
        return KnownAttributes(self.quantization, self.context_length, self.status,
                               self.current_period_id in (None, self.id))


class FullPeriod(NamedTuple):
    """The rest of an open period, read only for offers whose quote did not match it."""

    valid_from: datetime
    state: State


@dataclass(frozen=True)
class Current:
    """An offer's open period while the run goes through its quotes. ``period_id`` is None and
    ``opened`` set when the period was opened in this run."""

    period_id: int | None
    valid_from: datetime
    n_missed: int
    state: State
    state_hash: str | None = None
    opened: PricePeriod | None = None


@dataclass(frozen=True)
class Sweep:
    """What every decision of one run needs to know."""

    run: CollectionRun
    source: Source
    at: datetime
    notify: bool
    has_baseline: bool
    jump_factor: Decimal
    payload_ids: dict[int, int]  # id(quote) -> RawPayload id
    default_payload: int | None
    pending: dict[int, PendingPrice]  # offer id -> held jump
    created: frozenset[int]  # offers created in this run
    dated_known: frozenset[tuple[int, datetime]]  # (offer id, valid_from) of stored dated periods
    returning: frozenset[int] = frozenset()  # offers this source listed before, then stopped listing

    def payload_for(self, quote: Quote) -> int | None:
        return self.payload_ids.get(id(quote), self.default_payload)


@dataclass
class Plan:
    """Everything a run will write, decided before the first write."""

    unchanged: list[int] = field(default_factory=list)  # open periods seen again
    reset_missed: list[int] = field(default_factory=list)  # ... that had missed runs
    to_close: list[tuple[int, datetime]] = field(default_factory=list)  # (period id, valid_to)
    removed: list[OpenPeriod] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)
    new_periods: list[PricePeriod] = field(default_factory=list)
    events: list[ChangeEvent] = field(default_factory=list)
    pending_upserts: list[PendingPrice] = field(default_factory=list)
    pending_delete: list[int] = field(default_factory=list)
    touched_offers: set[int] = field(default_factory=set)
    rejections: list[QuoteRejection] = field(default_factory=list)
    changed: int = 0
    new: int = 0
    pending: int = 0

    def seen_again(self, period: OpenPeriod | Current) -> None:
        period_id = period.id if isinstance(period, OpenPeriod) else period.period_id
        if period_id is None:
            return
        self.unchanged.append(period_id)
        if period.n_missed:
            self.reset_missed.append(period_id)


def settle_unchanged(
    keyed: dict[OfferKey, list[Quote]], offer_ids: dict[OfferKey, int], open_periods: Mapping[int, OpenPeriod],
    pending: dict[int, PendingPrice], fingerprints: Fingerprints, plan: Plan,
) -> list[OfferKey]:
    """The fast path: an offer with one undated quote whose fingerprint matches its open period is
    seen again and needs nothing else. Returns the keys left for :func:`decide`."""
    rest: list[OfferKey] = []
    unchanged, reset_missed = plan.unchanged, plan.reset_missed
    known = fingerprints.get
    for key, group in keyed.items():
        period = open_periods.get(offer_ids[key])
        if period is None or len(group) > 1:
            rest.append(key)
            continue
        quote = group[0]
        state = (quote.input, quote.output, quote.cached_input, quote.cache_write, quote.reasoning,
                 quote.per_request, quote.price_kind._value_)  # state_of(quote), inlined: this loop is hot
        if quote.valid_from is not None or (known(state) or fingerprints.of(state)) != period.state_hash:
            rest.append(key)
            continue
        unchanged.append(period.id)
        if period.n_missed:
            reset_missed.append(period.id)
        if pending and period.offer_id in pending:  # the price went back before the jump was confirmed
            plan.pending_delete.append(pending[period.offer_id].id)
    return rest


def read_full(period_ids: list[int]) -> dict[int, FullPeriod]:
    full: dict[int, FullPeriod] = {}
    for batch in chunks(period_ids):
        for row in PricePeriod.objects.filter(pk__in=batch).values_list("id", "valid_from", *PRICE_FIELDS, "price_kind"):
            full[row[0]] = FullPeriod(row[1], tuple(row[2:]))
    return full


def read_dated(source: Source, offer_ids: list[int]) -> frozenset[tuple[int, datetime]]:
    """(offer id, valid_from) of this source's periods for offers quoted with dates."""
    known: set[tuple[int, datetime]] = set()
    for batch in chunks(offer_ids):
        known.update(PricePeriod.objects.filter(source=source, offer_id__in=batch).values_list("offer_id", "valid_from"))
    return frozenset(known)


def open_period(sweep: Sweep, plan: Plan, offer_id: int, quote: Quote, state: State, digest: str,
                valid_from: datetime) -> PricePeriod:
    period = PricePeriod(
        offer_id=offer_id,
        source=sweep.source,
        valid_from=valid_from,
        first_seen=sweep.at,
        last_seen=sweep.at,
        run=sweep.run,
        payload_id=sweep.payload_for(quote),
        provider_model_id=quote.provider_model_id[:300],
        price_kind=quote.price_kind.value,
        extra=quote.extra or {},
        state_hash=digest,
        **{name: getattr(quote, name) for name in PRICE_FIELDS},
    )
    plan.new_periods.append(period)
    plan.touched_offers.add(offer_id)
    return period


def hold(sweep: Sweep, plan: Plan, offer_id: int, quote: Quote, state: State, valid_from: datetime) -> datetime | None:
    """A jump: hold it as pending (returns None), or, if the previous run held the same price,
    it is confirmed and the change dates from when it was first seen (returns that instant)."""
    held = sweep.pending.get(offer_id)
    if held is not None and states_equal(held.price_tuple(), state):
        plan.pending_delete.append(held.id)
        return held.first_seen
    if held is not None:
        plan.pending_delete.append(held.id)
    plan.pending_upserts.append(
        PendingPrice(offer_id=offer_id, source=sweep.source, first_seen=valid_from, last_seen=sweep.at,
                     run=sweep.run, payload_id=sweep.payload_for(quote), price_kind=quote.price_kind.value,
                     extra=quote.extra or {}, **{name: getattr(quote, name) for name in PRICE_FIELDS})
    )
    plan.pending += 1
    return None


def decide(sweep: Sweep, plan: Plan, offer_id: int, group: list[Quote], current: Current | None,
           fingerprints: Fingerprints) -> None:
    """Apply one offer's quotes (in date order) to its open period ``current`` (None: it has none)."""
    source, run = sweep.source, sweep.run
    for quote in group:
        state = state_of(quote)
        digest = fingerprints.of(state)
        valid_from = quote.valid_from or sweep.at
        if current is None:
            period = open_period(sweep, plan, offer_id, quote, state, digest, valid_from)
            current = Current(None, valid_from, 0, state, opened=period)
            # Kept as it always was: a run that re-states any stored dated price counts no offer new.
            if offer_id in sweep.created and not sweep.dated_known:
                plan.new += 1
                if sweep.has_baseline:  # a source's first sweep is its baseline, not news
                    plan.events.append(ChangeEvent(kind=ChangeEvent.Kind.NEW_OFFER, offer_id=offer_id, source=source,
                                                   at=valid_from, new=state_json(state), run=run,
                                                   notify=sweep.notify, period=period))
            elif offer_id in sweep.returning:
                plan.events.append(ChangeEvent(kind=ChangeEvent.Kind.RETURNED, offer_id=offer_id, source=source,
                                               at=valid_from, new=state_json(state), run=run, notify=sweep.notify,
                                               period=period))
            continue
        if digest == current.state_hash or states_equal(current.state, state):
            plan.seen_again(current)
            if offer_id in sweep.pending and quote.valid_from is None:
                plan.pending_delete.append(sweep.pending[offer_id].id)
            continue
        if valid_from <= current.valid_from:
            if (offer_id, valid_from) not in sweep.dated_known:
                plan.rejections.append(rejection(
                    run, quote, f"dated {valid_from.isoformat()}, not after the current period's start"))
            if current.period_id is not None:
                plan.unchanged.append(current.period_id)
            continue
        if quote.valid_from is None and jumped(current.state, state, sweep.jump_factor):
            confirmed_from = hold(sweep, plan, offer_id, quote, state, valid_from)
            if confirmed_from is None:
                if current.period_id is not None:
                    plan.unchanged.append(current.period_id)
                continue
            valid_from = confirmed_from
        elif offer_id in sweep.pending:
            plan.pending_delete.append(sweep.pending[offer_id].id)
        if current.period_id is not None:
            plan.to_close.append((current.period_id, valid_from))
        elif current.opened is not None:
            current.opened.valid_to = valid_from
        period = open_period(sweep, plan, offer_id, quote, state, digest, valid_from)
        plan.changed += 1
        plan.events.append(ChangeEvent(kind=ChangeEvent.Kind.PRICE, offer_id=offer_id, source=source, at=valid_from,
                                       old=state_json(current.state), new=state_json(state), run=run,
                                       notify=sweep.notify, period=period))
        current = Current(None, valid_from, 0, state, opened=period)


def count_missing(plan: Plan, left_out: list[OpenPeriod], last_seen: dict[int, datetime], at: datetime, *,
                  after_runs: int, after_days: int) -> None:
    """After a complete listing: each open period in its scope that it left out misses a run; it
    is removed by the rule in ``scope.gone``. A listing from before the offer's last sighting
    (an older archive replayed) says nothing about it."""
    for period in left_out:
        last = last_seen.get(period.id)
        if last is None or last >= at:
            continue
        if scope.gone(period.n_missed + 1, last, at, after_runs=after_runs, after_days=after_days):
            plan.removed.append(period)
        else:
            plan.missed.append(period.id)
