"""Home: the headline ratios, the most-hosted open models and their spread, recent changes, freshness."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from pricing.queries import DEFAULT_MIX, parse_mix
from pricing.queries.pages import freshness, headline_cards, popular_open_models, recent_events
from pricing.views.common import FieldErrors, mix_label


def home(request: HttpRequest) -> HttpResponse:
    errors = FieldErrors()
    mix = errors.take("mix", parse_mix, request.GET.get("mix"), default=DEFAULT_MIX)
    return render(request, "pricing/home.html", {
        "cards": headline_cards(mix),
        "spreads": popular_open_models(10, mix),
        "events": recent_events(15),
        "freshness": freshness(),
        "mix": mix_label(mix),
        "mix_asked": request.GET.get("mix", "")[:20],
        "errors": errors,
        "now": timezone.now(),
    }, status=errors.status)
