"""Home: the headline ratios, the most-hosted open models and their spread, recent changes, freshness."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from pricing.queries import QueryError, parse_mix
from pricing.queries.freshness import freshness
from pricing.queries.home import headline_cards, popular_open_models, recent_events
from pricing.views.common import bad_request, mix_label


def home(request: HttpRequest) -> HttpResponse:
    try:
        mix = parse_mix(request.GET.get("mix"))
    except QueryError as exc:
        return bad_request(request, str(exc))
    return render(request, "pricing/home.html", {
        "cards": headline_cards(mix),
        "spreads": popular_open_models(10, mix),
        "events": recent_events(15),
        "freshness": freshness(),
        "mix": mix_label(mix),
        "now": timezone.now(),
    })
