"""Together AI: ``GET https://api.together.xyz/v1/models`` with ``Authorization: Bearer``.

A bare JSON array: ``[{"id": "meta-llama/Llama-3.3-70B-Instruct-Turbo", "type": "chat",
"display_name": ..., "context_length": 131072, "pricing": {"hourly": 0, "input": 0.88,
"output": 0.88, "base": 0, "finetune": 0}}]``. ``input``/``output`` are USD per million tokens;
``hourly`` is USD per hour of a dedicated endpoint.

Zeros are ambiguous here: a dedicated-only model shows ``hourly > 0`` with ``input = output = 0``,
and image or embedding models show zeros because they are not priced per token. Only a text
model with no hourly price and zero token prices is free.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from providers.base import ParseError, ParseResult, Payload, Quote
from providers.listing import (
    ListingCollector,
    expect_dict,
    expect_list,
    hf_id_of,
    item_id,
    kind_of,
    load,
    opt_int,
    price,
    quotes_from,
    split_suffixes,
    text,
)
from providers.units import Unit, to_decimal

UNIT = Unit.USD_PER_MILLION
PROVIDER = "together"
TEXT_TYPES = frozenset({"chat", "language", "code"})


class TogetherCollector(ListingCollector):
    slug = "together"
    name = "Together AI"
    kind = "api"
    default_interval_minutes = 60
    api_key_env = "TOGETHER_API_KEY"
    key_required = True
    default_base_url = "https://api.together.xyz"
    path = "/v1/models"

    def parse(self, payload: Payload) -> ParseResult:
        items = expect_list(load(payload.body), "Together response")
        return quotes_from(items, _quote)


def _quote(item: Any) -> Quote | None:
    """The item's serverless offer, or None when it has none (dedicated-only, non-token models)."""
    model_id = item_id(item)
    model_type = text(item.get("type")).lower()
    pricing = item.get("pricing")
    input_price = output_price = None
    hourly = Decimal(0)
    if pricing is not None:
        pricing = expect_dict(pricing, "pricing")
        input_price = price(pricing.get("input"), UNIT, what="input")
        output_price = price(pricing.get("output"), UNIT, what="output")
        if pricing.get("hourly") is not None:
            if isinstance(pricing["hourly"], bool):
                raise ParseError("hourly: expected a number")
            hourly = to_decimal(pricing["hourly"], what="hourly")
            if hourly < 0:
                raise ParseError(f"hourly: negative price {hourly}")

    no_token_price = not input_price and not output_price  # both absent or 0
    if hourly > 0 and no_token_price:
        return None  # dedicated endpoints only: priced per hour, not per token
    if model_type not in TEXT_TYPES and no_token_price:
        return None  # image, embedding, rerank ... without a token price

    price_kind = kind_of(input_price, output_price)  # text models reach here with zeros only: free
    base, variants, quantization = split_suffixes(model_id)
    extra: dict[str, Any] = {}
    if model_type:
        extra["type"] = model_type
    if hourly > 0:
        extra["hourly"] = str(hourly)
    organization = text(item.get("organization"))
    if organization:
        extra["organization"] = organization
    return Quote(
        provider=PROVIDER,
        provider_model_id=model_id,
        input=input_price,
        output=output_price,
        price_kind=price_kind,
        variant="-".join(variants),
        provider_name="Together AI",
        model_name=text(item.get("display_name")),
        hf_id=hf_id_of(base),
        quantization=quantization,
        context_length=opt_int(item.get("context_length")),
        extra=extra,
    )
