from __future__ import annotations

from decimal import Decimal

import pytest
import responses

from providers.base import FetchError, ParseError, PriceKind, SkipSource
from providers.novita import NovitaCollector
from tests.providers.listing_support import BASE_URL, HTML_PAGE, by_id, client, fixture, payload

URL = BASE_URL + "/openai/v1/models"


def parse(body):
    return NovitaCollector(base_url=BASE_URL).parse(payload(body))


def item(**fields):
    return {"id": "acme/model", "object": "model", "context_size": 8192, **fields}


def test_it_converts_ten_thousandths_of_a_dollar_per_million_to_usd_per_million():
    quotes = by_id(parse(fixture("novita")).quotes)
    llama = quotes["meta-llama/llama-3.3-70b-instruct"]
    assert llama.input == Decimal("0.39")
    assert llama.output == Decimal("0.39")
    assert llama.price_kind is PriceKind.FIXED
    assert llama.provider == "novita"
    assert llama.context_length == 131072
    r1 = quotes["deepseek/deepseek-r1-turbo"]
    assert (r1.input, r1.output) == (Decimal("0.7"), Decimal("2.5"))
    assert r1.max_output == 16000
    assert r1.model_name == "DeepSeek R1 Turbo"


def test_it_reads_the_nested_pricing_shape_and_prefers_the_decimal_string():
    glm = by_id(parse(fixture("novita")).quotes)["zai-org/glm-5.3-flash"]
    assert (glm.input, glm.output, glm.cached_input) == (Decimal("0.15"), Decimal("0.5"), Decimal("0.03"))


def test_the_nested_integer_uses_the_same_ten_thousandths_unit():
    result = parse({"data": [item(pricing={"prompt": {"price_per_m": 2500}, "completion": {"price_per_m": 12000}})]})
    assert (result.quotes[0].input, result.quotes[0].output) == (Decimal("0.25"), Decimal("1.2"))


def test_a_zero_price_on_a_chat_model_is_free():
    qwen = by_id(parse(fixture("novita")).quotes)["qwen/qwen3-4b-fp8"]
    assert qwen.price_kind is PriceKind.FREE
    assert (qwen.input, qwen.output) == (Decimal(0), Decimal(0))


def test_a_model_without_any_price_is_unknown_not_free():
    quote = parse({"data": [item()]}).quotes[0]
    assert quote.price_kind is PriceKind.UNKNOWN
    assert quote.input is None and quote.output is None


def test_it_skips_embedding_models():
    assert "baai/bge-m3" not in by_id(parse(fixture("novita")).quotes)


def test_ids_are_canonical_hints_and_not_hugging_face_ids():
    llama = by_id(parse(fixture("novita")).quotes)["meta-llama/llama-3.3-70b-instruct"]
    assert llama.provider_model_id == "meta-llama/llama-3.3-70b-instruct"
    assert llama.canonical_hint == "meta-llama/llama-3.3-70b-instruct"
    assert llama.hf_id == ""


def test_a_unit_slip_rejects_that_item_and_keeps_the_others():
    slipped = item(id="acme/slipped", input_token_price_per_m=3900 * 10**6, output_token_price_per_m=3900)
    good = item(id="acme/good", input_token_price_per_m=3900, output_token_price_per_m=3900)
    result = parse({"data": [slipped, good]})
    assert [q.provider_model_id for q in result.quotes] == ["acme/good"]
    assert result.rejected[0][0] == "acme/slipped"
    assert "band" in result.rejected[0][1]


@pytest.mark.parametrize(
    "fields",
    [
        {"input_token_price_per_m": -1},
        {"input_token_price_per_m": "NaN"},
        {"input_token_price_per_m": "Infinity"},
        {"input_token_price_per_m": "cheap"},
        {"input_token_price_per_m": True},
        {"pricing": {"prompt": {"price_per_m_decimal": "-0.1"}}},
        {"pricing": {"prompt": "0.1"}},
        {"pricing": [1, 2]},
    ],
)
def test_a_bad_price_rejects_only_its_item(fields):
    result = parse({"data": [item(id="acme/bad", **fields), item(id="acme/good", input_token_price_per_m=100)]})
    assert [q.provider_model_id for q in result.quotes] == ["acme/good"]
    assert [r[0] for r in result.rejected] == ["acme/bad"]


def test_an_item_without_an_id_is_rejected_by_position():
    result = parse({"data": [{"input_token_price_per_m": 100}, "text"]})
    assert result.quotes == []
    assert [r[0] for r in result.rejected] == ["#0", "#1"]


def test_an_empty_list_parses_to_zero_quotes():
    result = parse({"data": []})
    assert result.quotes == [] and result.rejected == []


@pytest.mark.parametrize(
    "body",
    [
        HTML_PAGE,
        b'{"data": [{"id": "acme/model", "input_token_price_per_m": 39',
        b'{"data": [{"id": "acme/model", "input_token_price_per_m": NaN}]}',
        b'{"data": [{"id": "acme/model", "input_token_price_per_m": Infinity}]}',
        b'{"data": [{"id": "acme/model", "input_token_price_per_m": 1, "input_token_price_per_m": 2}]}',
        b"[]",
        b'{"models": []}',
        b'{"data": {"id": "acme/model"}}',
        b"",
        b"\xff\xfe",
    ],
    ids=[
        "html",
        "truncated",
        "nan",
        "infinity",
        "duplicate-key",
        "array",
        "no-data",
        "data-object",
        "empty",
        "not-utf8",
    ],
)
def test_a_payload_that_is_not_the_documented_shape_is_a_parse_error(body):
    with pytest.raises(ParseError):
        parse(body)


def test_it_skips_without_a_key_and_makes_no_request():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(URL, body=fixture("novita"))
        with pytest.raises(SkipSource, match="NOVITA_API_KEY is not set"):
            list(NovitaCollector(base_url=BASE_URL).fetch(client()))
        assert len(mock.calls) == 0


@responses.activate
def test_fetch_sends_the_key_as_a_bearer_token_and_yields_one_models_payload():
    responses.get(URL, body=fixture("novita"), content_type="application/json")
    payloads = list(NovitaCollector(base_url=BASE_URL).fetch(client(), api_key="sk-test"))
    assert len(payloads) == 1
    assert payloads[0].kind == "models"
    assert payloads[0].body == fixture("novita")
    assert payloads[0].fetched_at.tzinfo is not None
    assert responses.calls[0].request.headers["Authorization"] == "Bearer sk-test"


@responses.activate
def test_a_429_is_retried_and_the_next_answer_used():
    responses.get(URL, status=429, headers={"Retry-After": "1"}, body=b'{"error": "slow down"}')
    responses.get(URL, body=fixture("novita"))
    collector = NovitaCollector(base_url=BASE_URL)
    payloads = list(collector.fetch(client(), api_key="sk-test"))
    assert len(responses.calls) == 2
    assert len(collector.parse(payloads[0]).quotes) == 4


@responses.activate
def test_four_500s_end_as_a_fetch_error():
    for _ in range(4):
        responses.get(URL, status=500, body=b"oops")
    with pytest.raises(FetchError) as caught:
        list(NovitaCollector(base_url=BASE_URL).fetch(client(), api_key="sk-test"))
    assert caught.value.status == 500
    assert len(responses.calls) == 4


def test_the_collector_describes_itself():
    collector = NovitaCollector()
    assert (collector.slug, collector.kind, collector.api_key_env, collector.key_required) == (
        "novita",
        "api",
        "NOVITA_API_KEY",
        True,
    )
    assert collector.url == "https://api.novita.ai/openai/v1/models"
