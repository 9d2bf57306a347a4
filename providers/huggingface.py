"""Hugging Face Inference Providers router: live per-provider prices, latency and throughput.

``GET https://router.huggingface.co/v1/models`` lists every model the router serves, each with the
providers behind it: ``{"object": "list", "data": [{"id": "deepseek-ai/DeepSeek-R1", "providers":
[{"provider": "together", "status": "live", "context_length": 163840, "pricing": {"input": 3,
"output": 7}, "first_token_latency_ms": 410, "throughput": 62.5, ...}]}]}``. Prices are USD per
million tokens and include Hugging Face's markup, if any. No key is needed; ``HF_TOKEN`` is sent
when set.
"""

from __future__ import annotations

from typing import Any

from providers.base import ParseError, ParseResult, Payload, PerfSample, PriceKind, Quote
from providers.listing import (
    ListingCollector,
    expect_dict,
    expect_list,
    hf_id_of,
    item_id,
    kind_of,
    label,
    load,
    opt_int,
    opt_measure,
    price,
    text,
)
from providers.names import provider_slug
from providers.units import Unit

UNIT = Unit.USD_PER_MILLION


class HuggingFaceCollector(ListingCollector):
    slug = "huggingface"
    name = "Hugging Face Inference Providers"
    kind = "aggregator"
    default_interval_minutes = 60
    api_key_env = "HF_TOKEN"
    key_required = False
    default_base_url = "https://router.huggingface.co"
    path = "/v1/models"

    def parse(self, payload: Payload) -> ParseResult:
        root = expect_dict(load(payload.body), "HF router response")
        items = expect_list(root.get("data"), "HF router 'data'")
        result = ParseResult()
        for index, item in enumerate(items):
            try:
                model_id = item_id(item)
                providers = item.get("providers")
                if providers is None:
                    continue
                providers = expect_list(providers, "providers")
            except ParseError as exc:
                result.rejected.append((label(item, index), str(exc)))
                continue
            for entry in providers:
                try:
                    quote, sample = _offer(model_id, entry)
                except ParseError as exc:
                    where = entry.get("provider") if isinstance(entry, dict) else None
                    result.rejected.append((model_id, f"provider {where!r:.40}: {exc}"))
                    continue
                result.quotes.append(quote)
                if sample is not None:
                    result.samples.append(sample)
        return result


def _offer(model_id: str, entry: Any) -> tuple[Quote, PerfSample | None]:
    entry = expect_dict(entry, "provider entry")
    raw_provider = text(entry.get("provider"))
    if not raw_provider:
        raise ParseError("provider entry has no provider name")
    provider = provider_slug(raw_provider)
    if not provider:
        raise ParseError(f"provider name {raw_provider!r:.40} has no usable slug")
    status = text(entry.get("status"))
    hf_id = hf_id_of(model_id)
    pricing = entry.get("pricing")
    extra: dict[str, Any] = {}
    if isinstance(entry.get("is_free"), bool):
        extra["is_free"] = entry["is_free"]
    for flag in ("supports_tools", "supports_structured_output", "is_model_author"):
        if isinstance(entry.get(flag), bool):
            extra[flag] = entry[flag]

    input_price = output_price = None
    if status != "error" and pricing is not None:
        pricing = expect_dict(pricing, "pricing")
        input_price = price(pricing.get("input"), UNIT, what="input")
        output_price = price(pricing.get("output"), UNIT, what="output")
    # An erroring provider or one without pricing says nothing about cost: unknown, never free.
    price_kind = kind_of(input_price, output_price) if status != "error" else PriceKind.UNKNOWN

    quote = Quote(
        provider=provider,
        provider_model_id=model_id,
        input=input_price,
        output=output_price,
        price_kind=price_kind,
        provider_name=raw_provider,
        hf_id=hf_id,
        context_length=opt_int(entry.get("context_length")),
        status=status,
        extra=extra,
    )
    ttft = opt_measure(entry.get("first_token_latency_ms"))
    tps = opt_measure(entry.get("throughput"))
    sample = None
    if ttft is not None or tps is not None:
        sample = PerfSample(
            provider=provider,
            provider_model_id=model_id,
            window="live",
            ttft_p50_ms=ttft,
            tps_p50=tps,
            hf_id=hf_id,
        )
    return quote, sample
