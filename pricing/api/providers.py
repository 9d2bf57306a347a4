"""Hosts and what each offers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from pricing.api import render
from pricing.api import schemas as s
from pricing.api.catalog import ERRORS, MIX, OfferFilterQuery, _page_link
from pricing.api.http import Built, respond
from pricing.queries import OfferFilter, parse_mix
from pricing.queries import api as q

router = Router(tags=["providers"])


@router.get("/providers", response={200: s.ProvidersOut, **ERRORS}, summary="Every provider")
def list_providers(
    request: HttpRequest,
    search: str | None = Query(None, max_length=100, description="text in the provider's slug or name"),
    limit: int = Query(100, ge=1, le=q.MAX_LIMIT, description="most providers per page"),
    offset: int = Query(0, ge=0, le=q.MAX_OFFSET, description="providers to skip"),
) -> HttpResponse:
    def build() -> Built:
        page, total = q.providers_page(limit=limit, offset=offset, q=search)
        return Built(s.ProvidersOut(count=total, limit=limit, offset=offset,
                                    next=_page_link(request, offset, limit, total),
                                    items=[render.provider(p) for p in page]), q.newest_change())

    return respond(request, build)


@router.get("/providers/{slug}", response={200: s.ProviderDetailOut, **ERRORS},
            summary="A provider and its current offers, a page at a time")
def provider_detail(
    request: HttpRequest, slug: str, filters: Query[OfferFilterQuery], mix: str = MIX,
    limit: int = Query(q.MAX_LIMIT, ge=1, le=q.MAX_LIMIT, description="most offers per page"),
    offset: int = Query(0, ge=0, le=q.MAX_OFFSET, description="offers to skip"),
) -> HttpResponse:
    """The offers of one provider (an aggregator's own offers too), by model then variant."""
    mix_pair = parse_mix(mix)
    offer_filter = OfferFilter.parse(request.GET)

    def build() -> Built:
        provider = q.provider_by_slug(slug)
        page = q.offers_of_provider(provider, mix=mix_pair, limit=limit, offset=offset, offer_filter=offer_filter)
        seen = max((r.last_seen for r in page.rows if r.last_seen), default=None)
        return Built(s.ProviderDetailOut(
            count=page.total, limit=limit, offset=offset, next=_page_link(request, offset, limit, page.total),
            provider=render.provider(provider, page.total, page.n_models), mix=render.mix_text(mix_pair),
            offers=[render.offer(r) for r in page.rows]), seen)

    return respond(request, build)
