"""Read side: what pages, the API and feeds show. They build no SQL of their own.

Core reads live here (current and point-in-time offers, reference prices, blends, freshness);
``pricing.queries.pages`` and ``pricing.queries.api`` hold reads only one of them needs.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import OuterRef, Q, Subquery

from pricing.models import CollectionRun, Model, Offer, PerfSample, PricePeriod, Source

DEFAULT_MIX = (3, 1)


class QueryError(ValueError):
    """A bad parameter from a user (an unknown basis, a malformed mix): a 400, never a 500."""


# ASCII digits only: str.isdigit() and \d also accept "²" or "٣", which int() then refuses or reads.
_MIX = re.compile(r"\s*([0-9]{1,7})\s*:\s*([0-9]{1,7})\s*", re.ASCII)
MAX_MIX = 1_000_000


def parse_mix(text: str | None) -> tuple[int, int]:
    """``"3:1"`` -> (3, 1): input tokens to output tokens."""
    if not text:
        return DEFAULT_MIX
    match = _MIX.fullmatch(text)
    if match is None:
        raise QueryError(f"mix must look like 3:1 (input:output tokens, digits 0-9), not {text[:20]!r}")
    a, b = int(match[1]), int(match[2])
    if a + b == 0 or a > MAX_MIX or b > MAX_MIX:
        raise QueryError(f"mix needs at least one non-zero side, each at most {MAX_MIX}")
    return a, b


# The largest id a database column holds (a signed 64-bit bigint): an id beyond it names nothing,
# and SQLite raises OverflowError rather than finding nothing.
MAX_ID = 2**63 - 1


def parse_id(value: object, name: str = "id") -> int:
    """A row id from a user: ASCII digits, 1 to MAX_ID."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        raise QueryError(f"{name} must be a whole number from 1 to {MAX_ID}, not {text[:24]!r}")
    return int(text)


# Every instant a user names lies in this range: beyond it a datetime only tests the database's
# range (SQLite cannot hold 9999-12-31T23:59:59-14:00 in UTC) and no price could be found anyway.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


