"""Index pages: every model and every provider, sortable, filterable, a page at a time."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pricing.queries import DEFAULT_MIX, parse_mix
from pricing.queries.index import models_index, providers_index
from pricing.views.common import FieldErrors, mix_label, take_retrying

MODEL_COLUMNS = [("name", "Model", False), ("author", "Author", False), (None, "Open weights", False),
                 ("params", "Parameters", True), ("hosts", "Hosts", True), ("cheapest", "Cheapest host", True),
                 ("median", "Median host", True), ("spread", "Spread", True),
                 ("per_dollar", "Points per $", True)]
PROVIDER_COLUMNS = [("name", "Provider", False), ("kind", "Kind", False), ("offers", "Current offers", True),
                    ("cheapest", "Cheapest for", True), ("rank", "Median rank", True), ("seen", "Prices seen", False)]


def _columns(columns, sort: str, query: dict[str, str]) -> list[dict]:
    out = []
    for key, label, numeric in columns:
        arrow, href = "", ""
        if key:
            arrow = " ▲" if sort == key else " ▼" if sort == f"-{key}" else ""
            target = f"-{key}" if sort == key or (sort != f"-{key}" and numeric) else key
            href = "?" + urlencode({**query, "sort": target})
        out.append({"key": key, "label": label, "numeric": numeric, "arrow": arrow, "href": href})
    return out


def _query(request: HttpRequest, names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.GET[name] for name in names if request.GET.get(name)}


def _index(request: HttpRequest, build, template: str, columns, names: tuple[str, ...]) -> HttpResponse:
    # A bad value is reported at its field; the page still lists with the others (errors in place).
    errors = FieldErrors()
    mix = errors.take("mix", parse_mix, request.GET.get("mix"), default=DEFAULT_MIX)
    lines, paged, sort = take_retrying(errors, lambda params: build(params, mix), request.GET.dict())
    query = {k: v for k, v in _query(request, names).items() if k not in errors}
    return render(request, template, {
        "lines": lines, "paged": paged, "sort": sort, "mix": mix_label(mix), "form": query,
        "columns": _columns(columns, sort, query), "page_query": urlencode({**query, "sort": sort}),
        "errors": errors,
    }, status=errors.status)


def models(request: HttpRequest) -> HttpResponse:
    return _index(request, models_index, "pricing/models_index.html", MODEL_COLUMNS,
                  ("q", "author", "open_weights", "min_hosts", "mix", "benchmark"))


def providers(request: HttpRequest) -> HttpResponse:
    return _index(request, providers_index, "pricing/providers_index.html", PROVIDER_COLUMNS, ("q", "kind", "mix"))
