"""The index pages: every model (hosts, cheapest and median current host price, spread) and
every provider (offers, how often cheapest, median rank, freshness, kind).

Both rest on one lean read of the whole market's current prices (one query over open periods,
the same "current" and "most trusted" rules as every other read), cached under the ingestion
generation for a few minutes (staleness moves with the clock, not only with ingestion). Sorting,
filtering and paging are then arithmetic over rows in memory, so a catalogue of 20,000 offers
costs one rebuild, not one per request.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from pricing.cache import cache_key
from pricing.models import Model, PricePeriod, Provider
from pricing.models.querysets import scope_key, stale_since, trust_key
from pricing.quality.queries import score_lines
from pricing.queries.base import DEFAULT_MIX, QueryError, blended
from pricing.queries.offers import choose_periods, latest_in_scope
from pricing.queries.paging import Paged, parse_page
from pricing.ratios import ratio

PAGE_SIZE = 50
CACHE_SECONDS = 300

Lean = namedtuple("Lean", "id offer_id model_id provider_id provider_kind source_id source_kind source_slug weight "
                          "input output price_kind last_seen valid_from valid_to source_last_fresh")


@dataclass
class Priced:
    """One current, fixed-price offer in the market read."""

    offer_id: int
    model_id: int
    provider_id: int
    is_host: bool
    blended: Decimal
    last_seen: datetime
    stale: bool


def _lean_scope(p: Lean) -> tuple:
    return scope_key(p.source_id, p.source_kind, p.model_id, p.provider_id, p.provider_kind)


def _lean_trust(p: Lean) -> tuple:
    return trust_key(p.weight, p.last_seen, p.valid_from, p.id)


def market(mix: tuple[int, int] = DEFAULT_MIX) -> list[Priced]:
    """Every current offer with a fixed price, hosts and aggregators, at the mix (cached)."""
    key = cache_key("market", f"{mix[0]}:{mix[1]}")
    found = cache.get(key)
    if found is not None:
        return found
    rows = (
        PricePeriod.objects.open().filter(offer__gone_at__isnull=True, offer__current_period__isnull=False)
        .with_freshness().order_by()
        .values_list("id", "offer_id", "offer__model_id", "offer__provider_id", "offer__provider__kind", "source_id",
                     "source__kind", "source__slug", "source__weight", "input", "output", "price_kind", "last_seen",
                     "valid_from", "valid_to", "source_last_fresh")
    )
    periods = [Lean(*row) for row in rows]
    chosen = choose_periods(periods, latest_in_scope(periods, _lean_scope), scope=_lean_scope, trust=_lean_trust)
    now = timezone.now()
    out = []
    for period, current, _ in chosen.values():
        price = blended(period.input, period.output, mix)
        if current and period.price_kind == "fixed" and price is not None:
            out.append(Priced(period.offer_id, period.model_id, period.provider_id, period.provider_kind != "aggregator",
                              price, period.last_seen,
                              stale_since(period.source_slug, period.source_last_fresh, now)))
    cache.set(key, out, timeout=CACHE_SECONDS)
    return out


def _cached(name: str, params, mix: tuple[int, int], build):
    """One index page (its lines, paging and sort) per query string, cached like the market."""
    spec = repr((mix, sorted((k, params.get(k)) for k in params)))
    key = cache_key(name, hashlib.sha256(spec.encode()).hexdigest()[:32])
    found = cache.get(key)
    if found is None:
        found = build()
        cache.set(key, found, timeout=CACHE_SECONDS)
    return found


def _check_sort(sort: str | None, keys, default: str) -> str:
    sort = sort or default
    if sort.lstrip("-") not in keys:
        raise QueryError(f"sort must be one of {', '.join(keys)} (prefix - for descending), not {sort[:20]!r}")
    return sort


def _sorted(items: list, sort: str, keys: dict) -> list:
    """Unknown values last whichever the direction; ties by name."""
    get = keys[sort.lstrip("-")]
    known = [i for i in items if get(i) is not None]
    unknown = [i for i in items if get(i) is None]
    known.sort(key=lambda i: i.slug)
    known.sort(key=get, reverse=sort.startswith("-"))  # stable: ties stay by name either way
    return known + sorted(unknown, key=lambda i: i.slug)


def _page(items: list, page_text: str | None) -> tuple[list, Paged]:
    page = parse_page(page_text)
    paged = Paged(page, PAGE_SIZE, len(items))
    if page > paged.pages:
        raise QueryError(f"page {page} is past the last page ({paged.pages})")
    return items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], paged


# Models --------------------------------------------------------------------------------------


@dataclass
class ModelLine:
    slug: str
    name: str
    author: str
    open_weights: bool | None
    params_total_b: Decimal | None
    params_active_b: Decimal | None
    n_hosts: int = 0
    cheapest: Decimal | None = None
    cheapest_provider: str = ""
    median: Decimal | None = None
    dearest: Decimal | None = None
    stale: bool = False
    seen: datetime | None = None
    score: Decimal | None = None  # on the benchmark asked for (pricing.quality)
    per_dollar: Decimal | None = None

    @property
    def spread(self) -> Decimal | None:
        return ratio(self.dearest, self.cheapest)


MODEL_SORTS = {
    "name": lambda m: m.name.lower(), "author": lambda m: m.author.lower(), "params": lambda m: m.params_total_b,
    "hosts": lambda m: m.n_hosts, "cheapest": lambda m: m.cheapest, "median": lambda m: m.median,
    "spread": lambda m: m.spread, "per_dollar": lambda m: m.per_dollar,
}


def models_index(params, mix: tuple[int, int] = DEFAULT_MIX) -> tuple[list[ModelLine], Paged, str]:
    """A page of every model (search ``q``, ``author``, ``open_weights``, ``min_hosts``), sorted."""
    return _cached("models-index", params, mix, lambda: _models_index(params, mix))


def _models_index(params, mix: tuple[int, int]) -> tuple[list[ModelLine], Paged, str]:
    sort = _check_sort(params.get("sort"), MODEL_SORTS, "-hosts")
    query = Model.objects.all()
    text = (params.get("q") or "").strip()[:100]
    if text:
        query = query.filter(Q(slug__icontains=text) | Q(name__icontains=text))
    if params.get("author"):
        query = query.filter(author__iexact=params["author"][:100])
    if params.get("open_weights") in ("1", "0"):
        query = query.filter(open_weights=params["open_weights"] == "1")
    elif params.get("open_weights"):
        raise QueryError("open_weights must be 1 or 0")
    min_hosts = params.get("min_hosts") or ""
    if min_hosts and not (min_hosts.isascii() and min_hosts.isdigit() and int(min_hosts) <= 10_000):
        raise QueryError(f"min_hosts must be a whole number, not {min_hosts[:20]!r}")
    lines = {m[0]: ModelLine(*m[1:]) for m in query.values_list(
        "id", "slug", "name", "author", "open_weights", "params_total_b", "params_active_b")}
    per_model: dict[int, list[Priced]] = {}
    for offer in market(mix):
        if offer.is_host and offer.model_id in lines:
            per_model.setdefault(offer.model_id, []).append(offer)
    providers = dict(Provider.objects.values_list("id", "slug"))
    for model_id, offers in per_model.items():
        line = lines[model_id]
        offers.sort(key=lambda o: (o.blended, providers.get(o.provider_id, "")))
        line.n_hosts = len({o.provider_id for o in offers})
        line.cheapest, line.cheapest_provider = offers[0].blended, providers.get(offers[0].provider_id, "")
        line.median = Decimal(str(statistics.median(o.blended for o in offers)))
        line.dearest = offers[-1].blended
        line.stale = any(o.stale for o in offers)
        line.seen = max(o.last_seen for o in offers)
    if sort.lstrip("-") == "per_dollar" and not params.get("benchmark"):
        raise QueryError("sorting by points per $ needs a benchmark")
    score_lines(lines, params.get("benchmark"))
    items = [line for line in lines.values() if not min_hosts or line.n_hosts >= int(min_hosts)]
    page, paged = _page(_sorted(items, sort, MODEL_SORTS), params.get("page"))
    return page, paged, sort


# Providers -----------------------------------------------------------------------------------


@dataclass
class ProviderLine:
    slug: str
    name: str
    kind: str
    n_offers: int = 0
    n_models: int = 0
    n_cheapest: int = 0
    median_rank: Decimal | None = None
    seen: datetime | None = None
    stale: bool = False


PROVIDER_SORTS = {
    "name": lambda p: p.name.lower(), "offers": lambda p: p.n_offers, "cheapest": lambda p: p.n_cheapest,
    "rank": lambda p: p.median_rank, "seen": lambda p: p.seen, "kind": lambda p: p.kind,
}


def providers_index(params, mix: tuple[int, int] = DEFAULT_MIX) -> tuple[list[ProviderLine], Paged, str]:
    """A page of every provider: its current priced offers, for how many models it is the
    cheapest, its median rank among each model's hosts (itself counted when an aggregator), the
    newest price seen and whether any of its prices comes from a stale source."""
    return _cached("providers-index", params, mix, lambda: _providers_index(params, mix))


def _providers_index(params, mix: tuple[int, int]) -> tuple[list[ProviderLine], Paged, str]:
    sort = _check_sort(params.get("sort"), PROVIDER_SORTS, "-offers")
    kind = params.get("kind") or ""
    if kind and kind not in Provider.Kind.values:
        raise QueryError(f"kind must be one of {', '.join(Provider.Kind.values)}, not {kind[:20]!r}")
    query = Provider.objects.all()
    if kind:
        query = query.filter(kind=kind)
    text = (params.get("q") or "").strip()[:100]
    if text:
        query = query.filter(Q(slug__icontains=text) | Q(name__icontains=text))
    lines = {p[0]: ProviderLine(*p[1:]) for p in query.values_list("id", "slug", "name", "kind")}
    by_model: dict[int, list[Priced]] = {}
    offers = market(mix)
    for offer in offers:
        by_model.setdefault(offer.model_id, []).append(offer)
    ranks: dict[int, list[int]] = {}
    for group in by_model.values():
        hosts = sorted((o for o in group if o.is_host), key=lambda o: (o.blended, o.offer_id))
        for offer in group:
            ranked = hosts if offer.is_host else sorted([*hosts, offer], key=lambda o: (o.blended, o.offer_id))
            ranks.setdefault(offer.provider_id, []).append(next(i + 1 for i, o in enumerate(ranked) if o is offer))
    models: dict[int, set[int]] = {}
    for offer in offers:
        line = lines.get(offer.provider_id)
        if line is None:
            continue
        line.n_offers += 1
        models.setdefault(offer.provider_id, set()).add(offer.model_id)
        line.seen = max(line.seen or offer.last_seen, offer.last_seen)
        line.stale = line.stale or offer.stale
    for provider_id, line in lines.items():
        line.n_models = len(models.get(provider_id, ()))
        mine = ranks.get(provider_id, [])
        line.n_cheapest = sum(1 for r in mine if r == 1)
        line.median_rank = Decimal(str(statistics.median(mine))) if mine else None
    page, paged = _page(_sorted(list(lines.values()), sort, PROVIDER_SORTS), params.get("page"))
    return page, paged, sort
