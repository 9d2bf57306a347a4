"""Reads only the dashboard needs: home cards and spreads, chart series, timelines, search.

Every function here runs a fixed number of queries whatever the number of offers (the page tests
pin the counts); the rest is arithmetic in Python over rows already fetched.
"""

from __future__ import annotations

import heapq
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.db.models import Count, DateTimeField, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from pricing.models import (
    ChangeEvent,
    CollectionRun,
    Model,
    Offer,
    PerfRollup,
    PerfSample,
    PricePeriod,
    Provider,
    Source,
)
from pricing.queries import (
    DEFAULT_MIX,
    OfferRow,
    QueryError,
    Reference,
    _row,
    check_instant,
    offers_for_models,
    reference,
)
from pricing.ratios import ratio

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# The headline pairs: (model a, basis a, model b, basis b). Pairs whose models are not in the
# database are skipped, so a fresh install shows what it has.
HEADLINE_PAIRS: list[tuple[str, str, str, str]] = [
    ("openai/o1", "first-party", "deepseek/deepseek-r1", "first-party"),
    ("openai/gpt-4o", "first-party", "deepseek/deepseek-chat", "first-party"),
    ("anthropic/claude-3.5-sonnet", "first-party", "meta-llama/llama-3.3-70b-instruct", "cheapest"),
    ("meta-llama/llama-3.1-405b-instruct", "cheapest", "meta-llama/llama-3.1-70b-instruct", "cheapest"),
]


def parse_day(text: str | None, name: str = "as_of") -> date | None:
    """``2025-02-01`` (ASCII digits, within the instants a user may name) -> a date."""
    if not text:
        return None
    value = text.strip()
    try:
        if not value.isascii():
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{name} must be a date like 2025-02-01, not {text[:20]!r}") from None
    check_instant(datetime.combine(day, time.min, tzinfo=UTC), name)
    return day


