"""Offers as shown: the price state of each (from its most trusted source still listing it), its
attributes, speed, whether it is current or stale, and the reference price of a model.

"Current": the latest listing of the offer's source in scope (that source's listing of the model)
still has it. An offer that later listings left out, or that the write path ended, is shown only
when asked (``ended=True``), marked and dated. "Stale": its source's last fresh run is older than
the staleness limit; still used, shown greyed with its date.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from pricing.models import Model, Offer, PerfSample, PricePeriod
from pricing.models.querysets import scope_key, stale_since, still_listed, trust_key
from pricing.queries.base import DEFAULT_MIX, QueryError, blended
from pricing.queries.cost import Workload


@dataclass
class OfferRow:
    """One offer as shown: its price state (from the most trusted source), attributes and speed."""

    offer_id: int
    provider_slug: str
    provider_name: str
    provider_kind: str
    model_slug: str
    model_name: str
    variant: str
    quantization: str
    context_length: int | None
    status: str
    input: Decimal | None
    output: Decimal | None
    cached_input: Decimal | None
    cache_write: Decimal | None
    price_kind: str
    source_slug: str
    source_kind: str
    first_seen: datetime | None
    last_seen: datetime | None
    valid_from: datetime | None
    ttft_ms: Decimal | None = None
    tps: Decimal | None = None
    uptime: Decimal | None = None
    perf_source: str = ""
    perf_kind: str = ""
    perf_at: datetime | None = None
    mix: tuple[int, int] = DEFAULT_MIX
    extra: dict = field(default_factory=dict)
    # Other sources' current prices for the same offer where they disagree (see disagreements()).
    others: list[dict] = field(default_factory=list)
    # Still in its source's latest listing in scope; when not, since when it is not (ended_at).
    current: bool = True
    ended_at: datetime | None = None
    # Its source's last fresh run is older than the source's staleness limit.
    stale: bool = False
    workload: Workload | None = None

    @property
    def blended(self) -> Decimal | None:
        return blended(self.input, self.output, self.mix)

    @property
    def is_priced(self) -> bool:
        return self.input is not None and self.output is not None

    @property
    def is_host(self) -> bool:
        """A host, or a lab selling its own model; not an aggregator reselling hosts."""
        return self.provider_kind != "aggregator"

    @property
    def monthly_cost(self) -> Decimal | None:
        if self.workload is None:
            return None
        return self.workload.cost(self.input, self.output, self.cached_input)


def _row(offer: Offer, period, mix: tuple[int, int], **marks) -> OfferRow:
    return OfferRow(
        offer_id=offer.id,
        provider_slug=offer.provider.slug,
        provider_name=offer.provider.name,
        provider_kind=offer.provider.kind,
        model_slug=offer.model.slug,
        model_name=offer.model.name,
        variant=offer.variant,
        quantization=offer.quantization,
        context_length=offer.context_length,
        status=offer.status,
        input=period.input if period else None,
        output=period.output if period else None,
        cached_input=period.cached_input if period else None,
        cache_write=period.cache_write if period else None,
        price_kind=period.price_kind if period else "unknown",
        source_slug=period.source.slug if period else "",
        source_kind=period.source.kind if period else "",
        first_seen=period.first_seen if period else None,
        last_seen=period.last_seen if period else None,
        valid_from=period.valid_from if period else None,
        mix=mix,
        extra=period.extra if period else {},
        **marks,
    )


def _attach_perf(rows: list[OfferRow], as_of: datetime | None = None) -> None:
    """The newest performance sample of each offer (two queries for any number of offers)."""
    if not rows:
        return
    samples = PerfSample.objects.filter(offer=OuterRef("pk"))
    if as_of is not None:
        samples = samples.filter(observed_at__lte=as_of)
    latest = (
        Offer.objects.filter(pk__in=[r.offer_id for r in rows])
        .annotate(perf_id=Subquery(samples.order_by("-observed_at", "-id").values("id")[:1]))
        .values_list("id", "perf_id")
    )
    perf_ids = {offer_id: perf_id for offer_id, perf_id in latest if perf_id}
    by_id = {
        s.id: s
        for s in PerfSample.objects.filter(pk__in=list(perf_ids.values())).select_related("source").only(
            "id", "ttft_p50_ms", "tps_p50", "uptime_1d", "uptime_30m", "observed_at", "kind", "source__slug"
        )
    }
    for row in rows:
        sample = by_id.get(perf_ids.get(row.offer_id))
        if sample is None:
            continue
        row.ttft_ms = sample.ttft_p50_ms
        row.tps = sample.tps_p50
        row.uptime = sample.uptime_1d if sample.uptime_1d is not None else sample.uptime_30m
        row.perf_source = sample.source.slug
        row.perf_kind = sample.kind
        row.perf_at = sample.observed_at


def _scope(period) -> tuple:
    return scope_key(period.source_id, period.source.kind, period.offer.model_id, period.offer.provider_id,
                     period.offer.provider.kind)


def _trust(period) -> tuple:
    return trust_key(period.source.weight, period.last_seen, period.valid_from, period.id)


def choose_periods(periods: list, scope_seen: dict, when: datetime | None = None, *, scope=_scope,
                   trust=_trust) -> dict[int, tuple]:
    """offer id -> (period shown, current, ended_at): the most trusted period still listed, or
    when none is, the most trusted one with the instant its listing left it out. ``scope`` and
    ``trust`` read a period's listing and trust key (periods may be rows or lean tuples)."""
    by_offer: dict[int, list] = {}
    for period in periods:
        by_offer.setdefault(period.offer_id, []).append(period)
    out = {}
    for offer_id, candidates in by_offer.items():
        listed = [p for p in candidates
                  if p.valid_to is not None or still_listed(p.last_seen, scope_seen.get(scope(p)), when)]
        chosen = max(listed or candidates, key=trust)
        out[offer_id] = (chosen, bool(listed), None if listed else scope_seen.get(scope(chosen)))
    return out


