"""Provider page: what one provider offers (a page at a time), where each offer ranks among its
model's current host offers, and its price changes."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pricing.change_text import describe
from pricing.models import Provider
from pricing.queries import DEFAULT_MIX, OfferFilter, QueryError, parse_mix
from pricing.queries.paging import parse_page
from pricing.queries.provider_page import provider_events, provider_offers
from pricing.views.common import FieldErrors, mix_label, not_found, take_group


def provider_page(request: HttpRequest, slug: str) -> HttpResponse:
    errors = FieldErrors()
    mix = errors.take("mix", parse_mix, request.GET.get("mix"), default=DEFAULT_MIX)
    # Every offer of this provider is shown (an aggregator's too); hosts_only is about ranking.
    params = {**request.GET.dict(), "hosts_only": "0"}
    offer_filter = take_group(errors, OfferFilter.parse, params, OfferFilter.PARAMS,
                              default=OfferFilter(hosts_only=False))
    page = errors.take("page", parse_page, request.GET.get("page"), default=1)
    provider = Provider.objects.filter(slug=slug).first()
    if provider is None:
        return not_found(request, f"No provider {slug} is tracked.")
    try:
        offers, paged = provider_offers(provider, mix, offer_filter=offer_filter, page=page)
    except QueryError as exc:  # past the last page: say so, show the first
        errors["page"] = str(exc)
        offers, paged = provider_offers(provider, mix, offer_filter=offer_filter, page=1)
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
        "mix_asked": request.GET.get("mix", "")[:20],
        "errors": errors,
        "n_first": sum(1 for o in offers if o.rank == 1),
        "filter": offer_filter,
        "filter_form": {name: request.GET.get(name, "") for name in OfferFilter.PARAMS},
        "stale_sources": sorted({o.row.source_slug for o in offers if o.row.stale}),
    }, status=errors.status)
