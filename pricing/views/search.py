"""Search: models and providers by name or slug (the box in every page's header)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pricing.queries.pages import search as find


def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    models, providers = find(q)
    return render(request, "pricing/search.html", {"q": q.strip()[:100], "models": models, "providers": providers})
