"""Model page: every offer of one model in a sortable table, its price and latency history."""

from __future__ import annotations

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
from pricing.queries import QueryError, disagreements, offers_for_model, parse_mix
from pricing.queries.pages import PERF_RANGES, SORT_KEYS, perf_history, price_history, sort_rows
from pricing.views.common import bad_request, mix_label, not_found

COLUMNS = [
    # (sort key, header, numeric)
    ("provider", "Provider", False),
    ("quantization", "Quant.", False),
    ("context", "Context", True),
    ("input", "Input", True),
    ("output", "Output", True),
    ("cached", "Cached input", True),
    ("blended", "Blended", True),
    ("ttft", "TTFT p50", True),
    ("tps", "Throughput p50", True),
    ("uptime", "Uptime", True),
    (None, "Perf. from", False),
    ("seen", "Price source · seen", False),
]


def _params(request: HttpRequest) -> tuple[tuple[int, int], str | None, str]:
    mix = parse_mix(request.GET.get("mix"))
    sort = request.GET.get("sort") or None
    if sort and sort.lstrip("-") not in SORT_KEYS:
        raise QueryError(f"sort must be one of {', '.join(SORT_KEYS)} (prefix - for descending), not {sort[:20]!r}")
    range_key = request.GET.get("range") or "90d"
    if range_key not in PERF_RANGES:
        raise QueryError(f"range must be one of {', '.join(PERF_RANGES)}, not {range_key[:20]!r}")
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


def _columns(sort: str, mix: tuple[int, int], range_key: str) -> list[dict]:
    """Header links that sort server-side (a second click reverses), so sorting works without JS."""
    out = []
    for key, label, numeric in COLUMNS:
        arrow, href = "", ""
        if key:
            if sort == key:
                arrow, target = " ▲", f"-{key}"
            elif sort == f"-{key}":
                arrow, target = " ▼", key
            else:
                target = key
            href = "?" + urlencode({"sort": target, "mix": mix_label(mix), "range": range_key})
        out.append({"key": key, "label": label, "numeric": numeric, "arrow": arrow, "href": href})
    return out


def _lookup(author: str, name: str) -> Model | None:
    return Model.objects.select_related("first_party").filter(slug=f"{author}/{name}").first()


def model_page(request: HttpRequest, author: str, name: str) -> HttpResponse:
    try:
        mix, sort, range_key = _params(request)
    except QueryError as exc:
        return bad_request(request, str(exc))
    model = _lookup(author, name)
    if model is None:
        return not_found(request, f"No model {author}/{name} is tracked.")
    rows = offers_for_model(model, mix=mix)
    disagreements(rows)
    ordered, sort = sort_rows(rows, sort)
    perf_sources = sorted({charts.perf_label(r.perf_source, r.perf_kind) for r in rows if r.perf_kind})
    figures, figure_tags = _figures(model, rows, mix, range_key)
    return render(request, "pricing/model.html", {
        "model": model,
        "rows": ordered,
        "sort": sort,
        "mix": mix_label(mix),
        "mix_custom": request.GET.get("mix", ""),
        "columns": _columns(sort, mix, range_key),
        "range": range_key,
        "ranges": list(PERF_RANGES),
        "figures": figures,
        "figure_tags": figure_tags,
        "perf_sources": perf_sources,
        "n_priced": sum(1 for r in rows if r.is_priced),
    })


def model_series(request: HttpRequest, author: str, name: str) -> JsonResponse:
    """The same figures as JSON, for scripts and for charts refreshed without reloading the page."""
    try:
        mix, _, range_key = _params(request)
    except QueryError as exc:
        return json_error(400, "bad_parameter", str(exc))
    model = _lookup(author, name)
    if model is None:
        return json_error(404, "not_found", f"unknown model {author}/{name}")
    rows = offers_for_model(model, mix=mix)
    return JsonResponse(_figures(model, rows, mix, range_key)[0])
