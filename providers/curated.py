"""Curated price datasets: simonw's llm-prices.com and pydantic's genai-prices.

Neither is a host. Both are hand-kept lists of what providers charge, in USD per million tokens,
and both can lag the providers' own pages. Their value is coverage (first-party list prices that
no API publishes: DeepSeek, OpenAI, Anthropic, Groq, Cerebras) and, for llm-prices, dates.

llm-prices (``https://www.llm-prices.com/``) publishes three shapes, all read here:

* ``current-v1.json``: ``{"updated_at": "2026-08-05", "prices": [{"id", "vendor", "name",
  "input", "output", "input_cached"}]}``, the prices in force, undated;
* ``historical-v1.json``: ``{"prices": [...]}`` with the same items plus ``from_date`` and
  ``to_date`` (ISO dates, either may be null: null ``from_date`` means "since before the dataset
  knew", null ``to_date`` means "still in force");
* the repository's source files ``data/<vendor>.json``: ``{"vendor", "models": [{"id", "name",
  "price_history": [{"input", "output", "input_cached", "from_date", "to_date"}]}]}``.

genai-prices (``prices/data.json``) is a list of providers, each with ``models``; a model's
``prices`` is one of

* a flat dict ``{"input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", ...}``
  where any field may itself be tiered ``{"base": 1.25, "tiers": [{"start": 200000, "price":
  2.5}]}`` (a long-context surcharge: the base is the price, the tiers go to ``extra``);
* a list of ``{"constraint": ..., "prices": {...}}``: the entry without a constraint is the
  default; a ``{"start_time", "end_time"}`` constraint is a time-of-day window (DeepSeek's
  standard vs off-peak hours) and goes to ``extra``; a ``{"start_date"}`` constraint is a price
  that takes effect on that date and becomes its own dated quote.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from providers.base import ParseError, ParseResult, Payload, Quote
from providers.listing import (
    ListingCollector,
    expect_dict,
    expect_list,
    hf_id_of,
    kind_of,
    load,
    opt_int,
    price,
    text,
)
from providers.names import provider_slug
from providers.units import Unit

UNIT = Unit.USD_PER_MILLION

# Vendor spellings the curated sets use that provider_slug alone would not fold into ours.
_VENDORS = {
    "meta-ai": "meta",
    "meta": "meta",
    "z.ai": "zai",
    "z-ai": "zai",
    "zhipu": "zai",
    "moonshot": "moonshotai",
    "alibaba": "qwen",
    "aws": "amazon-bedrock",
    "bedrock": "amazon-bedrock",
    "google-vertex-ai": "google-vertex",
}

# genai-prices price fields -> Quote fields; other *_mtok fields (audio, ...) are kept in extra.
_GENAI_FIELDS = {
    "input_mtok": "input",
    "output_mtok": "output",
    "cache_read_mtok": "cached_input",
    "cache_write_mtok": "cache_write",
}

_HF_PREFIX = "huggingface_"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def vendor_slug(name: str) -> str:
    """One provider slug for a curated dataset's vendor or provider id."""
    raw = name.strip().lower()
    if raw in _VENDORS:
        return _VENDORS[raw]
    slug = provider_slug(raw)
    return _VENDORS.get(slug, slug)


