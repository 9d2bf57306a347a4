from __future__ import annotations

from decimal import Decimal

import pytest
import responses

from providers.base import FetchError, ParseError, PriceKind
from providers.huggingface import HuggingFaceCollector
from tests.providers.listing_support import BASE_URL, HTML_PAGE, client, fixture, payload

URL = BASE_URL + "/v1/models"


def parse(body):
    return HuggingFaceCollector(base_url=BASE_URL).parse(payload(body))


def offers(result):
    return {(q.provider_model_id, q.provider): q for q in result.quotes}


def model(*providers, model_id="acme/Model-7B"):
    return {"id": model_id, "object": "model", "providers": list(providers)}


def provider(name="together", **fields):
    return {"provider": name, "status": "live", "context_length": 8192, **fields}


def test_it_gives_one_quote_per_model_and_provider_in_usd_per_million():
    quotes = offers(parse(fixture("huggingface")))
    assert len(quotes) == 6
    together = quotes[("deepseek-ai/DeepSeek-R1", "together")]
    assert (together.input, together.output) == (Decimal("3"), Decimal("7"))
    assert together.price_kind is PriceKind.FIXED
    assert together.status == "live"
    assert together.context_length == 163840
    assert together.provider_model_id == together.hf_id == "deepseek-ai/DeepSeek-R1"
    assert together.canonical_hint == ""
    novita = quotes[("deepseek-ai/DeepSeek-R1", "novita")]
    assert (novita.input, novita.output) == (Decimal("0.7"), Decimal("2.5"))


def test_provider_names_are_normalised_to_ratecard_slugs():
    quotes = offers(parse(fixture("huggingface")))
    assert ("meta-llama/Llama-3.3-70B-Instruct", "fireworks") in quotes
    assert ("meta-llama/Llama-3.3-70B-Instruct", "huggingface") in quotes
    assert quotes[("meta-llama/Llama-3.3-70B-Instruct", "fireworks")].provider_name == "fireworks-ai"


def test_an_erroring_provider_is_unknown_not_free():
    hyperbolic = offers(parse(fixture("huggingface")))[("deepseek-ai/DeepSeek-R1", "hyperbolic")]
    assert hyperbolic.price_kind is PriceKind.UNKNOWN
    assert hyperbolic.status == "error"
    assert all(value is None for value in hyperbolic.prices().values())


def test_an_erroring_provider_with_stale_pricing_is_still_unknown():
    result = parse({"data": [model(provider(status="error", pricing={"input": 1, "output": 2}))]})
    assert result.quotes[0].price_kind is PriceKind.UNKNOWN
    assert result.quotes[0].input is None


def test_a_provider_without_pricing_is_unknown_not_free():
    cerebras = offers(parse(fixture("huggingface")))[("meta-llama/Llama-3.3-70B-Instruct", "cerebras")]
    assert cerebras.price_kind is PriceKind.UNKNOWN
    assert cerebras.input is None and cerebras.output is None


def test_zero_prices_are_free():
    hf = offers(parse(fixture("huggingface")))[("meta-llama/Llama-3.3-70B-Instruct", "huggingface")]
    assert hf.price_kind is PriceKind.FREE
    assert (hf.input, hf.output) == (Decimal(0), Decimal(0))


def test_latency_and_throughput_become_live_perf_samples():
    samples = {(s.provider_model_id, s.provider): s for s in parse(fixture("huggingface")).samples}
    together = samples[("deepseek-ai/DeepSeek-R1", "together")]
    assert together.window == "live"
    assert together.ttft_p50_ms == Decimal("612")
    assert together.tps_p50 == Decimal("41.7")
    assert samples[("meta-llama/Llama-3.3-70B-Instruct", "cerebras")].tps_p50 == Decimal("2103")


def test_null_latency_is_no_sample_rather_than_zero():
    samples = {(s.provider_model_id, s.provider) for s in parse(fixture("huggingface")).samples}
    assert ("deepseek-ai/DeepSeek-R1", "novita") not in samples
    assert ("deepseek-ai/DeepSeek-R1", "hyperbolic") not in samples


