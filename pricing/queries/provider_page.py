"""Provider page: what one provider offers, page by page, each offer ranked among its model's
current host offers, and its price changes. Fast whatever the catalogue size: a page reads the
offers of at most PAGE_SIZE models."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.db.models import Q

from pricing.models import ChangeEvent, Model, Provider
from pricing.queries.base import DEFAULT_MIX
from pricing.queries.cost import Workload
from pricing.queries.filters import PRECISION_BITS, OfferFilter
from pricing.queries.offers import OfferRow, comparable, offers_for_models
from pricing.queries.paging import Paged, paginate

PAGE_SIZE = 50


@dataclass
class ProviderOffer:
    row: OfferRow
    rank: int | None
    n_priced: int
    cheapest: OfferRow | None


def _models(provider: Provider, offer_filter: OfferFilter):
    """The models this provider has offers of, narrowed in SQL by what the filter can say there."""
    offers = Q(offers__provider=provider)
    if offer_filter.current_only:
        offers &= Q(offers__gone_at__isnull=True, offers__current_period__isnull=False)
    if offer_filter.quantizations:
        offers &= Q(offers__quantization__in=sorted(offer_filter.quantizations))
    if offer_filter.min_precision:
        floor = PRECISION_BITS[offer_filter.min_precision]
        offers &= Q(offers__quantization__in=[name for name, bits in PRECISION_BITS.items() if bits >= floor])
    if offer_filter.min_context is not None:
        offers &= Q(offers__context_length__gte=offer_filter.min_context)
    return Model.objects.filter(offers).select_related("first_party").distinct().order_by("slug")


def provider_offers(
    provider: Provider, mix: tuple[int, int] = DEFAULT_MIX, *, offer_filter: OfferFilter | None = None,
    page: int = 1, workload: Workload | None = None, page_size: int = PAGE_SIZE,
) -> tuple[list[ProviderOffer], Paged]:
    """One page of the provider's offers (by model), each ranked by blended price among the
    current host offers of its model (1 = cheapest); the provider itself counts even when it is
    an aggregator. Four to six queries whatever the catalogue size."""
    offer_filter = offer_filter or OfferFilter(hosts_only=False)
    models, paged = paginate(_models(provider, offer_filter), page, page_size)
    if not models:
        return [], paged
    rows = offers_for_models(models, mix=mix, perf=True, ended=not offer_filter.current_only, workload=workload)
    out = []
    for model in models:
        group = rows[model.id]
        hosts = sorted(comparable(group), key=lambda r: (r.blended, r.provider_slug, r.variant))
        ranked = sorted(
            (r for r in comparable(group, hosts_only=False) if r.is_host or r.provider_slug == provider.slug),
            key=lambda r: (r.blended, r.provider_slug, r.variant),
        )
        mine = [r for r in group if r.provider_slug == provider.slug]
        for row in replace(offer_filter, hosts_only=False).apply(mine):
            rank = next((i + 1 for i, r in enumerate(ranked) if r.offer_id == row.offer_id), None)
            out.append(ProviderOffer(row, rank, len(ranked), hosts[0] if hosts else None))
    return out, paged


def provider_events(provider: Provider, limit: int = 30):
    return list(
        ChangeEvent.objects.filter(offer__provider=provider)
        .select_related("offer__provider", "offer__model", "source").order_by("-at", "-id")[:limit]
    )
