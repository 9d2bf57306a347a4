"""Chutes: ``GET https://llm.chutes.ai/v1/models``, public, no key.

``{"object": "list", "data": [{"id": "Qwen/Qwen3-32B-TEE", "root": "Qwen/Qwen3-32B-FP8",
"quantization": "fp8", "context_length": 40960, "pricing": {"prompt": 0.104, "completion": 0.416,
"input_cache_read": 0.010399999999999998}, "price": {"input": {"usd": 0.104, "tao": ...}}, ...}]}``.
Prices are USD per million tokens, sent as floats; they are read digit for digit, never through
float arithmetic. ``-TEE`` marks models run in confidential compute (all of them in 2026); the id
without it is the Hugging Face repo the model comes from.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from providers.base import ParseResult, Payload, Quote
from providers.listing import (
    ListingCollector,
    denoise,
    expect_dict,
    expect_list,
    hf_id_of,
    item_id,
    kind_of,
    load,
    opt_int,
    price,
    quotes_from,
    text,
)
from providers.units import Unit

UNIT = Unit.USD_PER_MILLION
PROVIDER = "chutes"

# pricing key -> (Quote field, key in the parallel "price" object)
_FIELDS = {
    "prompt": ("input", "input"),
    "completion": ("output", "output"),
    "input_cache_read": ("cached_input", "input_cache_read"),
}


class ChutesCollector(ListingCollector):
    slug = "chutes"
    name = "Chutes"
    kind = "api"
    default_interval_minutes = 60
    api_key_env = None
    key_required = False
    default_base_url = "https://llm.chutes.ai"
    path = "/v1/models"

    def parse(self, payload: Payload) -> ParseResult:
        root = expect_dict(load(payload.body), "Chutes response")
        items = expect_list(root.get("data"), "Chutes 'data'")
        return quotes_from(items, _quote)


def _quote(item: Any) -> Quote:
    model_id = item_id(item)
    prices: dict[str, Decimal | None] = {}
    pricing = item.get("pricing")
    usd = item.get("price")
    if pricing is not None:
        pricing = expect_dict(pricing, "pricing")
        for key, (name, _) in _FIELDS.items():
            prices[name] = denoise(price(pricing.get(key), UNIT, what=key))
    elif usd is not None:
        # Older responses carried only the {usd, tao} form.
        usd = expect_dict(usd, "price")
        for _, (name, key) in _FIELDS.items():
            part = usd.get(key)
            value = expect_dict(part, f"price.{key}").get("usd") if part is not None else None
            prices[name] = denoise(price(value, UNIT, what=f"price.{key}.usd"))

    base = model_id[: -len("-TEE")] if model_id.upper().endswith("-TEE") else model_id
    extra: dict[str, Any] = {}
    root = text(item.get("root"))
    if root:
        extra["root"] = root
    if isinstance(item.get("confidential_compute"), bool):
        extra["confidential_compute"] = item["confidential_compute"]
    chute_id = text(item.get("chute_id"))
    if chute_id:
        extra["chute_id"] = chute_id

    return Quote(
        provider=PROVIDER,
        provider_model_id=model_id,
        input=prices.get("input"),
        output=prices.get("output"),
        cached_input=prices.get("cached_input"),
        price_kind=kind_of(prices.get("input"), prices.get("output"), prices.get("cached_input")),
        provider_name="Chutes",
        hf_id=hf_id_of(base),
        quantization=text(item.get("quantization")).lower(),
        context_length=opt_int(item.get("context_length")) or opt_int(item.get("max_model_len")),
        max_output=opt_int(item.get("max_output_length")),
        extra=extra,
    )
