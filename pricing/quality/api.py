"""The scores API: /benchmarks, /models/{author}/{name}/scores, and the quality block of /compare."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from pricing import exports
from pricing.api.catalog import ALSO_CSV, ERRORS
from pricing.api.http import Built, respond
from pricing.money import plain
from pricing.quality import queries as q
from pricing.quality import schemas as s
from pricing.quality.models import Score
from pricing.queries import Reference
from pricing.queries import api as qa

router = Router(tags=["quality"])
FORMAT = Query("json", description="json, or csv for a spreadsheet")


def _text(value) -> str | None:
    return None if value is None else plain(value)


def _score(sc: Score) -> s.ScoreOut:
    b = sc.benchmark
    return s.ScoreOut(benchmark=b.slug, benchmark_name=b.name, metric=b.metric, higher_is_better=b.higher_is_better,
                      score=plain(sc.value), evaluator=sc.evaluator, self_reported=sc.self_reported,
                      settings=sc.settings, evaluated_on=sc.evaluated_on, citation=sc.citation, source=sc.source.slug)


@router.get("/benchmarks", response={200: s.BenchmarksOut, **ERRORS}, openapi_extra=ALSO_CSV,
            summary="Every benchmark with scores")
def benchmarks(request: HttpRequest, format: Literal["json", "csv"] = FORMAT) -> HttpResponse:
    def build() -> Built:
        items = [s.BenchmarkOut(slug=b.slug, name=b.name, metric=b.metric, category=b.category,
                                higher_is_better=b.higher_is_better, n_models=b.n_models, n_scores=b.n_scores)
                 for b in q.benchmarks_with_counts()]
        if format == "csv":
            return Built(exports.rows_csv(s.BenchmarkOut, items), None, "text/csv; charset=utf-8", "benchmarks.csv")
        return Built(s.BenchmarksOut(count=len(items), items=items))

    return respond(request, build)


@router.get("/models/{author}/{name}/scores", response={200: s.ScoresOut, **ERRORS}, openapi_extra=ALSO_CSV,
            summary="A model's benchmark scores, each with who ran it and where it is written")
def model_scores(request: HttpRequest, author: str, name: str,
                 format: Literal["json", "csv"] = FORMAT) -> HttpResponse:
    def build() -> Built:
        model = qa.model_by_slug(f"{author}/{name}")
        items = [_score(sc) for sc in q.scores_of(model)]
        if format == "csv":
            return Built(exports.rows_csv(s.ScoreOut, items), None, "text/csv; charset=utf-8",
                         f"{author}-{name}-scores.csv")
        return Built(s.ScoresOut(model=model.slug, count=len(items), items=items))

    return respond(request, build)


def compare_block(models: list, refs: list[Reference], as_of: datetime | None = None) -> s.CompareQualityOut:
    """Scores of the compared models, who is best, and win/loss counts per pair (for /compare).
    With ``as_of``, only the scores published by that day count."""
    lines = q.table(models, as_of.date() if as_of else None)
    slugs = [m.slug for m in models]
    names = [m.name for m in models]
    prices = [r.blended for r in refs]
    out_lines = []
    for line in lines:
        cells = []
        for slug, sc, price in zip(slugs, line.scores, prices, strict=True):
            cells.append(s.CellOut(
                model=slug, score=_text(sc.value) if sc else None, evaluator=sc.evaluator if sc else None,
                self_reported=sc.self_reported if sc else None, citation=sc.citation if sc else None,
                score_per_dollar=_text(q.per_dollar(sc.value if sc else None, price, line.benchmark)),
            ))
        out_lines.append(s.LineOut(benchmark=line.benchmark.slug, name=line.benchmark.label,
                                   higher_is_better=line.benchmark.higher_is_better, scores=cells,
                                   best=[slugs[i] for i in line.best]))
    pairs = []
    for i in range(len(models)):
        for j in range(i + 1, len(models)):
            t = q.tally(lines, i, j)
            pairs.append(s.QualityPairOut(a=slugs[i], b=slugs[j], shared=t.shared, a_better=t.a_higher,
                                          b_better=t.b_higher, ties=t.ties,
                                          summary=q.sentence(lines, names, prices, i, j)))
    counts = [s.BestCountOut(on=slugs[c.on] if c.on is not None else None, benchmarks=c.n,
                             best=dict(zip(slugs, c.best, strict=True)), ties=c.ties)
              for c in q.coverage(lines, len(models))]
    return s.CompareQualityOut(benchmarks=out_lines, pairs=pairs, best_counts=counts)

