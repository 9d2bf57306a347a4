"""Compare: how far apart two or more models are, on input, output, blend and the user's own mix,
now or at any date, over time, host by host, and as a matrix for three or more."""

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
from pricing.models import Model
from pricing.queries import (
    DEFAULT_MIX,
    OfferRow,
    QueryError,
    Reference,
    Workload,
    check_basis,
    offers_for_models,
    parse_mix,
)
from pricing.queries import reference as pick_reference
from pricing.queries.pages import end_of_day, model_choices, parse_day
from pricing.queries.timeline import periods_for_models, reference_sweep
from pricing.ratios import MAX_MODELS, host_pairs, matrix, ratio, resolve_models
from pricing.views.common import FieldErrors, mix_label, take_group

WORKLOAD_PARAMS = ("monthly_input", "monthly_output", "cached_share")

# "auto": the lab's own price where the lab sells the model, else the cheapest current host (an
# open model often has no first-party host, and a column of dashes compares nothing).
AUTO = "auto"
BASIS_CHOICES = [(AUTO, "first-party, else the cheapest host"), ("first-party", "first-party (the lab's own price)"),
                 ("cheapest", "cheapest host"), ("median", "median host")]


@dataclass
class Row:
    """One model against the last one named (the baseline)."""

    ref: Reference
    name: str
    input: Decimal | None
    output: Decimal | None
    blended: Decimal | None
    workload: Decimal | None
    auto: bool = False  # the basis was chosen for the user (first-party missing: cheapest)
    workload_cost: Decimal | None = None  # USD a month for the workload in the query string, if any


def _selection(request: HttpRequest) -> tuple[list[str], list[str]]:
    """(model slugs, bases) from ``?models=a,b&basis=x,y`` or from the form's slots (``m`` and
    ``b`` per slot, a slot without a model ignored)."""
    text = request.GET.get("models")
    if text is not None:
        slugs = [s.strip() for s in text.split(",") if s.strip()]
        return slugs, [b.strip() for b in (request.GET.get("basis") or AUTO).split(",")]
    ms, bs = request.GET.getlist("m"), request.GET.getlist("b")
    slots = [(m.strip(), (bs[i].strip() if i < len(bs) else "")) for i, m in enumerate(ms) if m.strip()]
    if request.GET.get("basis"):
        return [m for m, _ in slots], [b.strip() for b in request.GET["basis"].split(",")]
    return [m for m, _ in slots], [b or AUTO for _, b in slots]


def _check_models(slugs: list[str]) -> list[str]:
    if len(slugs) < 2:
        raise QueryError("name at least two models to compare, e.g. models=openai/o1,deepseek/deepseek-r1")
    if len(set(slugs)) != len(slugs):
        raise QueryError("each model once, please")
    return slugs


def _check_bases(items: list[str], n: int) -> list[str]:
    if len(items) == 1:
        items = items * n
    if len(items) != n:
        raise QueryError(f"give one basis for every model or one for all ({n} models, {len(items)} bases)")
    return [b if b == AUTO else check_basis(b) for b in items]


def _resolve(model: Model, rows: list[OfferRow], basis: str, mix: tuple[int, int]) -> tuple[Reference, bool]:
    if basis != AUTO:
        return pick_reference(model, rows, basis, mix), False
    ref = pick_reference(model, rows, "first-party", mix)
    if ref.input is not None:
        return ref, False
    return pick_reference(model, rows, "cheapest", mix), True


def _form_context(request: HttpRequest, slugs: list[str], bases: list[str]) -> dict:
    n = max(4, len(slugs) + 1)
    padded = bases if len(bases) == len(slugs) else [bases[0] if bases else AUTO] * len(slugs)
    slots = list(zip(slugs + [""] * n, padded + [AUTO] * n, strict=False))[:n]
    return {"choices": model_choices(include=slugs), "bases": BASIS_CHOICES, "max_models": MAX_MODELS, "slots": slots,
            "form": {name: request.GET.get(name, "")[:20] for name in ("mix", "as_of", *WORKLOAD_PARAMS)}}