def check_instant(value: datetime, name: str = "as_of") -> datetime:
    """An aware datetime in UTC within [EARLIEST, LATEST], or a QueryError naming the parameter."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise QueryError(f"{name} is out of range ({EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d})") from None
    if not EARLIEST <= value <= LATEST:
        raise QueryError(f"{name} is out of range ({EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d})")
    return value


def blended(input: Decimal | None, output: Decimal | None, mix: tuple[int, int] = DEFAULT_MIX) -> Decimal | None:
    """The price of a token in the given input:output mix, USD per million tokens."""
    if input is None or output is None:
        return None
    a, b = mix
    return ((input * a + output * b) / Decimal(a + b)).quantize(Decimal("0.000001"), ROUND_HALF_UP).normalize()


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

    @property
    def blended(self) -> Decimal | None:
        return blended(self.input, self.output, self.mix)

    @property
    def is_priced(self) -> bool:
        return self.input is not None and self.output is not None


def _row(offer: Offer, period: PricePeriod | None, mix: tuple[int, int]) -> OfferRow:
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


def offers_for_model(
    model: Model, *, as_of: datetime | None = None, mix: tuple[int, int] = DEFAULT_MIX, perf: bool = True
) -> list[OfferRow]:
    """The offers of a model now (or as they stood at ``as_of``), cheapest blended first."""
    return offers_for_models([model], as_of=as_of, mix=mix, perf=perf).get(model.id, [])


def offers_for_models(
    models: list[Model], *, as_of: datetime | None = None, mix: tuple[int, int] = DEFAULT_MIX, perf: bool = True,
    provider: str | None = None,
) -> dict[int, list[OfferRow]]:
    model_ids = [m.id for m in models]
    rows: list[OfferRow] = []
    if as_of is None:
        offers = (
            Offer.objects.filter(model_id__in=model_ids, gone_at__isnull=True, current_period__isnull=False)
            .select_related("provider", "model", "current_period__source")
        )
        if provider:
            offers = offers.filter(provider__slug=provider)
        rows = [_row(offer, offer.current_period, mix) for offer in offers]
    else:
        periods = (
            PricePeriod.objects.filter(offer__model_id__in=model_ids, valid_from__lte=as_of)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=as_of))
            .select_related("source", "offer__provider", "offer__model")
        )
        if provider:
            periods = periods.filter(offer__provider__slug=provider)
        best: dict[int, PricePeriod] = {}
        for period in periods:
            held = best.get(period.offer_id)
            if held is None or (period.source.weight, period.valid_from) > (held.source.weight, held.valid_from):
                best[period.offer_id] = period
        rows = [_row(period.offer, period, mix) for period in best.values()]
    if perf:
        _attach_perf(rows, as_of)
    grouped: dict[int, list[OfferRow]] = {mid: [] for mid in model_ids}
    by_slug = {m.slug: m.id for m in models}
    for row in rows:
        grouped[by_slug[row.model_slug]].append(row)
    for group in grouped.values():
        group.sort(key=lambda r: (r.blended is None, r.blended or 0, r.provider_slug, r.variant))
    return grouped


def disagreements(rows: list[OfferRow]) -> None:
    """Attach to each row the other sources' open prices that differ from the one shown (one
    query): a curated table that disagrees with the host's own API stays visible, not hidden."""
    if not rows:
        return
    by_offer = {r.offer_id: r for r in rows}
    periods = PricePeriod.objects.filter(offer_id__in=list(by_offer), valid_to__isnull=True).values_list(
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

    @property
    def blended(self) -> Decimal | None:
        return blended(self.input, self.output, self.mix)


def check_basis(basis: str) -> str:
    if basis in BASES or (basis.startswith("provider:") and len(basis) > len("provider:")):
        return basis
    raise QueryError(f"basis must be one of cheapest, median, first-party or provider:<slug>, not {basis[:40]!r}")


def reference(model: Model, rows: list[OfferRow], basis: str, mix: tuple[int, int] = DEFAULT_MIX) -> Reference:
    """Pick the reference price of a model among its offers by the chosen basis.

    Only paid token prices count: free variants and variable router prices would make every
    ratio infinite or meaningless.
    """
    check_basis(basis)
    priced = [r for r in rows if r.is_priced and r.price_kind == "fixed"]
    empty = Reference(model.slug, basis, None, None, None, n_offers=len(priced), mix=mix)
    if not priced:
        return empty
    if basis == "median":
        return Reference(
            model.slug, basis,
            Decimal(str(statistics.median(r.input for r in priced))),
            Decimal(str(statistics.median(r.output for r in priced))),
            None, n_offers=len(priced), mix=mix,
        )
    if basis == "cheapest":
        chosen = min(priced, key=lambda r: (blended(r.input, r.output, mix), r.provider_slug))
    else:
        if basis == "first-party":
            wanted = {model.first_party.slug} if model.first_party_id else {model.author_part}
            candidates = [r for r in priced if r.provider_slug in wanted]
        else:
            candidates = [r for r in priced if r.provider_slug == basis.split(":", 1)[1]]
        if not candidates:
            return empty
        # The default offer of a provider, then the dearer variants (batch or free are not list prices).
        chosen = sorted(candidates, key=lambda r: (r.variant != "", r.variant))[0]
    return Reference(
        model.slug, basis, chosen.input, chosen.output, chosen.cached_input, chosen.provider_slug, chosen.offer_id,
        chosen.source_slug, n_offers=len(priced), mix=mix,
    )


def source_freshness() -> list[dict]:
    """Per source: the last complete run, the last run of any kind, and failures since."""
    out = []
    for source in Source.objects.order_by("slug"):
        last_ok = (
            CollectionRun.objects.filter(source=source, status__in=["complete", "partial"])
            .order_by("-finished", "-slot").only("finished", "slot", "status").first()
        )
        last = CollectionRun.objects.filter(source=source).order_by("-created").only(
            "status", "finished", "created", "error"
        ).first()
        failed_since = CollectionRun.objects.filter(
            source=source, status__in=["failed", "refused"],
            **({"created__gt": last_ok.finished} if last_ok and last_ok.finished else {}),
        ).count()
        out.append({
            "source": source,
            "last_complete": (last_ok.finished or last_ok.slot) if last_ok else None,
            "last_run": last,
            "failed_since": failed_since,
        })
    return out
