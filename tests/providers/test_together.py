from __future__ import annotations

from decimal import Decimal

import pytest
import responses

from providers.base import FetchError, ParseError, PriceKind, SkipSource
from providers.http import HttpClient
from providers.together import TogetherCollector
from tests.providers.listing_support import BASE_URL, HTML_PAGE, by_id, client, fixture, payload

URL = BASE_URL + "/v1/models"


def parse(body):
    return TogetherCollector(base_url=BASE_URL).parse(payload(body))


def item(model_id="acme/Model-7B", model_type="chat", **pricing):
    prices = {"hourly": 0, "input": 0.2, "output": 0.6, "base": 0, "finetune": 0, **pricing}
    return {"id": model_id, "object": "model", "created": 1, "type": model_type, "pricing": prices}


def test_it_reads_usd_per_million_numbers():
    quotes = by_id(parse(fixture("together")).quotes)
    r1 = quotes["deepseek-ai/DeepSeek-R1"]
    assert (r1.input, r1.output) == (Decimal("3"), Decimal("7"))
    assert r1.price_kind is PriceKind.FIXED
    assert r1.provider == "together"
    assert r1.context_length == 163840
    assert r1.model_name == "DeepSeek R1"
    turbo = quotes["meta-llama/Llama-3.3-70B-Instruct-Turbo"]
    assert (turbo.input, turbo.output) == (Decimal("0.88"), Decimal("0.88"))


def test_id_suffixes_become_variant_and_quantization_and_the_rest_is_the_hf_id():
    quotes = by_id(parse(fixture("together")).quotes)
    turbo = quotes["meta-llama/Llama-3.3-70B-Instruct-Turbo"]
    assert (turbo.variant, turbo.quantization) == ("turbo", "")
    assert turbo.hf_id == "meta-llama/Llama-3.3-70B-Instruct"
    assert turbo.provider_model_id == "meta-llama/Llama-3.3-70B-Instruct-Turbo"
    fp8 = quotes["Qwen/Qwen3-235B-A22B-Instruct-2507-FP8"]
    assert (fp8.variant, fp8.quantization) == ("", "fp8")
    assert fp8.hf_id == "Qwen/Qwen3-235B-A22B-Instruct-2507"
    plain = quotes["deepseek-ai/DeepSeek-R1"]
    assert (plain.variant, plain.quantization, plain.hf_id) == ("", "", "deepseek-ai/DeepSeek-R1")
    assert plain.canonical_hint == ""


def test_a_zero_priced_chat_model_is_free():
    free = by_id(parse(fixture("together")).quotes)["meta-llama/Llama-3.3-70B-Instruct-Turbo-Free"]
    assert free.price_kind is PriceKind.FREE
    assert free.variant == "turbo-free"
    assert (free.input, free.output) == (Decimal(0), Decimal(0))


def test_a_dedicated_only_model_is_not_free_and_not_listed():
    quotes = by_id(parse(fixture("together")).quotes)
    assert "mistralai/Mixtral-8x22B-Instruct-v0.1" not in quotes


def test_image_models_without_token_prices_are_skipped():
    quotes = by_id(parse(fixture("together")).quotes)
    assert "black-forest-labs/FLUX.1-schnell" not in quotes
    assert "black-forest-labs/FLUX.1-pro" not in quotes


def test_a_non_chat_model_with_a_token_price_is_kept_and_marked():
    bge = by_id(parse(fixture("together")).quotes)["BAAI/bge-large-en-v1.5"]
    assert bge.input == Decimal("0.02")
    assert bge.extra["type"] == "embedding"


def test_the_fixture_has_no_rejects():
    result = parse(fixture("together"))
    assert result.rejected == []
    assert len(result.quotes) == 5


def test_a_chat_model_without_pricing_is_unknown_not_free():
    quote = parse([{"id": "acme/Model-7B", "object": "model", "created": 1, "type": "chat"}]).quotes[0]
    assert quote.price_kind is PriceKind.UNKNOWN
    assert quote.input is None and quote.output is None