def latest_in_scope(periods: list, scope=_scope) -> dict:
    """Listing -> the latest time it was seen, over open periods already fetched (exact when
    they are every open period of their models)."""
    seen: dict = {}
    for p in periods:
        key = scope(p)
        seen[key] = max(p.last_seen, seen.get(key, p.last_seen))
    return seen


def _ended_offers(model_ids: list[int], provider: str | None, mix: tuple[int, int]) -> list[OfferRow]:
    """Offers the write path ended, each at its last price (the period that ended last)."""
    periods = (
        PricePeriod.objects.filter(offer__model_id__in=model_ids, offer__gone_at__isnull=False)
        .select_related("source", "offer__provider", "offer__model")
    )
    if provider:
        periods = periods.filter(offer__provider__slug=provider)
    last: dict[int, PricePeriod] = {}
    for p in periods:
        held = last.get(p.offer_id)
        if held is None or (p.valid_to, _trust(p)) > (held.valid_to, _trust(held)):
            last[p.offer_id] = p
    return [_row(p.offer, p, mix, current=False, ended_at=p.offer.gone_at or p.valid_to) for p in last.values()]


def offers_for_model(
    model: Model, *, as_of: datetime | None = None, mix: tuple[int, int] = DEFAULT_MIX, perf: bool = True,
    ended: bool = False, workload: Workload | None = None,
) -> list[OfferRow]:
    """The offers of a model now (or as they stood at ``as_of``), cheapest blended first."""
    return offers_for_models([model], as_of=as_of, mix=mix, perf=perf, ended=ended, workload=workload).get(model.id, [])


def offers_for_models(
    models: list[Model], *, as_of: datetime | None = None, mix: tuple[int, int] = DEFAULT_MIX, perf: bool = True,
    provider: str | None = None, ended: bool = False, workload: Workload | None = None,
) -> dict[int, list[OfferRow]]:
    """Per model, its current offers (and with ``ended``, the ones no longer listed, marked),
    current first, then cheapest blended (or cheapest monthly cost when a workload is given).
    Three queries now (periods with their source's freshness, and perf), one more with
    ``ended`` or ``provider``."""
    model_ids = [m.id for m in models]
    periods = PricePeriod.objects.filter(offer__model_id__in=model_ids)
    if as_of is None:
        # Offers the write path holds open; whether they are still listed is decided below.
        periods = periods.open().filter(offer__gone_at__isnull=True, offer__current_period__isnull=False)
    else:
        periods = periods.at(as_of)
    if provider:
        periods = periods.filter(offer__provider__slug=provider)
    if as_of is None:
        periods = periods.with_freshness()
    fetched = list(periods.select_related("source", "offer__provider", "offer__model"))
    if provider is None and as_of is None:
        scope_seen = latest_in_scope(fetched)  # every open period of these models: exact
    else:
        scope_seen = PricePeriod.objects.scope_seen(model_ids)
    now = timezone.now()
    rows = []
    for period, current, ended_at in choose_periods(fetched, scope_seen, as_of).values():
        if current or ended:
            rows.append(_row(period.offer, period, mix, current=current, ended_at=ended_at,
                             stale=as_of is None and stale_since(period.source.slug, period.source_last_fresh, now),
                             workload=workload))
    if ended and as_of is None:
        for row in _ended_offers(model_ids, provider, mix):
            row.workload = workload
            rows.append(row)
    if perf:
        _attach_perf(rows, as_of)
    grouped: dict[int, list[OfferRow]] = {mid: [] for mid in model_ids}
    by_slug = {m.slug: m.id for m in models}
    for row in rows:
        grouped[by_slug[row.model_slug]].append(row)
    for group in grouped.values():
        group.sort(key=lambda r: _order(r, workload is not None))
    return grouped


