"""DeepInfra: ``GET https://api.deepinfra.com/models/list`` with ``Authorization: Bearer``.

A bare JSON array of models: ``[{"model_name": "deepseek-ai/DeepSeek-V3", "type":
"text-generation", "max_tokens": 163840, "quantization": "fp8", "deprecated": null,
"replaced_by": null, "pricing": {"type": "tokens", "cents_per_input_token": 0.000038,
"cents_per_output_token": 0.000089, "rate_per_input_token_cached": 0.2}}]``.

Prices are US cents per token (x 10,000 = USD per million). ``rate_per_*`` are multipliers of the
input price, not prices. ``discount`` (0-1) lowers every token price until ``discount_ends_at``
(unix seconds). Other pricing types (per second, per image, per character) are not token prices
and are skipped. Deprecated models stay listed and are kept, marked.
"""

from __future__ import annotations

from datetime import datetime
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
    scaled,
    split_suffixes,
    text,
)
from providers.units import Unit, to_decimal

UNIT = Unit.CENTS_PER_TOKEN
PROVIDER = "deepinfra"


class DeepInfraCollector(ListingCollector):
    slug = "deepinfra"
    name = "DeepInfra"
    kind = "api"
    default_interval_minutes = 60
    api_key_env = "DEEPINFRA_API_KEY"
    key_required = True
    default_base_url = "https://api.deepinfra.com"
    path = "/models/list"

    def parse(self, payload: Payload) -> ParseResult:
        items = expect_list(load(payload.body), "DeepInfra response")
        return quotes_from(items, lambda item: _quote(item, payload.fetched_at), id_key="model_name")


def _rate(pricing: dict[str, Any], key: str) -> Decimal | None:
    value = pricing.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise ParseError(f"{key}: expected a number")
    rate = to_decimal(value, what=key)
    if rate < 0:
        raise ParseError(f"{key}: negative multiplier {rate}")
    return rate


def _discount(pricing: dict[str, Any], fetched_at: datetime) -> tuple[Decimal, Any]:
    """The discount in force when the listing was fetched (0 if none or expired), and its end."""
    ends_at = pricing.get("discount_ends_at")
    discount = _rate(pricing, "discount")
    if discount is None or discount == 0:
        return Decimal(0), None
    if discount >= 1:
        raise ParseError(f"discount: {discount} would make the model free or pay the caller")
    if isinstance(ends_at, int | Decimal) and not isinstance(ends_at, bool):
        try:
            seconds = Decimal(ends_at)
            if seconds > 10**11:  # milliseconds
                seconds /= 1000
            expired = seconds.is_finite() and seconds <= Decimal(str(fetched_at.timestamp()))
        except ArithmeticError:
            expired = False
        if expired:
            return Decimal(0), ends_at
    return discount, ends_at


def _quote(item: Any, fetched_at: datetime) -> Quote | None:
    """The item's token-priced offer, or None for models priced otherwise (or private ones)."""
    model_id = item_id(item, "model_name")
    pricing = expect_dict(item.get("pricing"), "pricing") if item.get("pricing") is not None else None
    if pricing is None:
        return None
    if pricing.get("type") not in (None, "tokens"):
        return None  # per second, per image, per character, input tokens only (embeddings)
    if item.get("private") not in (None, 0, False):
        return None  # someone's own deployment, not a public offer

    list_input = price(pricing.get("cents_per_input_token"), UNIT, what="cents_per_input_token")
    list_output = price(pricing.get("cents_per_output_token"), UNIT, what="cents_per_output_token")
    cached_rate = _rate(pricing, "rate_per_input_token_cached")
    write_rate = _rate(pricing, "rate_per_input_token_cache_write")
    discount, ends_at = _discount(pricing, fetched_at)
    charged = Decimal(1) - discount

    input_price = scaled(list_input, charged, what="input")
    output_price = scaled(list_output, charged, what="output")
    cached_input = scaled(input_price, cached_rate, what="cached input") if cached_rate is not None else None
    cache_write = scaled(input_price, write_rate, what="cache write") if write_rate is not None else None

    extra: dict[str, Any] = {}
    if discount:
        extra["discount"] = str(discount)
        extra["list_input"] = None if list_input is None else str(list_input)
        extra["list_output"] = None if list_output is None else str(list_output)
        extra["list_price"] = {name: str(value) for name, value in (("input", list_input), ("output", list_output))
                               if value is not None}
        if ends_at is not None:
            extra["discount_ends_at"] = str(ends_at)
    deprecated = item.get("deprecated")
    if deprecated not in (None, False, 0):
        extra["deprecated"] = str(deprecated)
    replaced_by = text(item.get("replaced_by"))
    if replaced_by:
        extra["replaced_by"] = replaced_by
    tags = item.get("tags")
    if isinstance(tags, list):
        extra["tags"] = [tag for tag in tags if isinstance(tag, str)][:50]

    base, variants, id_quantization = split_suffixes(model_id)
    return Quote(
        provider=PROVIDER,
        provider_model_id=model_id,
        input=input_price,
        output=output_price,
        cached_input=cached_input,
        cache_write=cache_write,
        price_kind=kind_of(input_price, output_price),
        variant="-".join(variants),
        provider_name="DeepInfra",
        hf_id=hf_id_of(base),
        quantization=text(item.get("quantization")).lower() or id_quantization,
        context_length=opt_int(item.get("max_tokens")),
        status="deprecated" if "deprecated" in extra else "",
        extra=extra,
    )
