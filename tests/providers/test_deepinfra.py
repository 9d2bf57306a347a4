from __future__ import annotations

from decimal import Decimal

import pytest
import responses

from providers.base import FetchError, ParseError, PriceKind, SkipSource
from providers.deepinfra import DeepInfraCollector
from tests.providers.listing_support import BASE_URL, HTML_PAGE, by_id, client, fixture, payload

URL = BASE_URL + "/models/list"


def parse(body):
    return DeepInfraCollector(base_url=BASE_URL).parse(payload(body))


def item(model_name="acme/Model-7B", **pricing):
    prices = {"type": "tokens", "cents_per_input_token": 0.00001, "cents_per_output_token": 0.00002, **pricing}
    return {"model_name": model_name, "type": "text-generation", "pricing": prices, "deprecated": None, "private": 0}


def test_it_converts_us_cents_per_token_to_usd_per_million():
    quotes = by_id(parse(fixture("deepinfra")).quotes)
    llama = quotes["meta-llama/Llama-3.3-70B-Instruct"]
    assert (llama.input, llama.output) == (Decimal("0.23"), Decimal("0.4"))
    assert llama.provider == "deepinfra"
    assert llama.price_kind is PriceKind.FIXED
    assert llama.context_length == 131072
    assert llama.quantization == "bf16"
    assert llama.hf_id == llama.provider_model_id == "meta-llama/Llama-3.3-70B-Instruct"
    glm = quotes["zai-org/GLM-5.3-Flash"]
    assert glm.output == Decimal("0.5")  # 0.00005 cents per token


def test_cache_rates_are_multipliers_of_the_input_price():
    glm = by_id(parse(fixture("deepinfra")).quotes)["zai-org/GLM-5.3-Flash"]
    assert glm.input == Decimal("0.15")
    assert glm.cached_input == Decimal("0.03")
    assert glm.cache_write == Decimal("0.1875")


def test_a_running_discount_lowers_every_token_price_and_keeps_the_list_price():
    v3 = by_id(parse(fixture("deepinfra")).quotes)["deepseek-ai/DeepSeek-V3"]
    assert (v3.input, v3.output) == (Decimal("0.19"), Decimal("0.445"))
    assert v3.extra["discount"] == "0.5"
    assert v3.extra["list_input"] == "0.38"


def test_an_expired_discount_is_ignored():
    qwen = by_id(parse(fixture("deepinfra")).quotes)["Qwen/Qwen2.5-72B-Instruct"]
    assert (qwen.input, qwen.output) == (Decimal("0.12"), Decimal("0.39"))
    assert "discount" not in qwen.extra


def test_deprecated_models_are_kept_and_marked():
    v3 = by_id(parse(fixture("deepinfra")).quotes)["deepseek-ai/DeepSeek-V3"]
    assert v3.status == "deprecated"
    assert v3.extra["deprecated"] == "1767225600"
    assert v3.extra["replaced_by"] == "deepseek-ai/DeepSeek-V3.2"


def test_the_turbo_suffix_is_a_variant():
    turbo = by_id(parse(fixture("deepinfra")).quotes)["meta-llama/Llama-3.3-70B-Instruct-Turbo"]
    assert turbo.variant == "turbo"
    assert turbo.quantization == "fp8"
    assert turbo.hf_id == "meta-llama/Llama-3.3-70B-Instruct"


def test_models_priced_other_than_per_token_are_skipped():
    result = parse(fixture("deepinfra"))
    ids = set(by_id(result.quotes))
    assert ids.isdisjoint({"BAAI/bge-m3", "black-forest-labs/FLUX-1-schnell", "openai/whisper-large-v3"})
    assert len(ids) == 5
    assert result.rejected == []


def test_zero_token_prices_are_free():
    quote = parse([item(cents_per_input_token=0, cents_per_output_token=0)]).quotes[0]
    assert quote.price_kind is PriceKind.FREE


def test_a_model_without_pricing_is_skipped_not_free():
    assert parse([{"model_name": "acme/M", "type": "text-generation", "pricing": None}]).quotes == []