def compare(request: HttpRequest) -> HttpResponse:
    slugs, asked_bases = _selection(request)
    context = _form_context(request, slugs, asked_bases)
    if len(slugs) < 2 and "models" not in request.GET and not any(request.GET.get(k) for k in ("mix", "as_of")):
        # The empty form, or one model picked ("Compare with…" on a model page): choose the rest.
        return render(request, "pricing/compare.html", context)
    errors = FieldErrors()
    context["errors"] = errors
    mix = errors.take("mix", parse_mix, request.GET.get("mix"), default=DEFAULT_MIX)
    day = errors.take("as_of", parse_day, request.GET.get("as_of"), default=None)
    workload = take_group(errors, Workload.parse, request.GET, WORKLOAD_PARAMS, default=None)
    models: list[Model] = []
    status = 400
    try:
        models = resolve_models(_check_models(slugs))
    except QueryError as exc:
        errors["models"] = str(exc)
    except LookupError as exc:
        errors["models"] = str(exc.args[0]) if exc.args else "unknown model"
        status = 404
    bases = errors.take("basis", _check_bases, asked_bases, max(len(models), 1), default=[AUTO] * len(models))
    if not models or len(bases) != len(models):
        return render(request, "pricing/compare.html", context, status=status)
    context.update(_results(models, bases, mix, day, workload))
    return render(request, "pricing/compare.html", context, status=errors.status)


def _results(models: list[Model], bases: list[str], mix: tuple[int, int], day, workload: Workload | None) -> dict:
    as_of = end_of_day(day) if day else None
    rows = offers_for_models(models, as_of=as_of, mix=mix, perf=False)
    resolved = [_resolve(m, rows[m.id], b, mix) for m, b in zip(models, bases, strict=True)]
    refs = [ref for ref, _ in resolved]
    used = [ref.basis for ref in refs]
    # The 3:1 ratio beside the user's mix: the same offers, weighed at 3:1 (no second read).
    blend = refs if mix == DEFAULT_MIX else [pick_reference(m, rows[m.id], b, DEFAULT_MIX)
                                              for m, b in zip(models, used, strict=True)]
    names = {m.slug: m.name for m in models}
    base = refs[-1]
    table = [
        Row(ref, names[ref.model_slug], ratio(ref.input, base.input), ratio(ref.output, base.output),
            ratio(ref31.blended, blend[-1].blended), ratio(ref.blended, base.blended), auto,
            # The user's workload a month at each model's reference price (to the cent).
            workload.cost(ref.input, ref.output, ref.cached_input) if workload else None)
        for (ref, auto), ref31 in zip(resolved, blend, strict=True)
    ]
    hosts = host_pairs(rows[models[0].id], rows[models[1].id]) if len(models) == 2 else []
    providers = sorted({(r.provider_slug, r.provider_name) for group in rows.values() for r in group},
                       key=lambda p: p[1].lower())
    return {
        "rows": table, "base": table[-1], "models": models, "mix": mix_label(mix), "custom_mix": mix != DEFAULT_MIX,
        "as_of": day, "figures": _figures(models, used, refs, mix, day, as_of), "bases_used": used, "hosts": hosts,
        "missing": [r for r in table if r.ref.input is None],
        "provider_bases": [(f"provider:{slug}", name) for slug, name in providers], "workload": workload,
    }


def _figures(models: list[Model], bases: list[str], refs: list[Reference], mix: tuple[int, int], day,
             as_of) -> dict:
    labels = [charts.esc(m.name) for m in models]
    # Hashed: twelve slugs and bases would pass the 250 characters a portable cache key allows.
    spec = "|".join([",".join(m.slug for m in models), ",".join(bases), mix_label(mix), str(day or "now")])
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
    return figures
