"""Quality on pages: the compare page's quality section, a model's quality card, a benchmark's
own page (scores against price, frontier, points per dollar) and the list of benchmarks."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.html import json_script

from pricing.models import Model
from pricing.quality import charts
from pricing.quality import queries as q
from pricing.quality.models import Benchmark
from pricing.queries import QueryError, check_basis, parse_mix
from pricing.queries.pages import end_of_day, parse_day
from pricing.ratios import references
from pricing.views.common import bad_request, mix_label, not_found

SORT_LABELS = {"score": "score", "price": "price", "per_dollar": "points per $"}


def _chosen(lines: list[q.Line], slug: str | None) -> tuple[q.Line | None, str]:
    """The benchmark the chart is drawn for: the one asked for, else the one most models share."""
    if slug:
        for line in lines:
            if line.benchmark.slug == slug:
                return line, ""
    ranked = sorted(lines, key=lambda ln: -ln.n_scored)
    note = f"None of these models has a score on {slug[:60]!r}." if slug else ""
    return (ranked[0] if ranked else None), note


def _hidden(params: QueryDict, drop: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(k, v) for k, values in params.lists() if k not in drop for v in values]


def compare_context(models: list[Model], refs: list, params: QueryDict, mix: str, as_of: date | None = None) -> dict:
    """What ``templates/pricing/_compare_quality.html`` shows for the models being compared.
    ``refs`` are the compare page's reference prices, in the order of ``models``."""
    lines = q.table(models, as_of)
    names = [m.name for m in models]
    prices = [r.blended for r in refs]
    last = len(models) - 1
    pairs = [{"a": names[i], "b": names[last], "tally": q.tally(lines, i, last),
              "sentence": q.sentence(lines, names, prices, i, last)} for i in range(last)]
    coverage = q.coverage(lines, len(models)) if len(models) >= 3 else []
    rows = [{"line": ln, "cells": list(zip(ln.scores, [i in ln.best for i in range(len(models))], strict=True)),
             "best": [names[i] for i in ln.best]} for ln in lines]
    # Benchmarks two or more of them were run on first; those only one was run on below.
    out = {"q_lines": rows, "q_shared": [r for r in rows if r["line"].n_scored >= 2],
           "q_single": [r for r in rows if r["line"].n_scored < 2], "q_names": names, "q_models": models, "q_pairs": pairs,
           "q_coverage": [{"on": names[c.on] if c.on is not None else None, "n": c.n, "ties": c.ties,
                           "best": list(zip(names, c.best, strict=True))} for c in coverage],
           "q_mix": mix, "q_hidden": _hidden(params, ("benchmark", "qsort")), "q_sorts": SORT_LABELS}
    chosen, note = _chosen(lines, params.get("benchmark"))
    out["q_note"] = note
    if chosen is not None:
        scores = [s for s in chosen.scores if s is not None]
        by_slug = {m.slug: r for m, r in zip(models, refs, strict=True)}
        items = q.points(chosen.benchmark, scores, by_slug, {m.slug: m.name for m in models})
        sort = params.get("qsort") or "per_dollar"
        out.update({"q_bench": chosen.benchmark, "q_points": q.sort_points(items, sort, chosen.benchmark),
                    "q_sort": sort if sort in q.SORTS else "score",
                    "q_figure": json_script(charts.price_quality_figure(chosen.benchmark, items, mix),
                                            "fig-quality")})
    return out


def model_card_context(model: Model) -> dict:
    scores = q.scores_of(model)
    places = q.ranks(scores)
    for score in scores:
        score.place, score.of = places[score.pk]
    return {"q_model": model, "q_scores": scores,
            "q_n_self": sum(1 for s in scores if s.self_reported), "q_n_third": sum(1 for s in scores if not s.self_reported)}


def benchmarks_index(request: HttpRequest) -> HttpResponse:
    return render(request, "quality/benchmarks.html", {"benchmarks": q.benchmarks_with_counts()})


def benchmark_page(request: HttpRequest, slug: str) -> HttpResponse:
    bench = Benchmark.objects.filter(slug=slug).first()
    if bench is None:
        return not_found(request, f"No benchmark {slug} is tracked.")
    try:
        mix = parse_mix(request.GET.get("mix"))
        basis = check_basis(request.GET.get("basis") or "first-party")
        day = parse_day(request.GET.get("as_of"))
        sort = request.GET.get("sort") or "per_dollar"
        if sort not in q.SORTS:
            raise QueryError(f"sort must be one of {', '.join(q.SORTS)}, not {sort[:20]!r}")
    except QueryError as exc:
        return bad_request(request, str(exc))
    scores = q.scores_on(bench)
    models = list({s.model.pk: s.model for s in scores}.values())
    refs = {r.model_slug: r for r in references(models, basis=basis, mix=mix,
                                                as_of=end_of_day(day) if day else None)} if models else {}
    items = q.points(bench, scores, refs, {m.slug: m.name for m in models})
    return render(request, "quality/benchmark.html", {
        "bench": bench, "points": q.sort_points(items, sort, bench), "sort": sort, "sorts": SORT_LABELS,
        "basis": basis, "mix": mix_label(mix), "mix_custom": request.GET.get("mix", ""), "as_of": day,
        "form": {"basis": request.GET.get("basis", ""), "as_of": request.GET.get("as_of", "")},
        "figure": json_script(charts.price_quality_figure(bench, items, mix_label(mix)), "fig-quality"),
        "n_self": sum(1 for s in scores if s.self_reported),
    })