def _order(row: OfferRow, by_cost: bool) -> tuple:
    price = row.monthly_cost if by_cost else row.blended
    return (not row.current, price is None, price or 0, row.provider_slug, row.variant)


def disagreements(rows: list[OfferRow]) -> None:
    """Attach to each row the other sources' open prices that differ from the one shown (one
    query): a curated table that disagrees with the host's own API stays visible, not hidden."""
    if not rows:
        return
    by_offer = {r.offer_id: r for r in rows}
    periods = PricePeriod.objects.filter(offer_id__in=list(by_offer)).open().values_list(
        "offer_id", "source__slug", "input", "output", "price_kind", "last_seen"
    )
    for offer_id, source_slug, input, output, kind, last_seen in periods:
        row = by_offer[offer_id]
        if source_slug == row.source_slug:
            continue
        if (input, output, kind) != (row.input, row.output, row.price_kind):
            row.others.append({"source": source_slug, "input": input, "output": output, "price_kind": kind,
                               "last_seen": last_seen})


BASES = ("cheapest", "median", "first-party")


@dataclass
class Reference:
    """The price that stands for a model in a comparison, and where it came from."""

    model_slug: str
    basis: str
    input: Decimal | None
    output: Decimal | None
    cached_input: Decimal | None
    provider_slug: str = ""
    offer_id: int | None = None
    source_slug: str = ""
    n_offers: int = 0
    mix: tuple[int, int] = DEFAULT_MIX
    last_seen: datetime | None = None
    stale: bool = False

    @property
    def blended(self) -> Decimal | None:
        return blended(self.input, self.output, self.mix)


def check_basis(basis: str) -> str:
    if basis in BASES or (basis.startswith("provider:") and len(basis) > len("provider:")):
        return basis
    raise QueryError(f"basis must be one of cheapest, median, first-party or provider:<slug>, not {basis[:40]!r}")


def comparable(rows: list[OfferRow], *, hosts_only: bool = True) -> list[OfferRow]:
    """The offers a figure is made of: current, paid at a fixed price, and hosts unless asked
    otherwise. Free variants and variable router prices would make every ratio meaningless."""
    return [r for r in rows if r.current and r.is_priced and r.price_kind == "fixed" and (r.is_host or not hosts_only)]


def reference(
    model: Model, rows: list[OfferRow], basis: str, mix: tuple[int, int] = DEFAULT_MIX, *, hosts_only: bool = True,
) -> Reference:
    """Pick the reference price of a model among its current offers by the chosen basis (a
    provider named outright counts even when it is an aggregator)."""
    check_basis(basis)
    named = basis.split(":", 1)[1] if basis.startswith("provider:") else None
    priced = comparable(rows, hosts_only=hosts_only and named is None)
    empty = Reference(model.slug, basis, None, None, None, n_offers=len(priced), mix=mix)
    if not priced:
        return empty
    if basis == "median":
        return Reference(
            model.slug, basis,
            Decimal(str(statistics.median(r.input for r in priced))),
            Decimal(str(statistics.median(r.output for r in priced))),
            None, n_offers=len(priced), mix=mix, last_seen=min((r.last_seen for r in priced if r.last_seen), default=None),
            stale=any(r.stale for r in priced),
        )
    if basis == "cheapest":
        chosen = min(priced, key=lambda r: (blended(r.input, r.output, mix), r.provider_slug))
    else:
        if basis == "first-party":
            wanted = {model.first_party.slug} if model.first_party_id else {model.author_part}
            candidates = [r for r in priced if r.provider_slug in wanted]
        else:
            candidates = [r for r in priced if r.provider_slug == named]
        if not candidates:
            return empty
        # The default offer of a provider, then the dearer variants (batch or free are not list prices).
        chosen = sorted(candidates, key=lambda r: (r.variant != "", r.variant))[0]
    return Reference(
        model.slug, basis, chosen.input, chosen.output, chosen.cached_input, chosen.provider_slug, chosen.offer_id,
        chosen.source_slug, n_offers=len(priced), mix=mix, last_seen=chosen.last_seen, stale=chosen.stale,
    )
