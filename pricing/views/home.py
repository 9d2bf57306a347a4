"""Home: the headline ratios, the most-hosted open models, their spread as a chart, recent changes,
freshness."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import json_script

from pricing import charts
from pricing.cache import cache_key
from pricing.queries import DEFAULT_MIX, parse_mix
from pricing.queries.freshness import freshness
from pricing.queries.home import Spread, headline_cards, popular_open_models, recent_events
from pricing.views.common import FieldErrors, mix_label


def _market(spreads: list[Spread], mix: tuple[int, int]) -> str:
    """The market chart's json_script tag, cached until the next ingestion."""
    key = cache_key("home-market", mix_label(mix))
    tag = cache.get(key)
    if tag is None:
        models = [s.model for s in spreads]
        figure = charts.market_figure(models, {s.model.id: s.offers for s in spreads}, mix)
        tag = json_script(figure, "fig-market")
        cache.set(key, tag, timeout=3600)
    return tag


def home(request: HttpRequest) -> HttpResponse:
    errors = FieldErrors()
    mix = errors.take("mix", parse_mix, request.GET.get("mix"), default=DEFAULT_MIX)
    spreads = popular_open_models(10, mix)
    return render(request, "pricing/home.html", {
        "cards": headline_cards(mix),
        "spreads": spreads,
        "market": _market(spreads, mix) if spreads else "",
        "events": recent_events(15),
        "freshness": freshness(),
        "mix": mix_label(mix),
        "mix_asked": request.GET.get("mix", "")[:20],
        "errors": errors,
        "now": timezone.now(),
    }, status=errors.status)
