"""Novita AI: ``GET https://api.novita.ai/openai/v1/models`` with ``Authorization: Bearer``.

``{"data": [{"id": "meta-llama/llama-3.3-70b-instruct", "title": ..., "context_size": 131072,
"input_token_price_per_m": 3900, "output_token_price_per_m": 3900}]}``: integers in units of
0.0001 USD per million tokens (3900 = $0.39/M). Newer responses also nest prices as
``pricing.prompt.{price_per_m, price_per_m_decimal}`` (and ``completion``, ``input_cache_read``,
``input_cache_write``), where ``price_per_m`` has the same 0.0001 unit and ``price_per_m_decimal``
is a USD-per-million string. The decimal string is preferred, then the nested integer, then the
flat field.

Novita's ids are lower-case OpenRouter-style slugs (OpenRouter routes to Novita under the same
ids), so they are the canonical hint; they are not Hugging Face repo ids.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from providers.base import ParseResult, Payload, Quote
from providers.listing import (
    ListingCollector,
    expect_dict,
    expect_list,
    item_id,
    kind_of,
    load,
    opt_int,
    price,
    quotes_from,
    text,
)
from providers.units import Unit

PROVIDER = "novita"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._:-]*$")
# model_type values that are not text generation; anything else (llm, chat, absent) is kept.
_NOT_TEXT = frozenset({"embedding", "embeddings", "rerank", "reranker", "image", "audio", "tts", "stt", "video"})
# nested pricing key -> (Quote field, flat field or None)
_FIELDS = {
    "prompt": ("input", "input_token_price_per_m"),
    "completion": ("output", "output_token_price_per_m"),
    "input_cache_read": ("cached_input", None),
    "input_cache_write": ("cache_write", None),
}


class NovitaCollector(ListingCollector):
    slug = "novita"
    name = "Novita AI"
    kind = "api"
    default_interval_minutes = 60
    api_key_env = "NOVITA_API_KEY"
    key_required = True
    default_base_url = "https://api.novita.ai"
    path = "/openai/v1/models"

    def parse(self, payload: Payload) -> ParseResult:
        root = expect_dict(load(payload.body), "Novita response")
        items = expect_list(root.get("data"), "Novita 'data'")
        return quotes_from(items, _quote)


def _component(item: dict[str, Any], pricing: dict[str, Any] | None, key: str, flat: str | None) -> Decimal | None:
    nested = pricing.get(key) if pricing is not None else None
    if nested is not None:
        nested = expect_dict(nested, f"pricing.{key}")
        if nested.get("price_per_m_decimal") is not None:
            return price(nested["price_per_m_decimal"], Unit.USD_PER_MILLION, what=f"pricing.{key}.price_per_m_decimal")
        if nested.get("price_per_m") is not None:
            return price(nested["price_per_m"], Unit.TEN_THOUSANDTHS_USD_PER_MILLION, what=f"pricing.{key}.price_per_m")
    if flat is not None:
        return price(item.get(flat), Unit.TEN_THOUSANDTHS_USD_PER_MILLION, what=flat)
    return None


def _quote(item: Any) -> Quote | None:
    model_id = item_id(item)
    if text(item.get("model_type")).lower() in _NOT_TEXT:
        return None
    pricing = item.get("pricing")
    pricing = expect_dict(pricing, "pricing") if pricing is not None else None
    prices = {name: _component(item, pricing, key, flat) for key, (name, flat) in _FIELDS.items()}

    extra: dict[str, Any] = {}
    if item.get("is_tiered_billing") is True or item.get("tiered_billing_configs"):
        # Long-context tiers change the price past a threshold; the base price is the first tier.
        extra["tiered"] = True
    owned_by = text(item.get("owned_by"))
    if owned_by:
        extra["owned_by"] = owned_by
    return Quote(
        provider=PROVIDER,
        provider_model_id=model_id,
        input=prices["input"],
        output=prices["output"],
        cached_input=prices["cached_input"],
        cache_write=prices["cache_write"],
        price_kind=kind_of(prices["input"], prices["output"], prices["cached_input"], prices["cache_write"]),
        provider_name="Novita AI",
        model_name=text(item.get("display_name")) or text(item.get("title")),
        canonical_hint=model_id if _SLUG.match(model_id) else "",
        context_length=opt_int(item.get("context_size")),
        max_output=opt_int(item.get("max_output_tokens")),
        extra=extra,
    )
