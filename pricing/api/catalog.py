"""Models, a model's offers (now or as of an instant) and its price history, as JSON or CSV."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import BeforeValidator, Field

from pricing import exports
from pricing.api import render
from pricing.api import schemas as s
from pricing.api.http import Built, respond
from pricing.quality.model_list import models_with_scores
from pricing.queries import OfferFilter, Workload, check_instant, parse_mix
from pricing.queries import api as q

router = Router(tags=["models"])

ERRORS = {400: s.ErrorOut, 404: s.ErrorOut, 429: s.ErrorOut}
CSV_CONTENT = {"text/csv": {"schema": {"type": "string", "description": "CSV with a header row"}}}
# The JSON endpoints answer ?format=csv with the same table as CSV.
ALSO_CSV = {"responses": {200: {"content": CSV_CONTENT}}}
ONLY_CSV = {"responses": {200: {"description": "OK", "content": CSV_CONTENT}}}

MIX = Query("3:1", pattern=r"^[0-9]{1,7}:[0-9]{1,7}$",
            description="input:output token mix for blended prices (mix), e.g. 3:1 or 1:4")


def _iso_only(value: object) -> object:
    """Query values arrive as text: ISO-8601 only. Pydantic alone would read ``1`` as epoch seconds."""
    if isinstance(value, str):
        return q.parse_instant(value, "the instant")
    return value


# An ISO-8601 instant from a query parameter, within the range pricing.queries.check_instant allows.
Instant = Annotated[datetime, BeforeValidator(_iso_only)]
AS_OF = Query(None, description="show prices as they stood at this instant (ISO-8601, UTC if no offset)")

class OfferFilterQuery(Schema):
    """The offer filters, read by the queries layer from the query string (one parser for pages
    and API, ``pricing.queries.filters``); declared here so the OpenAPI document describes them."""

    quantization: str | None = Field(None, max_length=200, description=(
        "only these quantizations, comma-separated: fp32, bf16, fp16, fp8, int8, fp6, int6, fp4, int4, nf4, "
        "mxfp4, nvfp4, unknown"))
    min_precision: str | None = Field(None, max_length=10, description=(
        "only offers at least this precise, by bits per weight: fp32 > bf16 = fp16 > fp8 = int8 > fp6 = int6 > "
        "fp4 = int4 = nf4 = mxfp4 = nvfp4; an unknown quantization never passes"))
    max_ttft_ms: str | None = Field(None, max_length=20, description=(
        "only offers whose median time to first token is at most this many milliseconds (offers without a "
        "figure are left out)"))
    min_tps: str | None = Field(None, max_length=20, description=(
        "only offers whose median throughput is at least this many tokens per second (offers without a figure "
        "are left out)"))
    min_context: str | None = Field(None, max_length=20, description="only offers accepting at least this many "
                                                                     "context tokens")
    current_only: str | None = Field(None, max_length=5, description=(
        "1 (default): only current offers, those still in their source's latest listing; 0: also offers no "
        "longer listed, marked current=false with ended_at"))


class HostFilterQuery(OfferFilterQuery):
    hosts_only: str | None = Field(None, max_length=5, description=(
        "1 (default): hosts only, labs selling their own model included; 0: aggregators (OpenRouter's own "
        "price) too, marked provider_kind=aggregator"))


class WorkloadQuery(Schema):
    monthly_input: str | None = Field(None, max_length=30, description=(
        "input tokens per month, e.g. 50000000 or 50M; with monthly_output gives monthly_cost and sorts by it"))
    monthly_output: str | None = Field(None, max_length=30, description="output tokens per month, e.g. 10M")
    cached_share: str | None = Field(None, max_length=10, description=(
        "share of the input tokens read from the cache, 0 to 1 or a percentage (billed at the cached-input price "
        "where an offer has one, at its input price otherwise)"))


def utc(value: datetime | None) -> datetime | None:
    return None if value is None else check_instant(value)


def _page_link(request: HttpRequest, offset: int, limit: int, count: int) -> str | None:
    if offset + limit >= count:
        return None
    params = request.GET.copy()
    params["offset"] = str(offset + limit)
    params["limit"] = str(limit)
    return f"{request.path}?{params.urlencode()}"


@router.get("/models", response={200: s.ModelsOut, **ERRORS}, summary="Every model, with its cheapest offer")
def list_models(
    request: HttpRequest,
    open_weights: bool | None = Query(None, description="only open-weight (true) or closed (false) models"),
    author: str | None = Query(None, max_length=100, description="only models by this author (lab), e.g. meta-llama"),
    search: str | None = Query(None, max_length=100, description="text in the model's slug or name"),
    mix: str = MIX,
    limit: int = Query(100, ge=1, le=q.MAX_LIMIT, description="most models per page"),
    offset: int = Query(0, ge=0, le=q.MAX_OFFSET, description="models to skip"),
    benchmark: str | None = Query(None, max_length=120, description=(
        "a benchmark slug (see /benchmarks): adds each model's score on it and points per dollar of its cheapest "
        "offer's blended price per million tokens")),
    sort: Literal["slug", "score_per_dollar"] = Query("slug", description=(
        "slug, or score_per_dollar (needs benchmark=): most points per dollar first, models without a figure after")),
) -> HttpResponse:
    mix_pair = parse_mix(mix)

    def build() -> Built:
        fetch = functools.partial(q.models_page, open_weights=open_weights, author=author, q=search, mix=mix_pair)
        rows, total, scores = models_with_scores(fetch, benchmark, sort, limit, offset)
        items = [
            s.ModelOut(
                slug=m.model.slug, name=m.model.name, author=m.model.author, open_weights=m.model.open_weights,
                params_total_b=render.dec(m.model.params_total_b), params_active_b=render.dec(m.model.params_active_b),
                context_length=m.model.context_length,
                first_party=m.model.first_party.slug if m.model.first_party_id else None,
                n_offers=m.n_offers, n_hosts=m.n_hosts, cheapest=render.cheapest(m.cheapest, m.cheapest_row),
                score=scores.get(m.model.pk),
            )
            for m in rows
        ]
        return Built(s.ModelsOut(count=total, limit=limit, offset=offset,
                                 next=_page_link(request, offset, limit, total), mix=render.mix_text(mix_pair),
                                 items=items), q.newest_change())

    return respond(request, build)


def _offers(request: HttpRequest, author: str, name: str, as_of: datetime | None, mix: str, csv: bool,
            limit: int = q.MAX_LIMIT, offset: int = 0) -> HttpResponse:
    mix_pair = parse_mix(mix)
    when = utc(as_of)
    offer_filter = OfferFilter.parse(request.GET)
    workload = Workload.parse(request.GET)

    def build() -> Built:
        model = q.model_by_slug(f"{author}/{name}")
        rows, total = q.offers_of_model(model, as_of=when, mix=mix_pair, offer_filter=offer_filter,
                                        workload=workload, limit=limit, offset=offset)
        seen = max((r.last_seen for r in rows if r.last_seen), default=None)
        if csv:
            stamp = f"-{when:%Y%m%dT%H%M%SZ}" if when else ""
            return Built(exports.offers_csv(rows), seen, "text/csv; charset=utf-8",
                         f"{author}-{name}-offers{stamp}.csv")
        return Built(s.OffersOut(model=model.slug, as_of=when, mix=render.mix_text(mix_pair), count=total,
                                 limit=limit, offset=offset, next=_page_link(request, offset, limit, total),
                                 workload=render.workload(workload), items=[render.offer(r) for r in rows]), seen)

    return respond(request, build)


PAGE_PARAMS = dict(
    limit=Query(q.MAX_LIMIT, ge=1, le=q.MAX_LIMIT, description="most offers per page"),
    offset=Query(0, ge=0, le=q.MAX_OFFSET, description="offers to skip"),
)


@router.get("/models/{author}/{name}/offers", response={200: s.OffersOut, **ERRORS}, openapi_extra=ALSO_CSV,
            summary="A model's offers now, or as of an instant")
def model_offers(
    request: HttpRequest, author: str, name: str, filters: Query[HostFilterQuery], workload: Query[WorkloadQuery],
    as_of: Instant | None = AS_OF, mix: str = MIX,
    format: Literal["json", "csv"] = Query("json", description="json, or csv for a spreadsheet"),
    limit: int = PAGE_PARAMS["limit"], offset: int = PAGE_PARAMS["offset"],
) -> HttpResponse:
    """Current host offers of the model (slug ``author/name``), cheapest blended first (cheapest
    monthly cost first when a workload is given). Prices in USD per million tokens; each offer
    says when its price was last seen (``last_seen``) and its speed measured (``perf_at``)."""
    return _offers(request, author, name, as_of, mix, format == "csv", limit, offset)


@router.get("/models/{author}/{name}/offers.csv", response=ERRORS, openapi_extra=ONLY_CSV,
            summary="A model's offers as CSV")
def model_offers_csv(
    request: HttpRequest, author: str, name: str, filters: Query[HostFilterQuery], workload: Query[WorkloadQuery],
    as_of: Instant | None = AS_OF, mix: str = MIX, limit: int = PAGE_PARAMS["limit"],
    offset: int = PAGE_PARAMS["offset"],
) -> HttpResponse:
    return _offers(request, author, name, as_of, mix, True, limit, offset)


def _history(request: HttpRequest, author: str, name: str, provider: str | None, since: datetime | None,
             until: datetime | None, limit: int, offset: int, csv: bool) -> HttpResponse:
    start, end = utc(since), utc(until)

    def build() -> Built:
        model = q.model_by_slug(f"{author}/{name}")
        periods, total = q.history(model, provider=provider, since=start, until=end, limit=limit, offset=offset)
        seen = max((p.last_seen for p in periods), default=None)
        if csv:
            return Built(exports.history_csv(model.slug, periods), seen, "text/csv; charset=utf-8",
                         f"{author}-{name}-history.csv")
        return Built(s.HistoryOut(model=model.slug, count=total, limit=limit, offset=offset,
                                  next=_page_link(request, offset, limit, total),
                                  offers=render.history_groups(periods)), seen)

    return respond(request, build)


HISTORY_PARAMS = dict(
    provider=Query(None, max_length=64, description="only this provider's offers (slug)"),
    since=Query(None, description="only periods still valid at or after this instant (ISO-8601)"),
    until=Query(None, description="only periods that began before this instant (ISO-8601)"),
    limit=Query(1000, ge=1, le=q.MAX_HISTORY_LIMIT, description="most periods per page"),
    offset=Query(0, ge=0, le=q.MAX_OFFSET, description="periods to skip"),
)


@router.get("/models/{author}/{name}/history", response={200: s.HistoryOut, **ERRORS}, openapi_extra=ALSO_CSV,
            summary="Price periods of a model's offers")
def model_history(
    request: HttpRequest, author: str, name: str,
    provider: str | None = HISTORY_PARAMS["provider"], since: Instant | None = HISTORY_PARAMS["since"],
    until: Instant | None = HISTORY_PARAMS["until"], limit: int = HISTORY_PARAMS["limit"],
    offset: int = HISTORY_PARAMS["offset"],
    format: Literal["json", "csv"] = Query("json", description="json, or csv for a spreadsheet"),
) -> HttpResponse:
    """Every price period (change points, not polls) of every offer of the model, per source, in time order."""
    return _history(request, author, name, provider, since, until, limit, offset, format == "csv")


@router.get("/models/{author}/{name}/history.csv", response=ERRORS, openapi_extra=ONLY_CSV,
            summary="Price periods of a model's offers as CSV")
def model_history_csv(
    request: HttpRequest, author: str, name: str,
    provider: str | None = HISTORY_PARAMS["provider"], since: Instant | None = HISTORY_PARAMS["since"],
    until: Instant | None = HISTORY_PARAMS["until"], limit: int = HISTORY_PARAMS["limit"],
    offset: int = HISTORY_PARAMS["offset"],
) -> HttpResponse:
    return _history(request, author, name, provider, since, until, limit, offset, True)
