"""The /api/v1/models list with quality: each model's score on a chosen benchmark and its points
per dollar, and that as a sort key (``?benchmark=<slug>&sort=score_per_dollar``)."""

from __future__ import annotations

from decimal import Decimal

from pricing.money import plain
from pricing.quality import queries as q
from pricing.quality import schemas as s
from pricing.quality.models import Benchmark, Score
from pricing.queries import QueryError
from pricing.queries import api as qa


def _text(value) -> str | None:
    return None if value is None else plain(value)


def models_with_scores(fetch, benchmark: str | None, sort: str, limit: int, offset: int) -> tuple[list, int, dict]:
    """The /models list with each model's score on ``benchmark`` and its points per dollar (at its
    cheapest offer), optionally ordered by points per dollar (most first; models without a figure
    after, by slug). ``fetch(limit=, offset=)`` is the list's own page read, filters applied."""
    if sort == "score_per_dollar" and not benchmark:
        raise QueryError("sort=score_per_dollar needs benchmark=<slug> (see /api/v1/benchmarks)")
    bench = Benchmark.objects.filter(slug=benchmark).first() if benchmark else None
    if benchmark and bench is None:
        raise LookupError(f"unknown benchmark: {benchmark[:120]}")
    if sort != "score_per_dollar":
        rows, total = fetch(limit=limit, offset=offset)
    else:
        rows, total = fetch(limit=qa.MAX_LIMIT, offset=0)
        while len(rows) < total:
            more, _ = fetch(limit=qa.MAX_LIMIT, offset=len(rows))
            if not more:
                break
            rows += more
    if bench is None:
        return rows, total, {}
    scores = list(Score.objects.filter(benchmark=bench).select_related("benchmark"))
    covered: dict[str, int] = {}
    for sc in scores:
        covered[sc.evaluator] = covered.get(sc.evaluator, 0) + 1
    by_model: dict[int, list[Score]] = {}
    for sc in scores:
        by_model.setdefault(sc.model_id, []).append(sc)
    out = {}
    for row in rows:
        found = by_model.get(row.model.pk)
        if found:
            sc = q.pick(found, covered)
            out[row.model.pk] = s.ModelScoreOut(
                benchmark=bench.slug, score=plain(sc.value), evaluator=sc.evaluator, self_reported=sc.self_reported,
                citation=sc.citation, score_per_dollar=_text(q.per_dollar(sc.value, row.cheapest.blended, bench)))
    if sort == "score_per_dollar":
        def key(row):
            item = out.get(row.model.pk)
            return Decimal(item.score_per_dollar) if item and item.score_per_dollar else None

        known = sorted((r for r in rows if key(r) is not None), key=lambda r: (-key(r), r.model.slug))
        rest = [r for r in rows if key(r) is None]
        rows = (known + rest)[offset : offset + limit]
    return rows, total, out
