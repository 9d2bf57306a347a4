"""Home: the headline ratios, the most-hosted open models and their spread, recent changes."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q

from pricing.models import ChangeEvent, Model
from pricing.queries.base import DEFAULT_MIX
from pricing.queries.offers import OfferRow, Reference, comparable, offers_for_models, reference
from pricing.queries.timeline import latest_known_rows, periods_for_models
from pricing.ratios import ratio

# The headline pairs: (model a, basis a, model b, basis b). Pairs whose models are not in the
# database are skipped, so a fresh install shows what it has.
HEADLINE_PAIRS: list[tuple[str, str, str, str]] = [
    ("openai/o1", "first-party", "deepseek/deepseek-r1", "first-party"),
    ("openai/gpt-4o", "first-party", "deepseek/deepseek-chat", "first-party"),
    ("anthropic/claude-3.5-sonnet", "first-party", "meta-llama/llama-3.3-70b-instruct", "cheapest"),
    ("meta-llama/llama-3.1-405b-instruct", "cheapest", "meta-llama/llama-3.1-70b-instruct", "cheapest"),
]


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

    @property
    def stale(self) -> bool:
        """A side rests on a stale source's price (still used; the card says so)."""
        return self.a.stale or self.b.stale


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
    """A model's current host prices: how many hosts, the cheapest, the median and the dearest."""

    model: Model
    n_hosts: int
    cheapest: OfferRow | None
    median: Decimal | None
    dearest: OfferRow | None
    stale: bool = False  # a price in it comes from a stale source
    seen: datetime | None = None  # when the oldest price in it was last seen
    offers: list[OfferRow] = field(default_factory=list)  # every offer read, for the home market chart

    @property
    def factor(self) -> Decimal | None:
        if self.cheapest is None or self.dearest is None:
            return None
        return ratio(self.dearest.blended, self.cheapest.blended)


def spread_of(model: Model, rows: list[OfferRow]) -> Spread:
    """The spread of a model over its current host offers (rows from offers_for_models)."""
    priced = sorted(comparable(rows), key=lambda r: (r.blended, r.provider_slug))
    n_hosts = len({r.provider_slug for r in rows if r.current and r.is_host})
    return Spread(
        model, n_hosts, priced[0] if priced else None,
        Decimal(str(statistics.median(r.blended for r in priced))) if priced else None,
        priced[-1] if priced else None,
        stale=any(r.stale for r in priced), seen=min((r.last_seen for r in priced if r.last_seen), default=None),
        offers=rows,
    )


def live_host_count() -> Count:
    """Hosts with an offer the write path holds open: the SQL pre-selection before the exact,
    current-only count of ``spread_of``."""
    return Count("offers__provider", distinct=True,
                 filter=Q(offers__gone_at__isnull=True, offers__current_period__isnull=False)
                 & ~Q(offers__provider__kind="aggregator"))


def popular_open_models(limit: int = 10, mix: tuple[int, int] = DEFAULT_MIX) -> list[Spread]:
    """The open models offered by the most hosts (aggregators aside), with their current blended
    price spread (three queries)."""
    models = list(
        Model.objects.filter(open_weights=True).annotate(n_live=live_host_count()).filter(n_live__gt=0)
        .select_related("first_party").order_by("-n_live", "slug")[: limit * 2]
    )
    if not models:
        return []
    # With latency: the home page's market chart shows each host's TTFT on hover.
    rows = offers_for_models(models, mix=mix, perf=True)
    spreads = [spread for spread in (spread_of(m, rows[m.id]) for m in models) if spread.n_hosts]
    spreads.sort(key=lambda s: (-s.n_hosts, s.model.slug))
    return spreads[:limit]


def recent_events(limit: int = 15):
    return list(
        ChangeEvent.objects.select_related("offer__provider", "offer__model", "source").order_by("-at", "-id")[:limit]
    )

