"""Reference prices of several models and how many times dearer each is than the others."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from pricing import ratios
from pricing.api import render
from pricing.api import schemas as s
from pricing.api.catalog import AS_OF, ERRORS, MIX, Instant, utc
from pricing.api.http import Built, respond
from pricing.quality.api import compare_block
from pricing.queries import QueryError, offers_for_models, parse_mix
from pricing.queries import api as q

router = Router(tags=["compare"])


@router.get("/compare", response={200: s.CompareOut, **ERRORS}, summary="Compare models' reference prices")
def compare(
    request: HttpRequest,
    models: str = Query(..., max_length=2000,
                        description="comma-separated model slugs, 1 to 12, e.g. openai/o1,deepseek/deepseek-r1"),
    basis: str = Query("cheapest", max_length=2000, description=(
        "how each model's reference price is chosen: cheapest, median, first-party or provider:<slug>; "
        "one for all models, or comma-separated, one per model")),
    mix: str = MIX,
    as_of: Instant | None = AS_OF,
) -> HttpResponse:
    """Ratios are a's price divided by b's, for input, output and the blend at ``mix``."""
    slugs = [slug.strip() for slug in models.split(",") if slug.strip()]
    bases = [b.strip() for b in basis.split(",")]
    if len(bases) not in (1, len(slugs)):
        raise QueryError("basis must be one value or one per model")
    mix_pair = parse_mix(mix)
    when = utc(as_of)

    def build() -> Built:
        found = ratios.resolve_models(slugs)
        refs = ratios.references(found, basis=bases if len(bases) > 1 else bases[0], mix=mix_pair, as_of=when)
        pairs = [
            s.PairOut(a=p.a, b=p.b, input=render.ratio(p.input), output=render.ratio(p.output), mix=render.ratio(p.blended))
            for p in ratios.pairs(refs)
        ]
        hosts = []
        if len(found) == 2:
            rows = offers_for_models(found, as_of=when, mix=mix_pair, perf=False)
            hosts = [render.host_pair(p) for p in ratios.host_pairs(rows[found[0].id], rows[found[1].id])]
        return Built(s.CompareOut(as_of=when, mix=render.mix_text(mix_pair),
                                  models=[render.reference(r) for r in refs], pairs=pairs, hosts=hosts,
                                  quality=compare_block(found, refs, when)), q.newest_change())

    return respond(request, build)