def test_a_negative_or_nonsense_latency_is_dropped_but_the_price_kept():
    bad = provider(pricing={"input": 1, "output": 2}, first_token_latency_ms=-5, throughput="fast")
    result = parse({"data": [model(bad)]})
    assert result.samples == []
    assert result.quotes[0].input == Decimal("1")


def test_a_unit_slip_rejects_that_offer_and_keeps_the_others():
    slipped = provider("together", pricing={"input": 3 * 10**6, "output": 7})
    good = provider("novita", pricing={"input": 0.7, "output": 2.5})
    result = parse({"data": [model(slipped, good)]})
    assert [q.provider for q in result.quotes] == ["novita"]
    assert result.rejected[0][0] == "acme/Model-7B"
    assert "together" in result.rejected[0][1]


@pytest.mark.parametrize(
    "entry",
    [
        provider(pricing={"input": -1, "output": 1}),
        provider(pricing={"input": "NaN", "output": 1}),
        provider(pricing={"input": [1], "output": 1}),
        provider(pricing="3/7"),
        {"status": "live", "pricing": {"input": 1, "output": 1}},
        "together",
    ],
)
def test_a_bad_provider_entry_rejects_only_itself(entry):
    result = parse({"data": [model(entry, provider("novita", pricing={"input": 1, "output": 1}))]})
    assert [q.provider for q in result.quotes] == ["novita"]
    assert len(result.rejected) == 1


def test_a_model_without_providers_gives_no_quotes():
    result = parse({"data": [{"id": "acme/Model-7B"}]})
    assert result.quotes == [] and result.rejected == []


def test_a_model_with_a_bad_id_or_providers_is_rejected():
    result = parse({"data": [{"providers": []}, {"id": "acme/X", "providers": {"together": {}}}]})
    assert [r[0] for r in result.rejected] == ["#0", "acme/X"]


def test_an_empty_list_parses_to_zero_quotes():
    result = parse({"object": "list", "data": []})
    assert result.quotes == [] and result.samples == [] and result.rejected == []


@pytest.mark.parametrize(
    "body",
    [
        HTML_PAGE,
        b'{"object": "list", "data": [{"id": "acme/Model-7B", "providers": [',
        b'{"data": [{"id": "a/b", "providers": [{"provider": "x", "pricing": {"input": NaN}}]}]}',
        b'{"data": [], "data": []}',
        b"[]",
        b'{"object": "list"}',
        b"null",
    ],
    ids=["html", "truncated", "nan", "duplicate-key", "array", "no-data", "null"],
)
def test_a_payload_that_is_not_the_documented_shape_is_a_parse_error(body):
    with pytest.raises(ParseError):
        parse(body)


@responses.activate
def test_it_fetches_without_a_key():
    responses.get(URL, body=fixture("huggingface"))
    payloads = list(HuggingFaceCollector(base_url=BASE_URL).fetch(client()))
    assert len(payloads) == 1 and payloads[0].kind == "models"
    assert "Authorization" not in responses.calls[0].request.headers


@responses.activate
def test_it_sends_hf_token_when_given():
    responses.get(URL, body=fixture("huggingface"))
    list(HuggingFaceCollector(base_url=BASE_URL).fetch(client(), api_key="hf_test"))
    assert responses.calls[0].request.headers["Authorization"] == "Bearer hf_test"


@responses.activate
def test_a_429_is_retried_and_the_next_answer_used():
    responses.get(URL, status=429, headers={"Retry-After": "2"})
    responses.get(URL, body=fixture("huggingface"))
    collector = HuggingFaceCollector(base_url=BASE_URL)
    payloads = list(collector.fetch(client()))
    assert len(responses.calls) == 2
    assert len(collector.parse(payloads[0]).quotes) == 6


@responses.activate
def test_four_500s_end_as_a_fetch_error():
    for _ in range(4):
        responses.get(URL, status=500)
    with pytest.raises(FetchError):
        list(HuggingFaceCollector(base_url=BASE_URL).fetch(client()))
    assert len(responses.calls) == 4


def test_the_collector_describes_itself():
    collector = HuggingFaceCollector()
    assert (collector.slug, collector.kind, collector.api_key_env, collector.key_required) == (
        "huggingface",
        "aggregator",
        "HF_TOKEN",
        False,
    )
    assert collector.url == "https://router.huggingface.co/v1/models"