def test_a_unit_slip_rejects_that_item_and_keeps_the_others():
    result = parse([item("acme/slip", input=0.2 * 10**6), item("acme/ok")])
    assert [q.provider_model_id for q in result.quotes] == ["acme/ok"]
    assert result.rejected[0][0] == "acme/slip"
    assert "band" in result.rejected[0][1]


@pytest.mark.parametrize(
    "pricing",
    [{"input": -0.2}, {"output": "NaN"}, {"output": "lots"}, {"input": [1]}, {"hourly": -1}, {"hourly": True}],
)
def test_a_bad_price_rejects_only_its_item(pricing):
    result = parse([item("acme/bad", **pricing), item("acme/ok")])
    assert [q.provider_model_id for q in result.quotes] == ["acme/ok"]
    assert [r[0] for r in result.rejected] == ["acme/bad"]


def test_an_item_with_pricing_of_another_shape_is_rejected():
    result = parse([{"id": "acme/img", "type": "chat", "pricing": "per image"}, item("acme/ok")])
    assert [r[0] for r in result.rejected] == ["acme/img"]


def test_an_empty_list_parses_to_zero_quotes():
    result = parse([])
    assert result.quotes == [] and result.rejected == []


@pytest.mark.parametrize(
    "body",
    [
        HTML_PAGE,
        b'[{"id": "deepseek-ai/DeepSeek-R1", "type": "chat", "pricing": {"input": 3, "output"',
        b'[{"id": "a/b", "type": "chat", "pricing": {"input": NaN, "output": 1}}]',
        b'[{"id": "a/b", "type": "chat", "pricing": {"input": 1, "input": 2}}]',
        b'{"data": []}',
        b"42",
    ],
    ids=["html", "truncated", "nan", "duplicate-key", "envelope", "number"],
)
def test_a_payload_that_is_not_the_documented_shape_is_a_parse_error(body):
    with pytest.raises(ParseError):
        parse(body)


def test_it_skips_without_a_key_and_makes_no_request():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(URL, body=fixture("together"))
        with pytest.raises(SkipSource, match="TOGETHER_API_KEY is not set"):
            TogetherCollector(base_url=BASE_URL).fetch(client())
        assert len(mock.calls) == 0


@responses.activate
def test_fetch_sends_the_key_as_a_bearer_token_and_yields_one_models_payload():
    responses.get(URL, body=fixture("together"))
    payloads = list(TogetherCollector(base_url=BASE_URL).fetch(client(), api_key="tg-test"))
    assert len(payloads) == 1 and payloads[0].kind == "models"
    assert responses.calls[0].request.headers["Authorization"] == "Bearer tg-test"


@responses.activate
def test_a_429_asking_for_an_hour_is_retried_after_the_capped_wait():
    responses.get(URL, status=429, headers={"Retry-After": "3600"})
    responses.get(URL, body=fixture("together"))
    slept: list[float] = []
    http = HttpClient(sleep=slept.append, retries=3, deadline=60.0)
    collector = TogetherCollector(base_url=BASE_URL)
    payloads = list(collector.fetch(http, api_key="tg-test"))
    assert len(responses.calls) == 2
    assert slept == [30.0]
    assert len(collector.parse(payloads[0]).quotes) == 5


@responses.activate
def test_four_500s_end_as_a_fetch_error():
    for _ in range(4):
        responses.get(URL, status=500)
    with pytest.raises(FetchError):
        list(TogetherCollector(base_url=BASE_URL).fetch(client(), api_key="tg-test"))
    assert len(responses.calls) == 4


@responses.activate
def test_a_401_is_not_retried():
    responses.get(URL, status=401, json={"error": {"message": "invalid key"}})
    with pytest.raises(FetchError) as caught:
        list(TogetherCollector(base_url=BASE_URL).fetch(client(), api_key="bad"))
    assert caught.value.status == 401
    assert len(responses.calls) == 1


def test_the_collector_describes_itself():
    collector = TogetherCollector()
    assert (collector.slug, collector.kind, collector.api_key_env, collector.key_required) == (
        "together",
        "api",
        "TOGETHER_API_KEY",
        True,
    )
    assert collector.url == "https://api.together.xyz/v1/models"