def test_a_private_deployment_is_not_a_public_offer():
    assert parse([{**item(), "private": 1}]).quotes == []


def test_a_unit_slip_rejects_that_item_and_keeps_the_others():
    result = parse([item("acme/slip", cents_per_input_token=0.00001 * 10**6), item("acme/ok")])
    assert [q.provider_model_id for q in result.quotes] == ["acme/ok"]
    assert result.rejected[0][0] == "acme/slip"


@pytest.mark.parametrize(
    "pricing",
    [
        {"cents_per_input_token": -0.00001},
        {"cents_per_output_token": "NaN"},
        {"rate_per_input_token_cached": -0.5},
        {"rate_per_input_token_cached": 10**9},
        {"discount": 1.5},
        {"discount": -0.1},
        {"discount": "half"},
    ],
)
def test_a_bad_price_rejects_only_its_item(pricing):
    result = parse([item("acme/bad", **pricing), item("acme/ok")])
    assert [q.provider_model_id for q in result.quotes] == ["acme/ok"]
    assert [r[0] for r in result.rejected] == ["acme/bad"]


def test_an_item_without_a_model_name_is_rejected_by_position():
    result = parse([{"pricing": {"type": "tokens"}}, item("acme/ok")])
    assert [r[0] for r in result.rejected] == ["#0"]


def test_an_empty_list_parses_to_zero_quotes():
    result = parse([])
    assert result.quotes == [] and result.rejected == []


@pytest.mark.parametrize(
    "body",
    [
        HTML_PAGE,
        b'[{"model_name": "a/b", "pricing": {"type": "tokens", "cents_per_input_token": 0.0000',
        b'[{"model_name": "a/b", "pricing": {"type": "tokens", "cents_per_input_token": NaN}}]',
        b'[{"model_name": "a/b", "model_name": "c/d"}]',
        b'{"models": []}',
        b"true",
    ],
    ids=["html", "truncated", "nan", "duplicate-key", "object", "bool"],
)
def test_a_payload_that_is_not_the_documented_shape_is_a_parse_error(body):
    with pytest.raises(ParseError):
        parse(body)


def test_it_skips_without_a_key_and_makes_no_request():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(URL, body=fixture("deepinfra"))
        with pytest.raises(SkipSource, match="DEEPINFRA_API_KEY is not set"):
            list(DeepInfraCollector(base_url=BASE_URL).fetch(client(), api_key=""))
        assert len(mock.calls) == 0


@responses.activate
def test_fetch_sends_the_key_as_a_bearer_token_and_yields_one_models_payload():
    responses.get(URL, body=fixture("deepinfra"))
    payloads = list(DeepInfraCollector(base_url=BASE_URL).fetch(client(), api_key="di-test"))
    assert len(payloads) == 1 and payloads[0].kind == "models"
    assert responses.calls[0].request.headers["Authorization"] == "Bearer di-test"


@responses.activate
def test_a_429_is_retried_and_the_next_answer_used():
    responses.get(URL, status=429)
    responses.get(URL, body=fixture("deepinfra"))
    collector = DeepInfraCollector(base_url=BASE_URL)
    payloads = list(collector.fetch(client(), api_key="di-test"))
    assert len(responses.calls) == 2
    assert len(collector.parse(payloads[0]).quotes) == 5


@responses.activate
def test_four_500s_end_as_a_fetch_error():
    for _ in range(4):
        responses.get(URL, status=502)
    with pytest.raises(FetchError):
        list(DeepInfraCollector(base_url=BASE_URL).fetch(client(), api_key="di-test"))
    assert len(responses.calls) == 4


def test_the_collector_describes_itself():
    collector = DeepInfraCollector()
    assert (collector.slug, collector.kind, collector.api_key_env, collector.key_required) == (
        "deepinfra",
        "api",
        "DEEPINFRA_API_KEY",
        True,
    )
    assert collector.url == "https://api.deepinfra.com/models/list"
