"""Model page: every offer of one model in a sortable table, its price and latency history."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import json_script

from pricing import charts
from pricing.cache import cache_key
from pricing.errors import json_error
from pricing.models import Model
from pricing.queries import DEFAULT_MIX, OfferFilter, QueryError, Workload, disagreements, offers_for_model, parse_mix
from pricing.queries.filters import PRECISION_BITS
from pricing.queries.model_page import PERF_RANGES, check_sort, perf_history, price_history, sort_rows
from pricing.related import leads
from pricing.views.common import FieldErrors, mix_label, not_found, take_group

WORKLOAD_PARAMS = ("monthly_input", "monthly_output", "input_tokens", "output_tokens", "per", "cached_share")

COLUMNS = [
    # (sort key, header, numeric). Provider and blended (then the workload's cost) first: on a
    # phone they stay in view while the rest scrolls.
    ("provider", "Provider", False),
    ("blended", "Blended", True),
    ("input", "Input", True),
    ("output", "Output", True),
    ("cached", "Cached input", True),
    ("quantization", "Quant.", False),
    ("context", "Context", True),
    ("ttft", "TTFT p50", True),
    ("tps", "Throughput p50", True),
    ("uptime", "Uptime", True),
    (None, "Perf. from", False),
    ("seen", "Price source · seen", False),
]
COST_COLUMN = ("cost", "Monthly cost", True)
TABLE_SECONDS = 60


def _range(text: str | None) -> str:
    if text and text not in PERF_RANGES:
        raise QueryError(f"range must be one of {', '.join(PERF_RANGES)}, not {text[:20]!r}")
    return text or "90d"


def _params(request: HttpRequest, errors: FieldErrors) -> tuple[tuple[int, int], str | None, str]:
    """Each parameter on its own: one bad value is reported at its field, the others still apply."""
    mix = errors.take("mix", parse_mix, request.GET.get("mix"), default=DEFAULT_MIX)
    sort = errors.take("sort", check_sort, request.GET.get("sort"), default=None)
    range_key = errors.take("range", _range, request.GET.get("range"), default="90d")
    return mix, sort, range_key


def _figures(model: Model, rows, mix, range_key) -> tuple[dict, dict]:
    """The page's four figures and their ``json_script`` tags, cached under the ingestion
    generation (stale never, rebuilt rarely). Serialising ~100 KB of figure JSON is a third of a
    render, so the tags are cached as made, not re-encoded on every view."""
    key = cache_key("model-figures", model.pk, mix_label(mix), range_key)
    cached = cache.get(key)
    if cached is not None:
        return cached
    now = timezone.now()
    ids = [r.offer_id for r in rows]
    figures = {
        "history": charts.price_history_figure(rows, price_history(ids), now, mix),
        "ttft": charts.scatter_figure(rows, "ttft"),
        "tps": charts.scatter_figure(rows, "tps"),
        "latency": charts.latency_figure(rows, perf_history(ids, range_key, now)),
    }
    tags = {name: json_script(figure, f"fig-{name}") for name, figure in figures.items()}
    cache.set(key, (figures, tags), timeout=3600)
    return figures, tags


def _columns(sort: str, query: dict[str, str], workload: Workload | None) -> list[dict]:
    """Header links that sort server-side (a second click reverses), so sorting works without
    JS; every other parameter (mix, range, filters, workload) stays in the link."""
    out = []
    columns = COLUMNS[:2] + [COST_COLUMN] + COLUMNS[2:] if workload else COLUMNS
    for key, label, numeric in columns:
        arrow, href = "", ""
        if key:
            if sort == key:
                arrow, target = " ▲", f"-{key}"
            elif sort == f"-{key}":
                arrow, target = " ▼", key
            else:
                target = key
            href = "?" + urlencode({**query, "sort": target})
        out.append({"key": key, "label": label, "numeric": numeric, "arrow": arrow, "href": href})
    return out


def _lookup(author: str, name: str) -> Model | None:
    return Model.objects.select_related("first_party").filter(slug=f"{author}/{name}").first()


def model_page(request: HttpRequest, author: str, name: str) -> HttpResponse:
    errors = FieldErrors()
    mix, sort, range_key = _params(request, errors)
    offer_filter = take_group(errors, OfferFilter.parse, request.GET, OfferFilter.PARAMS, default=OfferFilter())
    workload = take_group(errors, Workload.parse, request.GET, WORKLOAD_PARAMS, default=None)
    model = _lookup(author, name)
    if model is None:
        return not_found(request, f"No model {author}/{name} is tracked.")
    query = {"mix": mix_label(mix), "range": range_key, **offer_filter.query(), **(workload.query() if workload else {})}
    table = _table(model, mix, sort, range_key, offer_filter, workload, query)
    figures, figure_tags = _figures(model, table["current"], mix, range_key)
    return render(request, "pricing/model.html", {
        **table,
        **leads(model),  # related versions and a compare partner: one query
        "errors": errors,
        "model": model,
        "mix": mix_label(mix),
        "mix_custom": request.GET.get("mix", ""),
        # Only a sort the user chose rides along: with a workload the default becomes its cost.
        "sort_param": request.GET.get("sort", ""),
        "range": range_key,
        "ranges": list(PERF_RANGES),
        "figures": figures,
        "figure_tags": figure_tags,
        "filter": offer_filter,
        "filter_form": _filter_form(request),
        "precisions": list(PRECISION_BITS),
        "workload": workload,
        "show_aggregators": "?" + urlencode({**query, "hosts_only": "0"}),
        "show_ended": "?" + urlencode({**query, "current_only": "0"}),
    }, status=errors.status)


def _table(model: Model, mix, sort, range_key: str, offer_filter: OfferFilter, workload: Workload | None,
           query: dict[str, str]) -> dict:
    """The offers table and what the page says about it, cached under the ingestion generation
    for a minute (staleness moves with the clock): a repeat view reads one cache entry and the
    rendered table (``table_key``) instead of five queries and 30 rows of template."""
    spec = repr((sort, sorted(query.items())))
    key = cache_key("model-table", model.pk, hashlib.sha256(spec.encode()).hexdigest()[:32])
    found = cache.get(key)
    if found is not None:
        return found
    every = offers_for_model(model, mix=mix, ended=not offer_filter.current_only, workload=workload)
    rows = offer_filter.apply(every)
    current = [r for r in every if r.current]
    disagreements(rows)
    ordered, sort = sort_rows(rows, sort, "cost" if workload else "blended")
    table = {
        "table_key": key,
        "rows": ordered,
        "current": current,
        "sort": sort,
        "columns": _columns(sort, query, workload),
        "perf_sources": sorted({charts.perf_label(r.perf_source, r.perf_kind) for r in rows if r.perf_kind}),
        "n_priced": sum(1 for r in rows if r.is_priced),
        "n_hidden_aggregators": sum(1 for r in current if not r.is_host) if offer_filter.hosts_only else 0,
        "n_hidden_filtered": sum(1 for r in every if r.current and r.is_host) - sum(
            1 for r in rows if r.current and r.is_host),
        "stale_sources": sorted({r.source_slug for r in rows if r.stale}),
    }
    cache.set(key, table, timeout=TABLE_SECONDS)
    return table


def _filter_form(request: HttpRequest) -> dict[str, str]:
    """The filter and workload fields as typed, to refill the form."""
    names = (*OfferFilter.PARAMS, "input_tokens", "output_tokens", "per", "cached_share", "monthly_input",
             "monthly_output")
    return {name: request.GET.get(name, "") for name in names}


def model_series(request: HttpRequest, author: str, name: str) -> JsonResponse:
    """The same figures as JSON, for scripts and for charts refreshed without reloading the page."""
    errors = FieldErrors()
    mix, _, range_key = _params(request, errors)
    if errors:
        return json_error(400, "bad_parameter", "; ".join(f"{k}: {v}" for k, v in errors.items()))
    model = _lookup(author, name)
    if model is None:
        return json_error(404, "not_found", f"unknown model {author}/{name}")
    rows = offers_for_model(model, mix=mix)
    return JsonResponse(_figures(model, rows, mix, range_key)[0])