def end_of_day(day: date) -> datetime:
    """Prices "on" a date are those standing at the end of that UTC day."""
    return datetime.combine(day, time.max, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Point-in-time rows built in memory from periods fetched once (ratio history, "latest known").


def periods_for_models(model_ids: list[int]) -> list[SimpleNamespace]:
    """Every price period of every offer of these models, the input of a sweep: three queries.

    A year of daily changes is thousands of periods; as plain tuples joined in Python to offers
    and sources fetched once, they load several times faster than model instances with three
    select_related joins each.
    """
    offers = {o.id: o for o in Offer.objects.filter(model_id__in=model_ids).select_related("provider", "model")}
    sources = {src.id: src for src in Source.objects.only("id", "slug", "kind", "weight")}
    # pricing_period_offer_from serves WHERE offer_id IN (…) ORDER BY valid_from.
    rows = (
        PricePeriod.objects.filter(offer_id__in=list(offers))
        .order_by("valid_from", "id")
        .values_list("id", "offer_id", "source_id", "input", "output", "cached_input", "cache_write", "price_kind",
                     "valid_from", "valid_to", "first_seen", "last_seen", "extra")
    )
    out = []
    for pid, offer_id, source_id, i, o, ci, cw, kind, vf, vt, fs, ls, extra in rows:
        out.append(SimpleNamespace(
            id=pid, offer_id=offer_id, offer=offers[offer_id], source_id=source_id, source=sources[source_id],
            input=i, output=o, cached_input=ci, cache_write=cw, price_kind=kind, valid_from=vf, valid_to=vt,
            first_seen=fs, last_seen=ls, extra=extra,
        ))
    return out


def _best(candidates: list) -> SimpleNamespace:
    # The same rule as offers_for_models(as_of=…): the most trusted source, then the newest period.
    return max(candidates, key=lambda p: (p.source.weight, p.valid_from))


def reference_sweep(
    models: list[Model], bases: list[str], periods: list, mix: tuple[int, int] = DEFAULT_MIX,
    since: datetime | None = None,
) -> list[tuple[datetime, list[Reference]]]:
    """References of each model at every instant a price started or ended (a sweep line)."""
    by_model = {m.id: m for m in models}
    model_of = {p.offer_id: p.offer.model_id for p in periods}
    times = sorted({p.valid_from for p in periods} | {p.valid_to for p in periods if p.valid_to})
    starts = sorted(periods, key=lambda p: (p.valid_from, p.id))
    ends: list[tuple] = []
    active: dict[int, dict[int, SimpleNamespace]] = {}
    out: list[tuple[datetime, list[Reference]]] = []
    rows_by_offer: dict[int, OfferRow] = {}
    i = 0
    for t in times:
        dirty: set[int] = set()
        while i < len(starts) and starts[i].valid_from <= t:
            p = starts[i]
            active.setdefault(p.offer_id, {})[p.id] = p
            dirty.add(p.offer_id)
            if p.valid_to is not None:
                heapq.heappush(ends, (p.valid_to, p.id, p))
            i += 1
        while ends and ends[0][0] <= t:
            _, pid, p = heapq.heappop(ends)
            active.get(p.offer_id, {}).pop(pid, None)
            dirty.add(p.offer_id)
        # Only offers whose periods started or ended now get a new row.
        for offer_id in dirty:
            held = active.get(offer_id)
            if held:
                best = _best(list(held.values()))
                rows_by_offer[offer_id] = _row(best.offer, best, mix)
            else:
                rows_by_offer.pop(offer_id, None)
        if since is not None and t < since:
            continue
        rows: dict[int, list[OfferRow]] = {mid: [] for mid in by_model}
        for offer_id, row in rows_by_offer.items():
            rows[model_of[offer_id]].append(row)
        out.append((t, [reference(m, rows[m.id], b, mix) for m, b in zip(models, bases, strict=True)]))
    return out


def latest_known_rows(periods: list, mix: tuple[int, int] = DEFAULT_MIX) -> dict[int, list[OfferRow]]:
    """Each offer at its last known price, open or closed: the fallback when nothing is current."""
    last: dict[int, PricePeriod] = {}
    for p in periods:
        held = last.get(p.offer_id)
        key = (p.valid_to is None, p.valid_to or p.valid_from, p.source.weight, p.valid_from)
        if held is None or key > (held.valid_to is None, held.valid_to or held.valid_from, held.source.weight,
                                  held.valid_from):
            last[p.offer_id] = p
    rows: dict[int, list[OfferRow]] = {}
    for p in last.values():
        rows.setdefault(p.offer.model_id, []).append(_row(p.offer, p, mix))
    return rows


# ---------------------------------------------------------------------------------------------
# Home


@dataclass
class HeadlineCard:
    a: Reference
    b: Reference
    a_name: str
    b_name: str
    input: Decimal | None
    output: Decimal | None
    blended: Decimal | None
    fallback: bool = False  # at least one side is its last known price, not a current one
    as_of_note: str = ""


def headline_cards(mix: tuple[int, int] = DEFAULT_MIX) -> list[HeadlineCard]:
    slugs = sorted({s for a, _, b, _ in HEADLINE_PAIRS for s in (a, b)})
    found = {m.slug: m for m in Model.objects.filter(slug__in=slugs).select_related("first_party")}
    pairs = [p for p in HEADLINE_PAIRS if p[0] in found and p[2] in found]
    if not pairs:
        return []
    models = [found[s] for s in slugs if s in found]
    rows = offers_for_models(models, mix=mix, perf=False)
    refs: dict[tuple[str, str], Reference] = {}
    wanted = {(a, ba) for a, ba, _, _ in pairs} | {(b, bb) for _, _, b, bb in pairs}
    for slug, basis in wanted:
        refs[(slug, basis)] = reference(found[slug], rows[found[slug].id], basis, mix)
    missing = [key for key, ref in refs.items() if ref.input is None]
    fallback: set[tuple[str, str]] = set()
    if missing:
        # One more query for every model lacking a current price: their whole history.
        old = latest_known_rows(periods_for_models(list({found[s].id for s, _ in missing})), mix)
        for slug, basis in missing:
            ref = reference(found[slug], old.get(found[slug].id, []), basis, mix)
            if ref.input is not None:
                refs[(slug, basis)] = ref
                fallback.add((slug, basis))
    cards = []
    for a, ba, b, bb in pairs:
        ra, rb = refs[(a, ba)], refs[(b, bb)]
        if ra.input is None or rb.input is None:
            continue
        cards.append(HeadlineCard(
            ra, rb, found[a].name, found[b].name, ratio(ra.input, rb.input), ratio(ra.output, rb.output),
            ratio(ra.blended, rb.blended), fallback=bool({(a, ba), (b, bb)} & fallback),
        ))
    return cards


@dataclass
class Spread:
    model: Model
    n_hosts: int
    cheapest: OfferRow | None
    median: Decimal | None
    dearest: OfferRow | None

    @property
    def factor(self) -> Decimal | None:
        if self.cheapest is None or self.dearest is None:
            return None
        return ratio(self.dearest.blended, self.cheapest.blended)


def popular_open_models(limit: int = 10, mix: tuple[int, int] = DEFAULT_MIX) -> list[Spread]:
    """The open models offered by the most hosts, with their blended price spread (two queries)."""
    models = list(
        Model.objects.filter(open_weights=True)
        .annotate(n_hosts=Count("offers__provider", distinct=True,
                                filter=Q(offers__gone_at__isnull=True, offers__current_period__isnull=False)))
        .filter(n_hosts__gt=0)
        .select_related("first_party")
        .order_by("-n_hosts", "slug")[:limit]
    )
    if not models:
        return []
    rows = offers_for_models(models, mix=mix, perf=False)
    out = []
    for model in models:
        priced = [r for r in rows[model.id] if r.is_priced and r.price_kind == "fixed"]
        priced.sort(key=lambda r: (r.blended, r.provider_slug))
        out.append(Spread(
            model, model.n_hosts, priced[0] if priced else None,
            Decimal(str(statistics.median(r.blended for r in priced))) if priced else None,
            priced[-1] if priced else None,
        ))
    return out


def recent_events(limit: int = 15):
    return list(
        ChangeEvent.objects.select_related("offer__provider", "offer__model", "source").order_by("-at", "-id")[:limit]
    )


def freshness(now: datetime | None = None) -> list[dict]:
    """Per source: last complete run, last run, failures since the last complete one; one query.

    ``pricing.queries.source_freshness`` asks three questions per source; the home page asks
    them all at once with correlated subqueries (served by pricing_run_source_status).
    """
    now = now or timezone.now()
    ok = CollectionRun.objects.filter(source=OuterRef("pk"), status__in=["complete", "partial"])
    last_ok_finished = ok.order_by("-slot").annotate(at=Coalesce("finished", "slot")).values("at")[:1]
    last = CollectionRun.objects.filter(source=OuterRef("pk")).order_by("-slot")
    last_ok_slot = (
        CollectionRun.objects.filter(source=OuterRef(OuterRef("pk")), status__in=["complete", "partial"])
        .order_by("-slot").values("slot")[:1]
    )
    failed = (
        CollectionRun.objects.filter(source=OuterRef("pk"), status__in=["failed", "refused"])
        .filter(slot__gt=Coalesce(Subquery(last_ok_slot), Value(EPOCH, output_field=DateTimeField())))
        .order_by().values("source").annotate(n=Count("id")).values("n")
    )
    sources = Source.objects.annotate(
        last_complete=Subquery(last_ok_finished),
        last_status=Subquery(last.values("status")[:1]),
        last_slot=Subquery(last.values("slot")[:1]),
        last_error=Subquery(last.values("error")[:1]),
        failed_since=Coalesce(Subquery(failed), 0),
    ).order_by("slug")
    out = []
    for s in sources:
        interval = settings.COLLECT_INTERVALS.get(s.slug) if hasattr(settings, "COLLECT_INTERVALS") else None
        # Stale: no complete run within three intervals (a day for curated sources without a schedule).
        allowed = timedelta(minutes=3 * interval) if interval else timedelta(days=3)
        stale = s.last_complete is None or now - s.last_complete > allowed
        out.append({"source": s, "last_complete": s.last_complete, "last_status": s.last_status,
                    "last_slot": s.last_slot, "last_error": s.last_error, "failed_since": s.failed_since,
                    "stale": stale, "curated": s.kind == "curated"})
    return out


# ---------------------------------------------------------------------------------------------
# Model page

SORT_KEYS = {
    "provider": lambda r: (r.provider_name.lower(), r.variant),
    "quantization": lambda r: r.quantization,
    "context": lambda r: r.context_length,
    "input": lambda r: r.input,
    "output": lambda r: r.output,
    "cached": lambda r: r.cached_input,
    "blended": lambda r: r.blended,
    "ttft": lambda r: r.ttft_ms,
    "tps": lambda r: r.tps,
    "uptime": lambda r: r.uptime,
    "seen": lambda r: r.last_seen,
}


def sort_rows(rows: list[OfferRow], sort: str | None) -> tuple[list[OfferRow], str]:
    """Server-side sort; unknown values sort last whichever the direction."""
    sort = sort or "blended"
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        raise QueryError(f"sort must be one of {', '.join(SORT_KEYS)} (prefix - for descending), not {sort[:20]!r}")
    get = SORT_KEYS[key]
    known = [r for r in rows if get(r) not in (None, "")]
    unknown = [r for r in rows if get(r) in (None, "")]
    known.sort(key=lambda r: (get(r), r.provider_slug, r.variant), reverse=sort.startswith("-"))
    return known + unknown, sort


def price_history(offer_ids: list[int]) -> dict[int, list[PricePeriod]]:
    """Per offer, the periods of the source whose prices the page shows (the most trusted one)."""
    periods = (
        PricePeriod.objects.filter(offer_id__in=offer_ids)
        .select_related("source")
        .only("id", "offer_id", "input", "output", "price_kind", "valid_from", "valid_to", "source__weight",
              "source__slug")
        .order_by("valid_from", "id")
    )
    by_offer: dict[int, dict[int, list[PricePeriod]]] = {}
    weight: dict[int, int] = {}
    for p in periods:
        by_offer.setdefault(p.offer_id, {}).setdefault(p.source_id, []).append(p)
        weight[p.source_id] = p.source.weight
    out = {}
    for offer_id, per_source in by_offer.items():
        chosen = max(per_source, key=lambda sid: (weight[sid], len(per_source[sid])))
        out[offer_id] = per_source[chosen]
    return out


PERF_RANGES = {"7d": 7, "30d": 30, "90d": 90, "1y": 365}


@dataclass
class PerfPoint:
    offer_id: int
    source: str
    kind: str
    at: date | datetime
    ttft_ms: Decimal | None
    tps: Decimal | None


@dataclass
class PerfHistory:
    points: list[PerfPoint] = field(default_factory=list)
    rollups: bool = False
    weekly: bool = False


def perf_history(offer_ids: list[int], range_key: str, now: datetime | None = None) -> PerfHistory:
    """Latency over a range: raw samples inside the raw-retention window, daily roll-ups beyond it
    (binned by week past 90 days, so a year of 30 offers stays a small payload)."""
    if range_key not in PERF_RANGES:
        raise QueryError(f"range must be one of {', '.join(PERF_RANGES)}, not {range_key[:20]!r}")
    now = now or timezone.now()
    days = PERF_RANGES[range_key]
    start = now - timedelta(days=days)
    history = PerfHistory()
    if days <= min(settings.PERF_RAW_RETENTION_DAYS, 30):
        # pricing_perf_offer_time serves WHERE offer_id IN (…) AND observed_at >= … ORDER BY observed_at.
        samples = (
            PerfSample.objects.filter(offer_id__in=offer_ids, observed_at__gte=start)
            .order_by("observed_at")
            .values_list("offer_id", "source__slug", "kind", "observed_at", "ttft_p50_ms", "tps_p50")
        )
        history.points = [PerfPoint(*row) for row in samples]
        return history
    history.rollups = True
    rollups = (
        PerfRollup.objects.filter(offer_id__in=offer_ids, day__gte=start.date())
        .order_by("day")
        .values_list("offer_id", "source__slug", "kind", "day", "ttft_p50_ms", "tps_p50")
    )
    points = [PerfPoint(*row) for row in rollups]
    if days > 90:
        history.weekly = True
        bins: dict[tuple, list[PerfPoint]] = {}
        for p in points:
            monday = p.at - timedelta(days=p.at.weekday())
            bins.setdefault((p.offer_id, p.source, p.kind, monday), []).append(p)
        points = []
        for (offer_id, source, kind, monday), group in sorted(bins.items(), key=lambda item: item[0][3]):
            ttfts = [p.ttft_ms for p in group if p.ttft_ms is not None]
            tpss = [p.tps for p in group if p.tps is not None]
            points.append(PerfPoint(offer_id, source, kind, monday,
                                    statistics.median(ttfts) if ttfts else None,
                                    statistics.median(tpss) if tpss else None))
    history.points = points
    return history


# ---------------------------------------------------------------------------------------------
# Provider page


@dataclass
class ProviderOffer:
    row: OfferRow
    rank: int | None
    n_priced: int
    cheapest: OfferRow | None


def provider_offers(provider: Provider, mix: tuple[int, int] = DEFAULT_MIX) -> list[ProviderOffer]:
    """Everything a host offers, each ranked by blended price among its model's offers."""
    models = list(
        Model.objects.filter(offers__provider=provider, offers__gone_at__isnull=True,
                             offers__current_period__isnull=False)
        .select_related("first_party").distinct().order_by("slug")
    )
    if not models:
        return []
    rows = offers_for_models(models, mix=mix, perf=True)
    out = []
    for model in models:
        group = rows[model.id]
        priced = sorted((r for r in group if r.is_priced and r.price_kind == "fixed"),
                        key=lambda r: (r.blended, r.provider_slug, r.variant))
        for row in group:
            if row.provider_slug != provider.slug:
                continue
            rank = next((i + 1 for i, r in enumerate(priced) if r.offer_id == row.offer_id), None)
            out.append(ProviderOffer(row, rank, len(priced), priced[0] if priced else None))
    return out


def provider_events(provider: Provider, limit: int = 30):
    return list(
        ChangeEvent.objects.filter(offer__provider=provider)
        .select_related("offer__provider", "offer__model", "source").order_by("-at", "-id")[:limit]
    )


# ---------------------------------------------------------------------------------------------
# Changes


EVENT_KINDS = [k for k, _ in ChangeEvent.Kind.choices]


def events_query(*, model: str = "", provider: str = "", kind: str = "", since: date | None = None):
    if kind and kind not in EVENT_KINDS:
        raise QueryError(f"kind must be one of {', '.join(EVENT_KINDS)}, not {kind[:20]!r}")
    # pricing_event_recent serves the ORDER BY; the filters narrow it.
    query = ChangeEvent.objects.select_related("offer__provider", "offer__model", "source").order_by("-at", "-id")
    if model:
        query = query.filter(offer__model__slug=model)
    if provider:
        query = query.filter(offer__provider__slug=provider)
    if kind:
        query = query.filter(kind=kind)
    if since:
        query = query.filter(at__gte=datetime.combine(since, time.min, tzinfo=UTC))
    return query


@dataclass
class EventLine:
    label: str
    old: str
    new: str


PRICE_LABELS = {"input": "input", "output": "output", "cached_input": "cached input", "cache_write": "cache write",
                "reasoning": "reasoning", "per_request": "per request", "price_kind": "kind"}


def _money(text) -> str:
    from pricing.money import usd

    if text in (None, ""):
        return "—"
    try:
        return usd(Decimal(str(text)))
    except ArithmeticError:
        return str(text)


def describe(event: ChangeEvent) -> list[EventLine]:
    """What changed, as readable lines (money as "$0.55 / M tokens", never an exponent)."""
    old = event.old if isinstance(event.old, dict) else {}
    new = event.new if isinstance(event.new, dict) else {}
    if event.kind == ChangeEvent.Kind.ATTRIBUTE:
        name = event.field or next(iter(new), "")
        return [EventLine(name.replace("_", " "), _plain(old.get(name)), _plain(new.get(name)))]
    lines = []
    for key, label in PRICE_LABELS.items():
        a, b = old.get(key), new.get(key)
        if a == b and event.kind == ChangeEvent.Kind.PRICE:
            continue
        if a is None and b is None:
            continue
        if key == "price_kind":
            if a != b:
                lines.append(EventLine(label, str(a or "—"), str(b or "—")))
            continue
        if key == "per_request":
            lines.append(EventLine(label, _plain(a), _plain(b)))
            continue
        lines.append(EventLine(label, _money(a) if event.kind == ChangeEvent.Kind.PRICE else "", _money(b)))
    return lines


def _plain(value) -> str:
    return "—" if value in (None, "") else str(value)


# ---------------------------------------------------------------------------------------------
# Search


def search(q: str, limit: int = 50) -> tuple[list[Model], list[Provider]]:
    q = q.strip()[:100]
    if not q:
        return [], []
    models = list(
        Model.objects.filter(Q(slug__icontains=q) | Q(name__icontains=q))
        .annotate(n_offers=Count("offers", filter=Q(offers__gone_at__isnull=True)))
        .order_by("-n_offers", "slug")[:limit]
    )
    providers = list(
        Provider.objects.filter(Q(slug__icontains=q) | Q(name__icontains=q))
        .annotate(n_offers=Count("offers", filter=Q(offers__gone_at__isnull=True)))
        .order_by("-n_offers", "slug")[:limit]
    )
    return models, providers


def model_choices() -> list[tuple[str, str]]:
    """(slug, name) of every model that has at least one price, for the compare form."""
    priced = Offer.objects.filter(model=OuterRef("pk"), current_period__isnull=False)
    return list(Model.objects.filter(Exists(priced)).order_by("slug").values_list("slug", "name"))