def parse_day(value: Any, *, what: str) -> datetime | None:
    """An ISO date (or date-time) as a timezone-aware UTC datetime; None for null."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ParseError(f"{what}: expected an ISO date, got {value!r:.40}")
    raw = value.strip()
    try:
        if _DATE.match(raw):
            return datetime.combine(date.fromisoformat(raw), time(0), tzinfo=UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        # A curated "date" without a zone is a calendar date in UTC, not local time.
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ParseError(f"{what}: not an ISO date: {raw[:40]!r}") from None


def _check_window(valid_from: datetime | None, valid_to: datetime | None) -> None:
    if valid_from is not None and valid_to is not None and valid_to <= valid_from:
        raise ParseError(f"price ends ({valid_to:%Y-%m-%d}) before it starts ({valid_from:%Y-%m-%d})")


def _label(item: Any, index: int) -> str:
    if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"].strip():
        return item["id"].strip()[:200]
    return f"#{index}"


def _model_id(item: Any) -> str:
    if not isinstance(item, dict):
        raise ParseError(f"item is a {type(item).__name__}, not an object")
    value = item.get("id")
    if not isinstance(value, str) or not value.strip():
        raise ParseError(f"item has no usable 'id': {value!r:.60}")
    return value.strip()


# --------------------------------------------------------------------------- llm-prices


class LlmPricesCollector(ListingCollector):
    slug = "llm-prices"
    name = "llm-prices.com (simonw)"
    kind = "curated"
    default_interval_minutes = 1440
    api_key_env = None
    key_required = False
    default_base_url = "https://www.llm-prices.com"
    path = "/historical-v1.json"
    payload_kind = "historical"

    def parse(self, payload: Payload) -> ParseResult:
        data = expect_dict(load(payload.body), "llm-prices response")
        result = ParseResult()
        seen: set[tuple[str, str, datetime | None]] = set()
        for index, (vendor, item, period) in enumerate(_llm_rows(data)):
            try:
                quote = _llm_quote(vendor, item, period)
            except ParseError as exc:
                result.rejected.append((_label(item, index), str(exc)))
                continue
            key = (quote.provider, quote.provider_model_id, quote.valid_from)
            if key in seen:
                result.rejected.append(
                    (quote.provider_model_id, "a second price with the same start; the first was kept")
                )
                continue
            seen.add(key)
            result.quotes.append(quote)
        return result


def _llm_rows(data: dict[str, Any]) -> Iterator[tuple[Any, Any, Any]]:
    """(vendor, model item, price record) for each of the three published shapes.

    For the flat shapes the item is its own price record; per-item shape problems surface when
    the row is read, so one bad row never hides the others.
    """
    if "prices" in data:
        for item in expect_list(data["prices"], "prices"):
            yield (item.get("vendor") if isinstance(item, dict) else None), item, item
        return
    if "models" in data:
        vendor = data.get("vendor")
        for item in expect_list(data["models"], "models"):
            history = item.get("price_history") if isinstance(item, dict) else None
            if not isinstance(history, list) or not history:
                yield vendor, item, None  # read as a rejection below
                continue
            for record in history:
                yield vendor, item, record
        return
    raise ParseError("llm-prices response has neither 'prices' nor 'models'")


def _llm_quote(vendor: Any, item: Any, record: Any) -> Quote:
    model_id = _model_id(item)
    if record is None:
        raise ParseError("no price_history")
    record = expect_dict(record, "price record")
    vendor_name = text(vendor)
    if not vendor_name:
        raise ParseError("no vendor")
    provider = vendor_slug(vendor_name)
    if not provider:
        raise ParseError(f"vendor {vendor_name[:40]!r} has no usable slug")
    input_price = price(record.get("input"), UNIT, what="input")
    output_price = price(record.get("output"), UNIT, what="output")
    cached = price(record.get("input_cached"), UNIT, what="input_cached")
    if input_price is None and output_price is None:
        raise ParseError("neither an input nor an output price")
    valid_from = parse_day(record.get("from_date"), what="from_date")
    valid_to = parse_day(record.get("to_date"), what="to_date")
    _check_window(valid_from, valid_to)
    extra: dict[str, Any] = {}
    if valid_from is None and valid_to is not None:
        # A superseded price whose start the dataset does not know: keep the end for the record.
        extra["start_unknown"] = True
    return Quote(
        provider=provider,
        provider_model_id=model_id,
        input=input_price,
        output=output_price,
        cached_input=cached,
        price_kind=kind_of(input_price, output_price, cached),
        model_name=text(item.get("name")),
        valid_from=valid_from,
        valid_to=valid_to,
        extra=extra,
    )


# --------------------------------------------------------------------------- genai-prices


class GenaiPricesCollector(ListingCollector):
    slug = "genai-prices"
    name = "genai-prices (pydantic)"
    kind = "curated"
    default_interval_minutes = 1440
    api_key_env = None
    key_required = False
    default_base_url = "https://raw.githubusercontent.com"
    path = "/pydantic/genai-prices/main/prices/data.json"
    payload_kind = "data"

    def parse(self, payload: Payload) -> ParseResult:
        data = load(payload.body)
        if isinstance(data, dict) and "providers" in data:  # tolerate a wrapped list
            data = data["providers"]
        providers = expect_list(data, "genai-prices response")
        result = ParseResult()
        # The HF-router copies (huggingface_together, ...) repeat what the host lists itself;
        # read the hosts' own entries first so those win when both name the same model.
        ordered = sorted(
            enumerate(providers),
            key=lambda pair: isinstance(pair[1], dict) and str(pair[1].get("id", "")).startswith(_HF_PREFIX),
        )
        seen: set[tuple[str, str, str, datetime | None]] = set()
        for p_index, entry in ordered:
            try:
                provider, route, models = _genai_provider(entry)
            except ParseError as exc:
                result.rejected.append((f"provider {_label(entry, p_index)}", str(exc)))
                continue
            for m_index, item in enumerate(models):
                try:
                    quotes = _genai_quotes(provider, route, item)
                except ParseError as exc:
                    result.rejected.append((_label(item, m_index), f"{provider}: {exc}"))
                    continue
                for quote in quotes:
                    key = (quote.provider, quote.provider_model_id, quote.variant, quote.valid_from)
                    if key in seen:
                        result.rejected.append(
                            (quote.provider_model_id, f"{provider}: listed twice (via {route or 'direct'}); first kept")
                        )
                        continue
                    seen.add(key)
                    result.quotes.append(quote)
        return result


def _genai_provider(entry: Any) -> tuple[str, str, list[Any]]:
    """(provider slug, route, models): ``huggingface_together`` -> (together, huggingface)."""
    provider_id = _model_id(entry)
    route = ""
    host = provider_id
    if provider_id.lower().startswith(_HF_PREFIX):
        route = "huggingface"
        host = provider_id[len(_HF_PREFIX) :]
    slug = vendor_slug(host)
    if not slug:
        raise ParseError(f"provider id {provider_id[:40]!r} has no usable slug")
    models = entry.get("models", [])
    return slug, route, expect_list(models, "models")


def _field_price(value: Any, *, what: str, extra: dict[str, Any]) -> Decimal | None:
    """One price field; a tiered field gives its base and leaves its tiers in ``extra``."""
    if isinstance(value, dict):
        if "base" not in value:
            raise ParseError(f"{what}: tiered price without 'base'")
        base = price(value.get("base"), UNIT, what=f"{what}.base")
        tiers = []
        for tier in expect_list(value.get("tiers", []), f"{what}.tiers"):
            tier = expect_dict(tier, f"{what} tier")
            start = opt_int(tier.get("start"))
            if start is None:
                raise ParseError(f"{what}: tier without a positive integer 'start'")
            tier_price = price(tier.get("price"), UNIT, what=f"{what} tier price")
            if tier_price is None:
                raise ParseError(f"{what}: tier without a price")
            tiers.append({"start": start, "price": str(tier_price)})
        if tiers:
            extra.setdefault("tiers", {})[what] = tiers
        return base
    return price(value, UNIT, what=what)


def _price_set(prices: Any, *, extra: dict[str, Any]) -> dict[str, Decimal | None]:
    """Quote price fields from one genai-prices ``ModelPrice`` dict."""
    prices = expect_dict(prices, "prices")
    result: dict[str, Decimal | None] = {}
    for key, value in prices.items():
        if key in _GENAI_FIELDS:
            result[_GENAI_FIELDS[key]] = _field_price(value, what=key, extra=extra)
        elif key == "requests_kcount":
            per_thousand = price(value, UNIT, what=key)
            result["per_request"] = None if per_thousand is None else (per_thousand / 1000).normalize()
        elif key.endswith("_mtok"):
            other = _field_price(value, what=key, extra=extra)
            if other is not None:
                extra.setdefault("other_prices", {})[key] = str(other)
    return result


def _readable(prices: dict[str, Decimal | None]) -> dict[str, str]:
    return {name: str(value) for name, value in prices.items() if value is not None}


def _genai_quotes(provider: str, route: str, item: Any) -> list[Quote]:
    model_id = _model_id(item)
    raw = item.get("prices")
    if raw is None:
        raise ParseError("no prices")
    extra: dict[str, Any] = {}
    if route:
        extra["route"] = route
    # Periods: (valid_from, price set); None is the default price with no known start.
    periods: list[tuple[datetime | None, dict[str, Decimal | None]]] = []
    if isinstance(raw, dict):
        periods.append((None, _price_set(raw, extra=extra)))
    elif isinstance(raw, list):
        if not raw:
            raise ParseError("empty prices list")
        windows: list[dict[str, Any]] = []
        for entry in raw:
            entry = expect_dict(entry, "conditional price")
            constraint = entry.get("constraint")
            if constraint is None:
                periods.append((None, _price_set(entry.get("prices"), extra=extra)))
                continue
            constraint = expect_dict(constraint, "constraint")
            if "start_date" in constraint:
                start = parse_day(constraint["start_date"], what="start_date")
                periods.append((start, _price_set(entry.get("prices"), extra=extra)))
            elif "start_time" in constraint or "end_time" in constraint:
                window_prices = _price_set(entry.get("prices"), extra=extra)
                windows.append(
                    {
                        "start_time": text(constraint.get("start_time")),
                        "end_time": text(constraint.get("end_time")),
                        "prices": _readable(window_prices),
                    }
                )
            else:
                raise ParseError(f"unknown constraint {sorted(constraint)[:4]}")
        if windows:
            extra["time_of_day"] = windows
        if not periods:
            raise ParseError("only conditional prices, no default")
    else:
        raise ParseError(f"prices: expected an object or a list, got {type(raw).__name__}")

    undated = [p for p in periods if p[0] is None]
    if len(undated) > 1:
        raise ParseError("two default prices")
    periods.sort(key=lambda p: (p[0] is not None, p[0] or datetime.min.replace(tzinfo=UTC)))
    starts = [p[0] for p in periods]
    if len(set(starts)) != len(starts):
        raise ParseError("two prices start on the same date")

    # Only the HF-router copies are keyed by Hugging Face repo ids; hosts use their own spellings.
    hf_id = hf_id_of(model_id) if route == "huggingface" else ""
    quotes = []
    for index, (start, prices) in enumerate(periods):
        end = starts[index + 1] if index + 1 < len(starts) else None
        input_price, output_price = prices.get("input"), prices.get("output")
        quotes.append(
            Quote(
                provider=provider,
                provider_model_id=model_id,
                input=input_price,
                output=output_price,
                cached_input=prices.get("cached_input"),
                cache_write=prices.get("cache_write"),
                per_request=prices.get("per_request"),
                price_kind=kind_of(input_price, output_price, prices.get("cached_input")),
                model_name=text(item.get("name")),
                canonical_hint=model_id if provider == "openrouter" else "",
                hf_id=hf_id,
                context_length=opt_int(item.get("context_window")),
                valid_from=start,
                valid_to=end,
                extra=dict(extra),
            )
        )
    return quotes
