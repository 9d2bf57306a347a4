"""Properties of the five listing parsers (HF router, Chutes, Together, DeepInfra, Novita).

Whatever arrives, ``parse`` raises ParseError or returns quotes whose prices are finite Decimals
inside [0, MAX_PER_MILLION] (or None), and whose price kind agrees with those prices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providers.base import PRICE_FIELDS, ParseError, ParseResult, PriceKind
from providers.chutes import ChutesCollector
from providers.deepinfra import DeepInfraCollector
from providers.huggingface import HuggingFaceCollector
from providers.novita import NovitaCollector
from providers.together import TogetherCollector
from providers.units import MAX_PER_MILLION
from tests.providers.listing_support import payload

COLLECTORS = {
    "huggingface": HuggingFaceCollector(),
    "chutes": ChutesCollector(),
    "together": TogetherCollector(),
    "deepinfra": DeepInfraCollector(),
    "novita": NovitaCollector(),
}

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Raw:
    """A JSON number token written as is, so exponents like 1e999999 reach the parser intact."""

    text: str


def dumps(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


def check(result: ParseResult) -> None:
    assert isinstance(result, ParseResult)
    for quote in result.quotes:
        assert isinstance(quote.provider, str) and quote.provider
        assert isinstance(quote.provider_model_id, str) and quote.provider_model_id
        prices = quote.prices()
        for name in PRICE_FIELDS:
            value = prices[name]
            if value is None:
                continue
            assert isinstance(value, Decimal), (name, value)
            assert value.is_finite(), (name, value)
            assert Decimal(0) <= value <= MAX_PER_MILLION, (name, value)
        stated = [v for v in prices.values() if v is not None]
        if quote.price_kind is PriceKind.FREE:
            assert stated and all(v == 0 for v in stated)
        if quote.price_kind is PriceKind.UNKNOWN:
            assert quote.input is None and quote.output is None
        if quote.price_kind is PriceKind.FIXED:
            assert any(v != 0 for v in stated)
        assert quote.context_length is None or quote.context_length > 0
    for sample in result.samples:
        for value in (sample.ttft_p50_ms, sample.tps_p50):
            assert value is None or (isinstance(value, Decimal) and value.is_finite() and value >= 0)
    for rejected in result.rejected:
        assert isinstance(rejected[0], str) and isinstance(rejected[1], str)


def parse_or_parse_error(slug: str, body: bytes) -> None:
    try:
        result = COLLECTORS[slug].parse(payload(body))
    except ParseError:
        return
    check(result)


# --- strategies -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)

number_tokens = st.from_regex(r"-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,7})?", fullmatch=True).map(Raw)
odd_strings = st.sampled_from(
    [
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "sNaN",
        "",
        " ",
        "0",
        "-0",
        "1e999999",
        "1E-999999",
        "0.0000007",
        "3,50",
        "$1",
    ]
)
# Numbers that overflow Decimal's context, underflow to 0, or carry more digits than it keeps.
edge_numbers = st.sampled_from(
    ["1e9999999", "-1e9999999", "1e-9999999", "1E+999999", "9" * 400, "0." + "0" * 30 + "1", "5000.0000000001", "-0.0"]
).map(Raw)
plain_prices = st.decimals(min_value=0, max_value=10**4, places=8).map(lambda d: Raw(str(d)))
odd_prices = st.one_of(
    plain_prices,
    plain_prices,
    plain_prices,
    edge_numbers,
    number_tokens,
    odd_strings,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**30),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["usd", "value"]), st.integers(), max_size=1),
)
ids = st.one_of(
    st.sampled_from(["deepseek-ai/DeepSeek-R1", "meta-llama/Llama-3.3-70B-Instruct-Turbo", "qwen/qwen3-4b-fp8"]),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,15}/[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,15}/[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True),
    st.text(max_size=30),
    st.none(),
    st.integers(),
)


def optional(mapping: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=mapping)


clean_prices = st.one_of(plain_prices, st.integers(min_value=0, max_value=5000), st.just(0), st.none())


def hf_body(prices: st.SearchStrategy) -> st.SearchStrategy:
    entry = optional(
        {
            "provider": st.sampled_from(["together", "fireworks-ai", "hf-inference", "", "  ", "Ünïcode"]),
            "status": st.sampled_from(["live", "error", "staging", ""]),
            "context_length": prices,
            "pricing": st.one_of(optional({"input": prices, "output": prices}), prices),
            "first_token_latency_ms": prices,
            "throughput": prices,
            "is_free": st.booleans(),
        }
    )
    good = st.fixed_dictionaries(
        {
            "provider": st.sampled_from(["together", "novita", "fireworks-ai", "cerebras"]),
            "status": st.sampled_from(["live", "live", "error"]),
            "pricing": st.fixed_dictionaries({"input": prices, "output": prices}),
        },
        optional={"first_token_latency_ms": prices, "throughput": prices, "context_length": prices},
    )
    providers = st.lists(st.one_of(good, entry, json_values), max_size=4)
    model = st.one_of(
        st.fixed_dictionaries({"id": ids, "providers": providers}), optional({"id": ids, "providers": providers})
    )
    return st.fixed_dictionaries({"object": st.just("list"), "data": st.lists(model, max_size=4)})


def chutes_body(prices: st.SearchStrategy) -> st.SearchStrategy:
    pricing = optional({"prompt": prices, "completion": prices, "input_cache_read": prices})
    item = st.fixed_dictionaries(
        {"id": ids, "pricing": st.one_of(pricing, prices)},
        optional={
            "price": optional({"input": optional({"usd": prices}), "output": optional({"usd": prices})}),
            "quantization": st.one_of(st.text(max_size=6), prices),
            "context_length": prices,
            "max_output_length": prices,
        },
    )
    return st.fixed_dictionaries(
        {"object": st.just("list"), "data": st.lists(st.one_of(item, json_values), max_size=5)}
    )


def together_body(prices: st.SearchStrategy) -> st.SearchStrategy:
    item = st.fixed_dictionaries(
        {
            "id": ids,
            "type": st.sampled_from(["chat", "chat", "language", "code", "image", "embedding", "rerank", ""]),
            "pricing": st.one_of(
                optional({"hourly": prices, "input": prices, "output": prices, "base": prices}),
                st.fixed_dictionaries({"hourly": st.just(0), "input": prices, "output": prices}),
                prices,
            ),
        },
        optional={"context_length": prices, "display_name": st.text(max_size=10)},
    )
    return st.lists(st.one_of(item, json_values), max_size=5)


def _cents(value: Any) -> Any:
    # Plain USD/M draws become plausible cents per token; odd tokens stay odd.
    if isinstance(value, Raw) and "e" not in value.text.lower():
        return Raw(value.text + "e-4")
    return value


def deepinfra_body(prices: st.SearchStrategy) -> st.SearchStrategy:
    pricing = st.fixed_dictionaries(
        {
            "type": st.sampled_from(["tokens", "tokens", "time", "image_units", "input_tokens", None]),
            "cents_per_input_token": prices.map(_cents),
            "cents_per_output_token": prices.map(_cents),
        },
        optional={
            "rate_per_input_token_cached": prices,
            "rate_per_input_token_cache_write": prices,
            "discount": st.one_of(prices, st.decimals(0, 1, places=2).map(lambda d: Raw(str(d)))),
            "discount_ends_at": prices,
        },
    )
    item = st.fixed_dictionaries(
        {"model_name": ids, "pricing": st.one_of(pricing, prices)},
        optional={
            "max_tokens": prices,
            "deprecated": prices,
            "replaced_by": st.one_of(st.text(max_size=10), prices),
            "quantization": st.one_of(st.text(max_size=6), prices),
            "private": st.one_of(st.just(0), prices),
            "tags": json_values,
        },
    )
    return st.lists(st.one_of(item, json_values), max_size=5)


def novita_body(prices: st.SearchStrategy) -> st.SearchStrategy:
    nested = st.one_of(optional({"price_per_m": prices, "price_per_m_decimal": prices}), prices)
    item = st.fixed_dictionaries(
        {"id": ids},
        optional={
            "model_type": st.sampled_from(["llm", "embedding", "", "chat"]),
            "input_token_price_per_m": prices,
            "output_token_price_per_m": prices,
            "pricing": st.one_of(
                optional(
                    {"prompt": nested, "completion": nested, "input_cache_read": nested, "input_cache_write": nested}
                ),
                prices,
            ),
            "context_size": prices,
            "max_output_tokens": prices,
            "is_tiered_billing": json_values,
        },
    )
    return st.fixed_dictionaries({"data": st.lists(st.one_of(item, json_values), max_size=5)})


BUILDERS = {
    "huggingface": hf_body,
    "chutes": chutes_body,
    "together": together_body,
    "deepinfra": deepinfra_body,
    "novita": novita_body,
}
# Half the listings are clean apart from the odd item; the other half have odd prices throughout.
SHAPED = {slug: st.one_of(build(clean_prices), build(odd_prices)) for slug, build in BUILDERS.items()}


# --- properties -----------------------------------------------------------------------------


@pytest.mark.parametrize("slug", sorted(COLLECTORS))
@SETTINGS
@given(data=json_values)
def test_arbitrary_json_gives_a_parse_error_or_sane_quotes(slug, data):
    parse_or_parse_error(slug, json.dumps(data).encode())


@pytest.mark.parametrize("slug", sorted(COLLECTORS))
@SETTINGS
@given(body=st.binary(max_size=200))
def test_arbitrary_bytes_give_a_parse_error_or_sane_quotes(slug, body):
    parse_or_parse_error(slug, body)


@pytest.mark.parametrize("slug", sorted(COLLECTORS))
@SETTINGS
@given(data=st.data())
def test_schema_shaped_items_with_odd_prices_give_sane_quotes(slug, data):
    body = data.draw(SHAPED[slug])
    parse_or_parse_error(slug, dumps(body).encode())


@pytest.mark.parametrize("slug", sorted(COLLECTORS))
@SETTINGS
@given(data=st.data())
def test_a_shaped_listing_is_never_refused_as_a_whole(slug, data):
    # Per-item problems must stay per item: the top-level shape is right, so parse never fails.
    body = data.draw(SHAPED[slug])
    result = COLLECTORS[slug].parse(payload(dumps(body).encode()))
    check(result)
    assert len(result.quotes) + len(result.rejected) <= len(body["data"] if isinstance(body, dict) else body) * 4


@SETTINGS
@given(units=st.integers(min_value=0, max_value=50_000_000))
def test_novita_integers_are_ten_thousandths_of_a_dollar_per_million(units):
    body = {"data": [{"id": "acme/m", "input_token_price_per_m": units, "output_token_price_per_m": units}]}
    quote = COLLECTORS["novita"].parse(payload(body)).quotes[0]
    assert quote.input == Decimal(units) / 10_000


@SETTINGS
@given(cents=st.decimals(min_value=0, max_value=Decimal("0.5"), places=12))
def test_deepinfra_cents_per_token_are_ten_thousand_times_usd_per_million(cents):
    body = [{"model_name": "acme/m", "pricing": {"type": "tokens", "cents_per_input_token": Raw(str(cents))}}]
    quote = COLLECTORS["deepinfra"].parse(payload(dumps(body).encode())).quotes[0]
    assert quote.input == cents * 10_000
