"""Compare: how far apart two or more models are, on input, output, blend and the user's own mix,
now or at any date, over time, and as a matrix for three or more."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from pricing import charts
from pricing.cache import cache_key
from pricing.queries import DEFAULT_MIX, QueryError, Reference, Workload, check_basis, parse_mix
from pricing.queries.pages import end_of_day, model_choices, parse_day
from pricing.queries.timeline import periods_for_models, reference_sweep
from pricing.ratios import MAX_MODELS, matrix, ratio, references, resolve_models
from pricing.views.common import bad_request, mix_label, not_found

BASIS_CHOICES = [("first-party", "first-party (the lab's own price)"), ("cheapest", "cheapest host"),
                 ("median", "median host")]


@dataclass
class Row:
    """One model against the last one named (the baseline)."""

    ref: Reference
    name: str
    input: Decimal | None
    output: Decimal | None
    blended: Decimal | None
    workload: Decimal | None
    workload_cost: Decimal | None  # USD a month for the workload in the query string, if any


def _slugs(request: HttpRequest) -> list[str]:
    text = request.GET.get("models")
    if text is None:
        # The no-JS form sends one select per model.
        return [s.strip() for s in request.GET.getlist("m") if s.strip()]
    return [s.strip() for s in text.split(",") if s.strip()]


def _bases(text: str | None, n: int) -> list[str]:
    items = [b.strip() for b in (text or "first-party").split(",")]
    if len(items) == 1:
        items = items * n
    if len(items) != n:
        raise QueryError(f"give one basis for every model or one for all ({n} models, {len(items)} bases)")
    return [check_basis(b) for b in items]


def compare(request: HttpRequest) -> HttpResponse:
    slugs = _slugs(request)
    context = {"choices": model_choices(include=slugs), "bases": BASIS_CHOICES, "max_models": MAX_MODELS,
               "form": {"models": slugs, "basis": request.GET.get("basis", "first-party"),
                        "mix": request.GET.get("mix", ""), "as_of": request.GET.get("as_of", ""),
                        **{k: request.GET.get(k, "") for k in ("monthly_input", "monthly_output", "cached_share")}}}
    context["slots"] = (slugs + [""] * 4)[: max(4, len(slugs) + 1)]
    if not slugs and not request.GET:
        return render(request, "pricing/compare.html", context)
    try:
        mix = parse_mix(request.GET.get("mix"))
        day = parse_day(request.GET.get("as_of"))
        if len(slugs) < 2:
            raise QueryError("name at least two models to compare, e.g. models=openai/o1,deepseek/deepseek-r1")
        if len(set(slugs)) != len(slugs):
            raise QueryError("each model once, please")
        models = resolve_models(slugs)
        bases = _bases(request.GET.get("basis"), len(models))
        workload = Workload.parse(request.GET)
    except QueryError as exc:
        return bad_request(request, str(exc))
    except LookupError as exc:
        return not_found(request, str(exc.args[0]) if exc.args else "unknown model")
    as_of = end_of_day(day) if day else None
    refs = references(models, basis=bases, mix=mix, as_of=as_of)
    blend = references(models, basis=bases, mix=DEFAULT_MIX, as_of=as_of) if mix != DEFAULT_MIX else refs
    names = {m.slug: m.name for m in models}
    base = refs[-1]
    rows = []
    a_tokens, b_tokens = mix
    for ref, ref31 in zip(refs, blend, strict=True):
        # The user's workload a month at each model's reference price (Decimal, to the cent).
        cost = workload.cost(ref.input, ref.output, ref.cached_input) if workload else None
        rows.append(Row(ref, names[ref.model_slug], ratio(ref.input, base.input), ratio(ref.output, base.output),
                        ratio(ref31.blended, blend[-1].blended), ratio(ref.blended, base.blended), cost))
    labels = [charts.esc(m.name) for m in models]
    # Hashed: twelve slugs and bases would pass the 250 characters a portable cache key allows.
    spec = "|".join([",".join(slugs), ",".join(bases), mix_label(mix), str(day or "now")])
    key = cache_key("compare-figures", hashlib.sha256(spec.encode()).hexdigest()[:32])
    figures = cache.get(key)
    if figures is None:
        end = as_of or timezone.now()
        periods = [p for p in periods_for_models([m.id for m in models]) if as_of is None or p.valid_from <= as_of]
        sweep = [s for s in reference_sweep(models, bases, periods, mix) if s[0] <= end]
        figures = {"ratio": charts.ratio_history_figure(labels, sweep, end)}
        if len(models) >= 3:
            figures["matrix"] = charts.matrix_figure(labels, matrix(refs, "blended"))
        cache.set(key, figures, timeout=3600)
    missing = [r for r in rows if r.ref.input is None]
    context.update({
        "rows": rows, "base": rows[-1], "models": models, "mix": mix_label(mix), "custom_mix": mix != DEFAULT_MIX,
        "as_of": day, "figures": figures, "missing": missing, "bases_used": bases, "workload": workload,
    })
    return render(request, "pricing/compare.html", context)
