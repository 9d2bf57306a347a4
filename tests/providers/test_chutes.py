from __future__ import annotations

from decimal import Decimal

import pytest
import responses

from providers.base import FetchError, ParseError, PriceKind
from providers.chutes import ChutesCollector
from tests.providers.listing_support import BASE_URL, HTML_PAGE, by_id, client, fixture, payload

URL = BASE_URL + "/v1/models"


def parse(body):
    return ChutesCollector(base_url=BASE_URL).parse(payload(body))


def item(model_id="acme/Model-7B-TEE", **pricing):
    return {"id": model_id, "object": "model", "pricing": {"prompt": 0.1, "completion": 0.2, **pricing}}


def test_it_reads_usd_per_million_floats_digit_for_digit():
    quotes = by_id(parse(fixture("chutes")).quotes)
    qwen = quotes["Qwen/Qwen3-32B-TEE"]
    assert (qwen.input, qwen.output) == (Decimal("0.104"), Decimal("0.416"))
    assert qwen.provider == "chutes"
    assert qwen.price_kind is PriceKind.FIXED
    kimi = quotes["moonshotai/Kimi-K3-TEE"]
    assert (kimi.input, kimi.output) == (Decimal("3"), Decimal("15"))


def test_the_cache_read_price_loses_its_float_noise():
    quotes = by_id(parse(fixture("chutes")).quotes)
    assert quotes["Qwen/Qwen3-32B-TEE"].cached_input == Decimal("0.0104")
    assert quotes["moonshotai/Kimi-K3-TEE"].cached_input == Decimal("0.3")
    assert quotes["unsloth/Mistral-Nemo-Instruct-2407-TEE"].cached_input == Decimal("0.00245")


def test_it_keeps_quantization_context_and_the_hf_repo_without_the_tee_suffix():
    quotes = by_id(parse(fixture("chutes")).quotes)
    qwen = quotes["Qwen/Qwen3-32B-TEE"]
    assert qwen.quantization == "fp8"
    assert qwen.context_length == 40960
    assert qwen.max_output == 40960
    assert qwen.provider_model_id == "Qwen/Qwen3-32B-TEE"
    assert qwen.hf_id == "Qwen/Qwen3-32B"
    assert qwen.canonical_hint == ""
    assert qwen.extra["root"] == "Qwen/Qwen3-32B-FP8"
    assert quotes["moonshotai/Kimi-K3-TEE"].quantization == "mxfp4"


def test_missing_quantization_and_context_stay_empty():
    nemo = by_id(parse(fixture("chutes")).quotes)["unsloth/Mistral-Nemo-Instruct-2407-TEE"]
    assert nemo.quantization == ""
    assert nemo.context_length is None


def test_zero_prices_are_free():
    free = by_id(parse(fixture("chutes")).quotes)["chutesai/Free-Chat-TEE"]
    assert free.price_kind is PriceKind.FREE
    assert free.input == Decimal(0)


def test_a_model_without_pricing_is_unknown_not_free():
    quote = parse({"object": "list", "data": [{"id": "acme/Model-TEE"}]}).quotes[0]
    assert quote.price_kind is PriceKind.UNKNOWN
    assert quote.input is None


def test_the_usd_half_of_the_price_object_is_read_when_pricing_is_missing():
    body = {"data": [{"id": "acme/M-TEE", "price": {"input": {"usd": 0.25, "tao": 0.001}, "output": {"usd": 1.5}}}]}
    quote = parse(body).quotes[0]
    assert (quote.input, quote.output) == (Decimal("0.25"), Decimal("1.5"))


def test_the_scraper_wrapped_form_parses_like_the_live_one():
    wrapped = {"source": "https://llm.chutes.ai/v1/models", "count": 1, "object": "list", "data": [item()]}
    assert parse(wrapped).quotes == parse({"object": "list", "data": [item()]}).quotes


def test_a_unit_slip_rejects_that_item_and_keeps_the_others():
    result = parse({"object": "list", "data": [item("acme/slip-TEE", prompt=0.1 * 10**6), item("acme/ok-TEE")]})
    assert [q.provider_model_id for q in result.quotes] == ["acme/ok-TEE"]
    assert result.rejected[0][0] == "acme/slip-TEE"


@pytest.mark.parametrize("value", [-0.1, "NaN", "-Infinity", "0x10", "cheap", True, [0.1], {"usd": 1}])
def test_a_bad_price_rejects_only_its_item(value):
    result = parse({"data": [item("acme/bad-TEE", completion=value), item("acme/ok-TEE")]})
    assert [q.provider_model_id for q in result.quotes] == ["acme/ok-TEE"]
    assert [r[0] for r in result.rejected] == ["acme/bad-TEE"]


def test_an_empty_list_parses_to_zero_quotes():
    result = parse({"object": "list", "data": []})
    assert result.quotes == [] and result.rejected == []


@pytest.mark.parametrize(
    "body",
    [
        HTML_PAGE,
        b'{"object": "list", "data": [{"id": "Qwen/Qwen3-32B-TEE", "pricing": {"prompt": 0.1',
        b'{"object": "list", "data": [{"id": "a/b", "pricing": {"prompt": NaN}}]}',
        b'{"object": "list", "data": [{"id": "a/b", "id": "c/d"}]}',
        b'[{"id": "a/b"}]',
        b'{"object": "list", "data": null}',
        b'"list"',
    ],
    ids=["html", "truncated", "nan", "duplicate-key", "array", "null-data", "string"],
)
def test_a_payload_that_is_not_the_documented_shape_is_a_parse_error(body):
    with pytest.raises(ParseError):
        parse(body)


@responses.activate
def test_it_fetches_without_a_key():
    responses.get(URL, body=fixture("chutes"))
    payloads = list(ChutesCollector(base_url=BASE_URL).fetch(client()))
    assert len(payloads) == 1 and payloads[0].kind == "models"
    assert "Authorization" not in responses.calls[0].request.headers


@responses.activate
def test_a_429_is_retried_and_the_next_answer_used():
    responses.get(URL, status=429, headers={"Retry-After": "1"})
    responses.get(URL, body=fixture("chutes"))
    collector = ChutesCollector(base_url=BASE_URL)
    payloads = list(collector.fetch(client()))
    assert len(responses.calls) == 2
    assert len(collector.parse(payloads[0]).quotes) == 4


@responses.activate
def test_four_500s_end_as_a_fetch_error():
    for _ in range(4):
        responses.get(URL, status=503)
    with pytest.raises(FetchError):
        list(ChutesCollector(base_url=BASE_URL).fetch(client()))
    assert len(responses.calls) == 4


def test_the_collector_describes_itself():
    collector = ChutesCollector()
    assert (collector.slug, collector.kind, collector.api_key_env, collector.key_required) == (
        "chutes",
        "api",
        None,
        False,
    )
    assert collector.url == "https://llm.chutes.ai/v1/models"
