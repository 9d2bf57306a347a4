"""Provider page: everything one host offers, where it ranks per model, and its price changes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pricing.change_text import describe
from pricing.models import Provider
from pricing.queries import DEFAULT_MIX, parse_mix
from pricing.queries.pages import provider_events, provider_offers
from pricing.views.common import FieldErrors, mix_label, not_found


def provider_page(request: HttpRequest, slug: str) -> HttpResponse:
    errors = FieldErrors()
    mix = errors.take("mix", parse_mix, request.GET.get("mix"), default=DEFAULT_MIX)
    provider = Provider.objects.filter(slug=slug).first()
    if provider is None:
        return not_found(request, f"No provider {slug} is tracked.")
    offers = provider_offers(provider, mix)
    events = provider_events(provider)
    return render(request, "pricing/provider.html", {
        "provider": provider,
        "offers": offers,
        "events": [(e, describe(e)) for e in events],
        "mix": mix_label(mix),
        "mix_asked": request.GET.get("mix", "")[:20],
        "errors": errors,
        "n_first": sum(1 for o in offers if o.rank == 1),
    }, status=errors.status)
