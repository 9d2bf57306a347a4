"""Provider page: what one provider offers (a page at a time), where each offer ranks among its
model's current host offers, and its price changes."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pricing.models import Provider
from pricing.queries import OfferFilter, QueryError, parse_mix
from pricing.queries.pages import describe
from pricing.queries.paging import parse_page
from pricing.queries.provider_page import provider_events, provider_offers
from pricing.views.common import bad_request, mix_label, not_found


def provider_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        mix = parse_mix(request.GET.get("mix"))
        # Every offer of this provider is shown (an aggregator's too); hosts_only is about ranking.
        offer_filter = OfferFilter.parse({**request.GET.dict(), "hosts_only": "0"})
        page = parse_page(request.GET.get("page"))
        provider = Provider.objects.filter(slug=slug).first()
        if provider is None:
            return not_found(request, f"No provider {slug} is tracked.")
        offers, paged = provider_offers(provider, mix, offer_filter=offer_filter, page=page)
    except QueryError as exc:
        return bad_request(request, str(exc))
    events = provider_events(provider)
    query = {"mix": mix_label(mix), **offer_filter.query()}
    query.pop("hosts_only", None)
    return render(request, "pricing/provider.html", {
        "provider": provider,
        "offers": offers,
        "paged": paged,
        "page_query": urlencode(query),
        "events": [(e, describe(e)) for e in events],
        "mix": mix_label(mix),
        "n_first": sum(1 for o in offers if o.rank == 1),
        "filter": offer_filter,
        "filter_form": {name: request.GET.get(name, "") for name in OfferFilter.PARAMS},
        "stale_sources": sorted({o.row.source_slug for o in offers if o.row.stale}),
    })
