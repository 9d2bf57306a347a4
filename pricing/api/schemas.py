"""Response shapes of the API. Every field says its unit; money is a decimal string, never a float."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from pricing.quality.schemas import CompareQualityOut, ModelScoreOut

# A plain decimal numeral as money.plain() writes it: no exponent, no sign, no float rounding.
DECIMAL_PATTERN = r"^[0-9]+(\.[0-9]+)?$"


def _money(what: str) -> Any:
    return Field(None, description=f"{what}, USD per million tokens, as a decimal string (null when unknown)",
                 pattern=DECIMAL_PATTERN)


def _dec(description: str) -> Any:
    return Field(None, description=f"{description}, as a decimal string (null when unknown)", pattern=DECIMAL_PATTERN)


Money = Annotated[str | None, Field(pattern=DECIMAL_PATTERN)]


class ErrorBody(Schema):
    code: str = Field(description="machine-readable reason: bad_parameter, not_found, throttled, server_error")
    message: str = Field(description="what went wrong, for a person")
    details: list[dict[str, Any]] | None = Field(None, description="per-parameter problems, when there are several")


class ErrorOut(Schema):
    error: ErrorBody


class Page(Schema):
    count: int = Field(description="number of items matching the filters, across all pages")
    limit: int = Field(description="most items per page")
    offset: int = Field(description="items skipped before this page")
    next: str | None = Field(description="path and query of the next page, or null on the last page")


class CheapestOut(Schema):
    provider: str = Field(description="provider slug")
    variant: str = Field(description="offer variant ('' for the provider's default offer)")
    input: str | None = _money("input price")
    output: str | None = _money("output price")
    mix: str | None = _money("blended price at the request's input:output mix")
    source: str = Field(description="slug of the source the price came from")
    last_seen: datetime | None = Field(None, description="when this price was last seen, UTC")
    stale: bool = Field(False, description="whether its source's last complete run is older than its staleness limit")


class ModelOut(Schema):
    slug: str = Field(description="canonical slug, author/name")
    name: str = Field(description="display name")
    author: str = Field(description="the lab that made the model")
    open_weights: bool | None = Field(description="whether the weights are published (null when unknown)")
    params_total_b: str | None = _dec("total parameters, billions")
    params_active_b: str | None = _dec("parameters active per token (mixture of experts), billions")
    context_length: int | None = Field(description="longest context the model supports, tokens")
    first_party: str | None = Field(description="slug of the provider that made the model, if it sells it")
    n_offers: int = Field(description="number of current offers (provider x variant) with a price, hosts only")
    n_hosts: int = Field(0, description="number of hosts with a current offer (labs selling their own model count; "
                                        "aggregators do not)")
    cheapest: CheapestOut | None = Field(description="the cheapest current paid host offer at the mix (never an "
                                                     "aggregator), or null when none")
    score: ModelScoreOut | None = Field(None, description="with benchmark=<slug>: the model's score on it and points "
                                                          "per dollar; null without benchmark= or without a score")


class ModelsOut(Page):
    mix: str = Field(description="input:output token mix used for blended prices, e.g. 3:1")
    items: list[ModelOut]


class OfferOut(Schema):
    model: str = Field(description="canonical model slug, author/name")
    provider: str = Field(description="provider slug")
    provider_name: str = Field(description="provider display name (provider-supplied text)")
    variant: str = Field(description="offer variant such as fp8, turbo, free, batch ('' for the default offer)")
    quantization: str = Field(description="weight precision as the provider states it, e.g. fp8 ('' when unknown)")
    context_length: int | None = Field(description="longest context this offer accepts, tokens")
    status: str = Field(description="provider-stated status of the offer ('' when not stated)")
    input: str | None = _money("input price")
    output: str | None = _money("output price")
    cached_input: str | None = _money("cached input (cache read) price")
    cache_write: str | None = _money("cache write price")
    mix: str | None = _money("blended price at the request's input:output mix")
    price_kind: str = Field(description="fixed, free, variable (decided per request) or unknown")
    discount: str | None = Field(
        default=None,
        description="how far the price is below the host's own list price, as a fraction: 0.25 is 25% off, "
        "-0.2 a 20% surcharge; null when the source states none. The prices above already include it.",
    )
    list_input: str | None = Field(default=None, description="the host's list input price before the discount, "
                                   "USD per million tokens; null without a discount")
    list_output: str | None = Field(default=None, description="the host's list output price before the discount, "
                                    "USD per million tokens; null without a discount")
    ttft_ms: str | None = _dec("median time to first token, milliseconds")
    tps: str | None = _dec("median output throughput, tokens per second")
    uptime: str | None = _dec("uptime over the last day (or 30 minutes), percent 0-100")
    perf_source: str = Field(description="slug of the source of latency, throughput and uptime ('' when none)")
    perf_at: datetime | None = Field(description="when latency and throughput were observed, UTC")
    source: str = Field(description="slug of the source of the price")
    source_kind: str = Field(description="api (the host's own), aggregator, curated or probe")
    valid_from: datetime | None = Field(description="since when this price holds, UTC")
    first_seen: datetime | None = Field(description="when this price was first seen, UTC")
    last_seen: datetime | None = Field(description="when this price was last confirmed (seen), UTC")
    provider_kind: str = Field("host", description="lab (first-party), host or aggregator")
    current: bool = Field(True, description="whether the offer is in its source's latest listing; false only with "
                                            "current_only=0")
    ended_at: datetime | None = Field(None, description="for an offer no longer current: when it was first found "
                                                        "missing (or ended), UTC")
    stale: bool = Field(False, description="whether its source's last complete run is older than its staleness "
                                           "limit: the price is still used, and may be out of date")
    monthly_cost: str | None = Field(None, description="USD per month for the request's workload (monthly_input, "
                                                       "monthly_output, cached_share), to the cent; null without one",
                                     pattern=DECIMAL_PATTERN)


class WorkloadOut(Schema):
    monthly_input: str = Field(description="input tokens per month", pattern=DECIMAL_PATTERN)
    monthly_output: str = Field(description="output tokens per month", pattern=DECIMAL_PATTERN)
    cached_share: str = Field(description="share of input tokens read from the cache, 0 to 1", pattern=DECIMAL_PATTERN)


class OffersOut(Page):
    model: str = Field(description="canonical model slug")
    as_of: datetime | None = Field(description="the instant the offers are shown at, UTC; null means now")
    mix: str = Field(description="input:output token mix used for blended prices")
    workload: WorkloadOut | None = Field(None, description="the workload monthly_cost is computed for, or null")
    items: list[OfferOut]


class PeriodOut(Schema):
    valid_from: datetime = Field(description="start of the period, UTC")
    valid_to: datetime | None = Field(description="end of the period (exclusive), UTC; null while current")
    input: str | None = _money("input price")
    output: str | None = _money("output price")
    cached_input: str | None = _money("cached input price")
    price_kind: str = Field(description="fixed, free, variable or unknown")
    source: str = Field(description="slug of the source that reported this period")
    first_seen: datetime = Field(description="when the source first showed this price, UTC")
    last_seen: datetime = Field(description="when the source last showed this price, UTC")


class OfferHistoryOut(Schema):
    provider: str = Field(description="provider slug")
    provider_name: str = Field(description="provider display name")
    variant: str = Field(description="offer variant ('' for the default offer)")
    quantization: str = Field(description="weight precision ('' when unknown)")
    context_length: int | None = Field(description="context length, tokens")
    periods: list[PeriodOut] = Field(description="price periods in time order (several sources may overlap)")


class HistoryOut(Page):
    model: str = Field(description="canonical model slug")
    offers: list[OfferHistoryOut] = Field(description="offers with the periods on this page, grouped")


class ReferenceOut(Schema):
    model: str = Field(description="canonical model slug")
    basis: str = Field(description="how the reference was chosen: cheapest, median, first-party or provider:<slug>")
    provider: str = Field(description="provider slug of the chosen offer ('' for median or when none)")
    source: str = Field(description="slug of the source of the price ('' for median or when none)")
    input: str | None = _money("reference input price")
    output: str | None = _money("reference output price")
    cached_input: str | None = _money("reference cached input price")
    mix: str | None = _money("reference blended price at the mix")
    n_offers: int = Field(description="live paid fixed-price offers the reference was chosen among")


class PairOut(Schema):
    a: str = Field(description="model slug of the numerator")
    b: str = Field(description="model slug of the denominator")
    input: str | None = _dec("a's input price divided by b's, two decimals (null when either is unknown or b free)")
    output: str | None = _dec("a's output price divided by b's, two decimals")
    mix: str | None = _dec("a's blended price divided by b's, two decimals")


class HostPriceOut(Schema):
    variant: str = Field(description="the host's offer standing for its list price ('' = default)")
    quantization: str = Field(description="as the host states it ('' when unknown)")
    input: str | None = _money("input price")
    output: str | None = _money("output price")
    mix: str | None = _money("blended price at the mix")


class HostPairOut(Schema):
    provider: str = Field(description="slug of a host that sells both models")
    provider_name: str = Field(description="its display name (provider-supplied text)")
    provider_kind: str = Field(description="lab, host or aggregator")
    a: HostPriceOut = Field(description="the first model at this host")
    b: HostPriceOut = Field(description="the second model at this host")
    input: str | None = _dec("a's input price divided by b's at this host, two decimals")
    output: str | None = _dec("a's output price divided by b's at this host, two decimals")
    mix: str | None = _dec("a's blended price divided by b's at this host, two decimals")


class CompareOut(Schema):
    as_of: datetime | None = Field(description="the instant compared at, UTC; null means now")
    mix: str = Field(description="input:output token mix of the blended prices")
    models: list[ReferenceOut]
    pairs: list[PairOut] = Field(description="every pair (a before b in the request): how many times dearer a is")
    quality: CompareQualityOut = Field(description="benchmark scores of the models, who is best, win/loss per pair")
    hosts: list[HostPairOut] = Field(default_factory=list, description=(
        "with exactly two models: every host pricing both (paid list prices), b's cheapest first; the ratio at "
        "one host leaves out that host's margin and hardware"))


class ProviderOut(Schema):
    slug: str = Field(description="provider slug")
    name: str = Field(description="display name (provider-supplied text)")
    kind: str = Field(description="lab (first-party), host or aggregator")
    website: str = Field(description="the provider's site ('' when unknown)")
    n_offers: int = Field(description="live offers with a current price")
    n_models: int = Field(description="distinct models among those offers")


class ProvidersOut(Page):
    items: list[ProviderOut]


class ProviderDetailOut(Page):
    provider: ProviderOut
    mix: str = Field(description="input:output token mix used for blended prices")
    offers: list[OfferOut] = Field(description="a page of the provider's current offers by model, then variant "
                                               "(limit, offset)")


class ChangeOut(Schema):
    id: str = Field(description="stable public id of the event (UUID)")
    kind: str = Field(description="price, new_offer, removed, attribute or returned")
    at: datetime = Field(description="when the change took effect, UTC")
    model: str = Field(description="canonical model slug")
    provider: str = Field(description="provider slug")
    variant: str = Field(description="offer variant ('' for the default offer)")
    source: str = Field(description="slug of the source that saw the change")
    field: str = Field(description="for attribute changes, which attribute; '' otherwise")
    old: dict[str, Any] | None = Field(
        description="state before: prices as decimal strings in USD per million tokens, and price_kind; or the attribute"
    )
    new: dict[str, Any] | None = Field(description="state after, same shape as old")
    text: str = Field("", description=(
        "what changed, in words, only what moved, as pages and feeds print it (e.g. 'cached input — → $7.50 per "
        "M tokens'); old and new keep the exact values"))


class ChangesOut(Schema):
    items: list[ChangeOut]
    next_cursor: str | None = Field(description="pass as cursor= for the next (older) page; null on the last page")
    limit: int = Field(description="most items per page")


class SourceStatusOut(Schema):
    source: str = Field(description="source slug")
    name: str = Field(description="source display name")
    kind: str = Field(description="api, aggregator, curated or probe")
    enabled: bool = Field(description="whether collection is scheduled")
    last_complete: datetime | None = Field(description="when the last complete or partial run finished, UTC")
    last_slot: datetime | None = Field(description="schedule slot of the newest run, UTC")
    last_status: str | None = Field(description="status of the newest run")
    n_failed: int = Field(description="failed or refused runs on record")
    failed_since: int = Field(description="failed or refused runs since the last complete or partial one")
    stale: bool = Field(description="whether the last complete or partial run is older than the source's staleness "
                                    "limit (three collection intervals, or three days without a schedule); a stale "
                                    "source's prices are still used, and marked stale on each offer")


class RunOut(Schema):
    source: str = Field(description="source slug")
    slot: datetime = Field(description="start of the schedule slot this run fills, UTC")
    status: str = Field(description="pending, running, complete, partial, failed, refused or skipped")
    trigger: str = Field(description="what started it: beat, command, reconciler, file or snapshot")
    started: datetime | None = Field(description="UTC")
    finished: datetime | None = Field(description="UTC")
    n_seen: int = Field(description="offers seen")
    n_changed: int = Field(description="price changes")
    n_new: int = Field(description="new offers")
    n_rejected: int = Field(description="quotes refused by a guard")
    n_removed: int = Field(description="offers marked removed")
    error: str = Field(description="what failed, first 500 characters ('' when none)")


class RunsOut(Page):
    sources: list[SourceStatusOut] = Field(description="freshness per source")
    items: list[RunOut]
