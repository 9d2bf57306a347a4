"""OpenRouter collector: parsing the catalogue and endpoints, fetching through faults, and fuzzing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providers.base import FetchError, ParseError, ParseResult, Payload, PriceKind, Quote
from providers.http import HttpClient
from providers.openrouter import OpenRouterCollector, split_variant
from providers.units import MAX_PER_MILLION
from tests.faults import FaultServer, Request, Step

FIXTURES = Path(__file__).parent / "fixtures" / "openrouter"
MODELS_PATH = "/api/v1/models"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def payload(
    body: bytes | str | dict | list, kind: str = "models", url: str = "https://openrouter.ai/api/v1/models"
) -> Payload:
    if isinstance(body, dict | list):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    return Payload(url=url, body=body, fetched_at=datetime.now(UTC), kind=kind)


def parse(body: bytes | str | dict | list, kind: str = "models") -> ParseResult:
    return OpenRouterCollector().parse(payload(body, kind))


def by_id(result: ParseResult) -> dict[str, Quote]:
    return {q.provider_model_id: q for q in result.quotes}


def by_offer(result: ParseResult) -> dict[tuple[str, str], Quote]:
    return {(q.provider, q.variant): q for q in result.quotes}


def one_model(pricing: dict[str, Any], model_id: str = "acme/model-1", **more: Any) -> dict[str, Any]:
    return {"data": [{"id": model_id, "name": "Acme: Model 1", "pricing": pricing, **more}]}


def assert_sane(result: ParseResult) -> None:
    """Every price out is a finite Decimal within the band, or None; variable prices carry none."""
    for quote in result.quotes:
        for name, value in quote.prices().items():
            if value is None:
                continue
            assert isinstance(value, Decimal), (name, value)
            assert value.is_finite(), (name, value)
            assert Decimal(0) <= value <= MAX_PER_MILLION, (quote.provider_model_id, name, value)
        if quote.price_kind is PriceKind.VARIABLE:
            assert all(value is None for value in quote.prices().values())
        json.dumps(quote.extra)  # stored in a JSON column: no Decimals, no odd types
    for sample in result.samples:
        for name in ("ttft_p50_ms", "ttft_p99_ms", "tps_p50", "tps_p99", "uptime_5m", "uptime_30m", "uptime_1d"):
            value = getattr(sample, name)
            assert value is None or (value.is_finite() and value >= 0), (name, value)
        for name in ("uptime_5m", "uptime_30m", "uptime_1d"):
            value = getattr(sample, name)
            assert value is None or value <= 100


# ---------------------------------------------------------------------------------------------
# The catalogue


def test_it_reads_every_model_in_the_catalogue():
    result = parse(fixture("models.json"))
    ids = [m["id"] for m in json.loads(fixture("models.json"))["data"]]
    assert [q.provider_model_id for q in result.quotes] == ids
    assert [m.source_id for m in result.models] == ids
    assert result.rejected == []
    assert result.complete is True
    assert {q.provider for q in result.quotes} == {"openrouter"}
    assert_sane(result)


def test_it_converts_usd_per_token_strings_to_usd_per_million_exactly():
    quotes = by_id(parse(fixture("models.json")))
    r1 = quotes["deepseek/deepseek-r1"]
    assert (r1.input, r1.output) == (Decimal("0.7"), Decimal("2.5"))
    v3 = quotes["deepseek/deepseek-chat"]
    assert (v3.input, v3.output) == (Decimal("0.2574"), Decimal("1.0287"))
    gpt = quotes["openai/gpt-4o"]
    assert (gpt.input, gpt.output, gpt.cached_input) == (Decimal("2.5"), Decimal("10"), Decimal("1.25"))
    assert r1.price_kind is PriceKind.FIXED


def test_it_keeps_the_2025_prices_and_reads_cache_writes():
    quotes = by_id(parse(fixture("models-2025.json")))
    assert (quotes["deepseek/deepseek-r1"].input, quotes["deepseek/deepseek-r1"].output) == (
        Decimal("0.5"),
        Decimal("2.18"),
    )
    sonnet = quotes["anthropic/claude-3.5-sonnet"]
    assert (sonnet.cached_input, sonnet.cache_write) == (Decimal("0.3"), Decimal("3.75"))


def test_it_treats_zero_extras_of_2025_like_the_absent_keys_of_2026():
    old = by_id(parse(fixture("models-2025.json")))["meta-llama/llama-3.3-70b-instruct"]
    new = by_id(parse(fixture("models.json")))["meta-llama/llama-3.3-70b-instruct"]
    assert (old.per_request, old.reasoning, old.cached_input) == (None, None, None)
    assert (new.per_request, new.reasoning, new.cached_input) == (None, None, None)


def test_it_marks_a_router_priced_minus_one_as_variable_and_never_multiplies_it():
    auto = by_id(parse(fixture("models.json")))["openrouter/auto"]
    assert auto.price_kind is PriceKind.VARIABLE
    assert auto.prices() == dict.fromkeys(auto.prices())


def test_it_marks_a_numeric_minus_one_as_variable_too():
    quote = parse(one_model({"prompt": -1, "completion": "-1"})).quotes[0]
    assert quote.price_kind is PriceKind.VARIABLE
    assert quote.input is None


def test_it_marks_zero_priced_models_as_free():
    quotes = by_id(parse(fixture("models.json")))
    free = quotes["nvidia/nemotron-3.5-lightning:free"]
    assert free.price_kind is PriceKind.FREE
    assert (free.input, free.output) == (Decimal(0), Decimal(0))
    assert by_id(parse(fixture("models-2025.json")))["deepseek/deepseek-r1:free"].price_kind is PriceKind.FREE


def test_it_charges_nothing_for_a_missing_completion_key():
    quote = parse(one_model({"prompt": "0.000001"})).quotes[0]
    assert (quote.input, quote.output, quote.price_kind) == (Decimal(1), Decimal(0), PriceKind.FIXED)


def test_it_calls_a_model_without_token_prices_unknown_not_free():
    quote = parse(one_model({"image": "0.01"})).quotes[0]
    assert quote.price_kind is PriceKind.UNKNOWN
    assert quote.input is None and quote.output is None


def test_no_price_in_any_fixture_is_negative():
    for name, kind in [
        ("models.json", "models"),
        ("models-2025.json", "models"),
        ("endpoints-deepseek-r1.json", "endpoints"),
        ("endpoints-llama-3.3-70b-instruct.json", "endpoints"),
        ("endpoints-nex-n2.5-pro-free.json", "endpoints"),
    ]:
        result = parse(fixture(name), kind)
        assert result.quotes, name
        assert_sane(result)


def test_it_keeps_variants_of_one_model_apart():
    quotes = by_id(parse(fixture("models.json")))
    plain, batch = quotes["openai/gpt-4o"], quotes["openai/gpt-4o:batch"]
    assert (plain.variant, batch.variant) == ("", "batch")
    assert plain.canonical_hint == batch.canonical_hint == "openai/gpt-4o"
    assert (batch.input, batch.output) == (Decimal("1.25"), Decimal("5"))
    assert quotes["nvidia/nemotron-3.5-lightning:free"].variant == "free"


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("openai/gpt-4o:batch", ("openai/gpt-4o", "batch")),
        ("anthropic/claude-3.7-sonnet:thinking", ("anthropic/claude-3.7-sonnet", "thinking")),
        ("deepseek/deepseek-r1", ("deepseek/deepseek-r1", "")),
    ],
)
def test_it_splits_the_variant_suffix_off_an_id(model_id, expected):
    assert split_variant(model_id) == expected


def test_it_keeps_long_context_overrides_converted_with_their_condition():
    grok = by_id(parse(fixture("models.json")))["x-ai/grok-4.6"]
    assert (grok.input, grok.output) == (Decimal(2), Decimal(6))
    assert grok.extra["overrides"] == [{"min_prompt_tokens": 200000, "input": "4", "output": "12", "cached_input": "1"}]


def test_it_keeps_time_window_overrides():
    quote = parse(
        one_model(
            {
                "prompt": "0.00000027",
                "completion": "0.0000011",
                "overrides": [{"utc_start": 1630, "utc_end": 30, "prompt": "0.000000135", "completion": "0.00000055"}],
            }
        )
    ).quotes[0]
    assert quote.extra["overrides"] == [{"utc_start": 1630, "utc_end": 30, "input": "0.135", "output": "0.55"}]


def test_it_keeps_canonical_slug_expiration_date_and_raw_strings():
    quotes = by_id(parse(fixture("models.json")))
    grok = quotes["x-ai/grok-4.6"]
    assert grok.extra["canonical_slug"] == "x-ai/grok-4.6-20260810"
    assert grok.extra["expiration_date"] == "2026-12-31"
    assert grok.extra["pricing"]["web_search"] == "0.005"
    assert quotes["~deepseek/deepseek-v4-flash-latest"].extra["alias_target"] == "deepseek/deepseek-v4-flash-0731"


def test_it_describes_each_model():
    result = parse(fixture("models.json"))
    info = {m.source_id: m for m in result.models}["deepseek/deepseek-chat"]
    assert info.canonical_slug == "deepseek/deepseek-chat-v3"
    assert info.name == "DeepSeek: DeepSeek V3"
    assert info.hf_id == "deepseek-ai/DeepSeek-V3"
    assert info.context_length == 163840
    assert info.created == datetime(2024, 12, 26, 19, 28, 40, tzinfo=UTC)
    quote = by_id(result)["deepseek/deepseek-chat"]
    assert (quote.context_length, quote.max_output, quote.hf_id) == (163840, 16000, "deepseek-ai/DeepSeek-V3")


def test_a_null_max_completion_stays_unknown():
    assert by_id(parse(fixture("models.json")))["x-ai/grok-4.6"].max_output is None


@pytest.mark.parametrize(
    ("price", "reason"),
    [
        ("0.7", "above the 5000 USD/M band"),  # 1e6 too high: someone sent $/M where $/token belongs
        ("-0.000001", "negative"),
        ("abc", "not a number"),
        ("Infinity", "not a finite number"),
        (True, "expected a number"),
        ([1], "expected a number"),
        ("1e999999", "out of range"),
    ],
)
def test_it_rejects_one_model_with_a_bad_price_and_reads_the_rest(price, reason):
    document = json.loads(fixture("models.json"))
    document["data"][1]["pricing"]["completion"] = price
    result = parse(document)
    assert len(result.quotes) == len(document["data"]) - 1
    ((model_id, why),) = result.rejected
    assert model_id == "deepseek/deepseek-chat"
    assert reason in why
    assert_sane(result)


def test_it_rejects_a_model_whose_override_is_a_unit_slip():
    result = parse(one_model({"prompt": "0.000001", "completion": "0.000002", "overrides": [{"prompt": "4"}]}))
    assert result.quotes == []
    assert "overrides[0].prompt" in result.rejected[0][1]


def test_it_rejects_a_model_listed_twice_and_one_without_an_id():
    document = json.loads(fixture("models.json"))
    document["data"].append(dict(document["data"][0]))
    document["data"].append({"name": "nameless", "pricing": {"prompt": "0", "completion": "0"}})
    document["data"].append("not a model")
    result = parse(document)
    assert len(result.quotes) == 11
    assert [reason for _, reason in result.rejected] == ["id listed twice", "model has no id", "model is not an object"]


def test_a_page_of_a_paged_listing_is_not_a_complete_listing():
    document = json.loads(fixture("models.json"))
    document["links"]["next"] = "/api/v1/models?offset=11&limit=11"
    assert parse(document).complete is False


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<!DOCTYPE html><html><body>Just a moment...</body></html>", "HTML"),
        (b'{"data": [{"id": "a/b", "pricing": {"prompt": "0.000001"', "invalid JSON"),
        (b'{"data": [{"id": "a/b", "pricing": {"prompt": NaN, "completion": "0"}}]}', "NaN"),
        (b'{"data": [{"id": "a/b", "id": "c/d", "pricing": {}}]}', "twice"),
        (b'{"models": []}', "'data' is missing"),
        (b'{"data": {"id": "a/b"}}', "not a list"),
        (b"[]", "expected an object"),
        (b'{"data": []}', "empty"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"", "invalid JSON"),
        (b'{"data": [' + b"1" * 5000 + b"]}", "invalid JSON"),
        (b"[" * 100000, "JSON"),
    ],
)
def test_it_raises_a_parse_error_for_a_body_that_is_not_the_documented_shape(body, message):
    with pytest.raises(ParseError, match=message):
        parse(body)


def test_it_refuses_an_unknown_payload_kind():
    with pytest.raises(ParseError, match="kind"):
        parse(fixture("models.json"), kind="providers")


# ---------------------------------------------------------------------------------------------
# Endpoints


def test_it_reads_one_quote_per_endpoint_with_the_provider_from_the_tag():
    result = parse(fixture("endpoints-llama-3.3-70b-instruct.json"), "endpoints")
    assert sorted(by_offer(result)) == [
        ("deepinfra", "turbo"),
        ("google-vertex", ""),
        ("google-vertex", "us-central1"),
        ("groq", ""),
        ("nebius", ""),  # nebius/fp8: the quantization is an attribute, not the offer's key
        ("sambanova", ""),  # sambanova-turbo: SambaNova's one endpoint (tagged plain "sambanova" in 2025)
    ]
    for quote in result.quotes:
        assert quote.provider_model_id == "meta-llama/llama-3.3-70b-instruct"
        assert quote.canonical_hint == "meta-llama/llama-3.3-70b-instruct"
    assert result.rejected == []


def test_it_reads_the_endpoint_details():
    quotes = by_offer(parse(fixture("endpoints-deepseek-r1.json"), "endpoints"))
    novita = quotes[("novita", "")]
    assert (novita.input, novita.output) == (Decimal("0.7"), Decimal("2.5"))
    assert (novita.quantization, novita.context_length, novita.max_output) == ("fp8", 64000, 16000)
    assert (novita.provider_name, novita.model_name, novita.status) == ("Novita", "DeepSeek: R1", "0")
    azure = quotes[("azure", "")]
    assert (azure.input, azure.output, azure.status) == (Decimal("1.485"), Decimal("5.94"), "-5")
    assert quotes[("deepinfra", "")].cached_input == Decimal("0.35")


def test_the_price_is_stored_as_listed_and_the_discount_gives_the_list_price():
    # OpenRouter's pricing.prompt/completion are already net of the discount (real capture:
    # SambaNova pricing_json 0.0000006/0.0000012, discount 0.25, pricing 0.00000045/0.0000009).
    sambanova = by_offer(parse(fixture("endpoints-llama-3.3-70b-instruct.json"), "endpoints"))[("sambanova", "")]
    assert (sambanova.input, sambanova.output) == (Decimal("0.45"), Decimal("0.9"))
    assert sambanova.extra["list_price"] == {"input": "0.6", "output": "1.2"}
    assert sambanova.extra["discount"] == "0.25"
    assert "listed" not in sambanova.extra


def test_a_negative_discount_is_a_surcharge_and_is_kept():
    document = json.loads(fixture("endpoints-deepseek-r1.json"))
    document["data"]["endpoints"][0]["pricing"]["discount"] = -0.2
    result = parse(document, "endpoints")
    assert result.rejected == []
    novita = by_offer(result)[("novita", "")]
    assert (novita.input, novita.output) == (Decimal("0.7"), Decimal("2.5"))
    assert novita.extra["discount"] == "-0.2"
    assert novita.extra["list_price"] == {"input": "0.5833333333", "output": "2.0833333333"}


@pytest.mark.parametrize("discount", [1, 1.5, -10, "lots", "NaN", True, None])
def test_it_rejects_an_endpoint_with_an_impossible_discount(discount):
    document = json.loads(fixture("endpoints-deepseek-r1.json"))
    document["data"]["endpoints"][0]["pricing"]["discount"] = discount
    result = parse(document, "endpoints")
    if discount is None:
        assert result.rejected == []
        return
    assert [where for where, _ in result.rejected] == ["deepseek/deepseek-r1 @ novita/fp8"]
    assert len(result.quotes) == 2


def test_it_reads_latency_throughput_and_uptime_and_keeps_null_unknown():
    result = parse(fixture("endpoints-llama-3.3-70b-instruct.json"), "endpoints")
    samples = {(s.provider, s.variant): s for s in result.samples}
    sambanova = samples[("sambanova", "")]
    assert (sambanova.ttft_p50_ms, sambanova.ttft_p99_ms) == (Decimal(846), Decimal(2410))
    assert (sambanova.tps_p50, sambanova.tps_p90) == (Decimal("250.4"), Decimal("190.2"))
    assert (sambanova.uptime_5m, sambanova.uptime_1d, sambanova.window) == (Decimal(100), Decimal("99.9"), "30m")
    deepinfra = samples[("deepinfra", "turbo")]
    assert deepinfra.ttft_p50_ms == Decimal(781)
    assert deepinfra.ttft_p75_ms is None and deepinfra.tps_p50 is None
    assert deepinfra.uptime_5m == Decimal(0)  # a measured zero stays zero
    google = samples[("google-vertex", "")]
    assert google.ttft_p50_ms is None and google.uptime_30m == Decimal("99.2")
    # Nebius and the us-central1 endpoint have no figures at all: no sample rather than zeros.
    assert ("nebius", "") not in samples and ("google-vertex", "us-central1") not in samples


def test_it_drops_an_uptime_outside_zero_to_a_hundred():
    document = json.loads(fixture("endpoints-deepseek-r1.json"))
    document["data"]["endpoints"][0]["uptime_last_5m"] = 250
    document["data"]["endpoints"][0]["latency_last_30m"]["p50"] = -3
    sample = parse(document, "endpoints").samples[0]
    assert sample.uptime_5m is None and sample.ttft_p50_ms is None
    assert sample.uptime_30m == Decimal("99.61")


def test_a_free_variant_keeps_its_own_id():
    quote = parse(fixture("endpoints-nex-n2.5-pro-free.json"), "endpoints").quotes[0]
    assert (quote.provider, quote.variant, quote.price_kind) == ("nex-agi", "", PriceKind.FREE)
    assert quote.quantization == "fp8"
    assert quote.provider_model_id == "nex-agi/nex-n2.5-pro:free"
    assert quote.canonical_hint == "nex-agi/nex-n2.5-pro"


def test_it_falls_back_to_the_provider_name_when_there_is_no_tag():
    document = json.loads(fixture("endpoints-deepseek-r1.json"))
    document["data"]["endpoints"][0]["tag"] = None
    document["data"]["endpoints"][0]["provider_name"] = "Together AI"
    assert ("together", "") in by_offer(parse(document, "endpoints"))


def test_it_rejects_the_second_of_two_endpoints_with_the_same_tag():
    document = json.loads(fixture("endpoints-deepseek-r1.json"))
    document["data"]["endpoints"].append(document["data"]["endpoints"][0])
    result = parse(document, "endpoints")
    assert len(result.quotes) == 3
    assert result.rejected == [("deepseek/deepseek-r1 @ novita/fp8", "endpoint listed twice")]


def test_a_model_without_endpoints_is_an_empty_result_not_an_error():
    result = parse({"data": {"id": "a/b", "endpoints": []}}, "endpoints")
    assert (result.quotes, result.rejected, result.complete) == ([], [], True)


def test_a_quantization_change_keeps_the_offer_key():
    # Real: Crusoe's V3-0324 endpoint was tagged "crusoe" (no quantization) in 2025, "crusoe/bf16" in 2026.
    document = json.loads(fixture("endpoints-deepseek-r1.json"))
    before = by_offer(parse(document, "endpoints"))
    document["data"]["endpoints"][0]["tag"] = "novita/bf16"
    document["data"]["endpoints"][0]["quantization"] = "bf16"
    after = by_offer(parse(document, "endpoints"))
    assert before.keys() == after.keys()
    assert (before[("novita", "")].quantization, after[("novita", "")].quantization) == ("fp8", "bf16")


def test_two_quantizations_sold_side_by_side_are_two_offers():
    document = json.loads(fixture("endpoints-deepseek-r1.json"))
    second = json.loads(json.dumps(document["data"]["endpoints"][0]))
    second.update(tag="novita/bf16", quantization="bf16")
    second["pricing"]["prompt"] = "0.0000009"
    document["data"]["endpoints"].append(second)
    result = parse(document, "endpoints")
    quotes = by_offer(result)
    assert (quotes[("novita", "fp8")].input, quotes[("novita", "bf16")].input) == (Decimal("0.7"), Decimal("0.9"))
    assert ("novita", "") not in quotes and result.rejected == []
    assert {(s.provider, s.variant) for s in result.samples} >= {("novita", "fp8"), ("novita", "bf16")}


def test_an_endpoints_body_is_complete_for_its_model_only():
    result = parse(fixture("endpoints-deepseek-r1.json"), "endpoints")
    assert result.complete and result.scope is not None
    assert result.scope.covers("novita", "deepseek/deepseek-r1")
    assert not result.scope.covers("novita", "meta-llama/llama-3.3-70b-instruct")
    assert not result.scope.covers("openrouter", "deepseek/deepseek-r1")  # the list price is the models list's


def test_a_models_list_is_complete_for_its_own_prices_and_for_models_it_no_longer_lists():
    result = parse(fixture("models.json"))
    scope = result.scope
    assert scope.covers("openrouter", "deepseek/deepseek-r1")  # OpenRouter's own list price
    assert not scope.covers("novita", "deepseek/deepseek-r1")  # a host's offer: its endpoints body says
    assert scope.covers("novita", "gone/model-no-longer-listed")


def test_a_sweep_of_list_and_endpoints_covers_every_offer_it_asked_about():
    result = ParseResult()
    result.extend(parse(fixture("models.json")))
    result.extend(parse(fixture("endpoints-deepseek-r1.json"), "endpoints"))
    assert result.scope.covers("novita", "deepseek/deepseek-r1")
    assert result.scope.covers("openrouter", "openai/gpt-4o")
    assert not result.scope.covers("azure", "openai/gpt-4o")  # its endpoints were not asked for


@pytest.mark.parametrize(
    "body",
    [
        b'{"data": []}',
        b'{"data": {"endpoints": []}}',
        b'{"data": {"id": "a/b"}}',
        b"<html>",
        b'{"data": {"id": "a/b", ',
    ],
)
def test_it_raises_a_parse_error_for_endpoints_not_in_the_documented_shape(body):
    with pytest.raises(ParseError):
        parse(body, "endpoints")


def test_an_errored_endpoint_payload_is_incomplete_and_names_the_model():
    errored = Payload(
        url="https://openrouter.ai/api/v1/models/deepseek/deepseek-r1/endpoints",
        body=b"",
        fetched_at=datetime.now(UTC),
        kind="endpoints",
        status=500,
        error="HTTP 500",
    )
    result = OpenRouterCollector().parse(errored)
    assert result.complete is False
    assert result.rejected == [("deepseek/deepseek-r1", "HTTP 500")]


# ---------------------------------------------------------------------------------------------
# Fetching against a local server


@pytest.fixture
def server():
    with FaultServer() as server:
        yield server


def endpoints_body(model_id: str) -> bytes:
    return json.dumps(
        {
            "data": {
                "id": model_id,
                "endpoints": [
                    {
                        "name": f"DeepInfra | {model_id}",
                        "model_id": model_id,
                        "pricing": {"prompt": "0.0000001", "completion": "0.0000002", "discount": 0},
                        "provider_name": "DeepInfra",
                        "tag": "deepinfra/fp8",
                        "quantization": "fp8",
                        "status": 0,
                        "latency_last_30m": None,
                        "throughput_last_30m": None,
                    }
                ],
            }
        }
    ).encode()


def serve_endpoints(request: Request) -> Step | None:
    prefix, suffix = "/api/v1/models/", "/endpoints"
    if request.path.startswith(prefix) and request.path.endswith(suffix):
        return Step(body=endpoints_body(request.path[len(prefix) : -len(suffix)]))
    return None


def endpoint_paths(server: FaultServer) -> list[str]:
    return sorted(r.path for r in server.requests if r.path.endswith("/endpoints"))


def http_client(**kwargs: Any) -> HttpClient:
    kwargs.setdefault("deadline", 2.0)
    kwargs.setdefault("backoff", 0.01)
    kwargs.setdefault("retry_after_cap", 0.05)
    return HttpClient(**kwargs)


def sweep(server: FaultServer, **options: Any) -> tuple[list[Payload], ParseResult]:
    api_key = options.pop("api_key", None)
    http = options.pop("http", None) or http_client()
    collector = OpenRouterCollector(base_url=server.base_url, **options)
    payloads = list(collector.fetch(http, api_key=api_key))
    result = ParseResult()
    for item in payloads:
        result.extend(collector.parse(item))
    return payloads, result


def test_it_fetches_the_catalogue_then_the_endpoints_of_each_base_model(server):
    server.script(MODELS_PATH, Step(body=fixture("models.json")))
    server.route(serve_endpoints)
    payloads, result = sweep(server)
    assert server.requests[0].query == {"output_modalities": ["all"]}
    assert [p.kind for p in payloads] == ["models"] + ["endpoints"] * 8
    # No routers ("-1"), no "~" aliases, gpt-4o:batch folded into gpt-4o, a free-only model by its own id.
    assert endpoint_paths(server) == sorted(
        f"/api/v1/models/{m}/endpoints"
        for m in [
            "deepseek/deepseek-r1",
            "deepseek/deepseek-chat",
            "meta-llama/llama-3.3-70b-instruct",
            "qwen/qwen3-235b-a22b",
            "openai/gpt-4o",
            "x-ai/grok-4.6",
            "nvidia/nemotron-3.5-lightning:free",
            "openrouter/free",
        ]
    )
    assert len([q for q in result.quotes if q.provider == "deepinfra"]) == 8
    assert result.complete is True
    assert all("authorization" not in r.headers for r in server.requests)


def test_it_sends_the_key_to_the_endpoints_api_only_when_given(server):
    server.script(MODELS_PATH, Step(body=fixture("models.json")))
    server.route(serve_endpoints)
    sweep(server, api_key="sk-or-test")
    endpoint_requests = [r for r in server.requests if r.path.endswith("/endpoints")]
    assert endpoint_requests and all(r.headers["authorization"] == "Bearer sk-or-test" for r in endpoint_requests)


def test_it_follows_links_next_on_the_same_host(server):
    models = json.loads(fixture("models.json"))["data"]
    first = {"data": models[:3], "links": {"next": "/api/v1/models?offset=3&limit=3"}}
    second = {"data": models[3:5], "links": {"next": None}}
    server.script(MODELS_PATH + "?output_modalities=all", Step.json(first))
    server.script(MODELS_PATH + "?offset=3&limit=3", Step.json(second))
    server.route(serve_endpoints)
    payloads, result = sweep(server)
    assert [p.kind for p in payloads[:2]] == ["models", "models"]
    assert len(endpoint_paths(server)) == 5
    assert len([q for q in result.quotes if q.provider == "openrouter"]) == 5
    assert result.complete is False  # pages are never a full listing on their own


def test_it_does_not_follow_a_next_link_to_another_host(server):
    document = json.loads(fixture("models.json"))
    document["links"]["next"] = "http://198.51.100.7/api/v1/models?offset=11"
    server.script(MODELS_PATH, Step.json(document))
    server.route(serve_endpoints)
    payloads, _ = sweep(server)
    assert [p.kind for p in payloads].count("models") == 1


def test_one_failing_model_yields_an_error_payload_and_the_rest_go_on(server):
    server.script(MODELS_PATH, Step(body=fixture("models.json")))
    server.script("/api/v1/models/deepseek/deepseek-r1/endpoints", Step(status=500))
    server.script("/api/v1/models/openai/gpt-4o/endpoints", Step(hang=True))
    server.route(serve_endpoints)
    payloads, result = sweep(server, http=http_client(deadline=1.0))
    errors = {p.url.split("/models/")[1]: p.error for p in payloads if p.error}
    assert errors["deepseek/deepseek-r1/endpoints"] == "HTTP 500"
    assert errors["openai/gpt-4o/endpoints"].startswith("timeout")
    assert len([q for q in result.quotes if q.provider == "deepinfra"]) == 6
    assert result.complete is False
    assert ("deepseek/deepseek-r1", "HTTP 500") in result.rejected


def test_it_asks_only_for_the_models_it_was_told_to(server):
    server.script(MODELS_PATH, Step(body=fixture("models.json")))
    server.route(serve_endpoints)
    _, result = sweep(server, endpoint_models=["openai/gpt-4o:batch", "deepseek/deepseek-r1"])
    assert endpoint_paths(server) == [
        "/api/v1/models/deepseek/deepseek-r1/endpoints",
        "/api/v1/models/openai/gpt-4o/endpoints",
    ]
    assert result.complete is False  # a narrowed sweep must not make other offers look removed


def test_it_caps_the_number_of_endpoint_requests(server):
    server.script(MODELS_PATH, Step(body=fixture("models.json")))
    server.route(serve_endpoints)
    sweep(server, max_endpoint_requests=3)
    assert len(endpoint_paths(server)) == 3


def test_it_skips_ids_that_are_not_safe_in_a_path(server):
    document = one_model({"prompt": "0", "completion": "0"}, model_id="../../admin/x")
    document["data"].append({"id": "a/b?c=d", "pricing": {"prompt": "0", "completion": "0"}})
    server.script(MODELS_PATH, Step.json(document))
    sweep(server)
    assert endpoint_paths(server) == []


# ---------------------------------------------------------------------------------------------
# RELIABILITY.md row 8: the fault matrix, through fetch and parse. Each case ends in a FetchError,
# a ParseError or a rejected item, within the client's deadline (pytest-timeout backs that up).


def good_catalogue_with(pricing: dict[str, Any]) -> bytes:
    document = json.loads(fixture("models.json"))
    document["data"][0]["pricing"] = pricing
    return json.dumps(document).encode()


FAULTS = {
    "429 for ever": ([Step(status=429, headers={"Retry-After": "3600"})], FetchError, "HTTP 429"),
    "5xx for ever": ([Step(status=503)], FetchError, "HTTP 503"),
    "HTML instead of JSON": (
        [Step(body=b"<html><body>Rate limited</body></html>", content_type="text/html")],
        ParseError,
        "HTML",
    ),
    "truncated JSON": ([Step(body=fixture("models.json")[:4000])], ParseError, "invalid JSON"),
    "body cut short": ([Step(body=fixture("models.json")[:4000], declared_length=11218)], FetchError, "IncompleteRead"),
    "NaN": ([Step(body=fixture("models.json").replace(b'"0.0000007"', b"NaN"))], ParseError, "NaN"),
    "duplicate keys": ([Step(body=b'{"data": [], "data": []}')], ParseError, "twice"),
    "empty list": ([Step.json({"data": [], "total_count": 0, "links": {"next": None}})], ParseError, "empty"),
    "25 MB body": ([Step(body=b" " * (25 * 1024 * 1024), content_length=False)], FetchError, "cap"),
    "1 byte/s drip": ([Step(body=fixture("models.json"), drip=1)], FetchError, "deadline"),
    "hang": ([Step(hang=True)], FetchError, "timeout"),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_catalogue_fault_ends_in_a_clear_error_within_the_deadline(server, fault):
    steps, error, message = FAULTS[fault]
    server.script(MODELS_PATH, *steps)
    server.route(serve_endpoints)
    with pytest.raises(error, match=message):
        sweep(server, http=http_client(deadline=2.0))
    assert endpoint_paths(server) == []  # no sweep of endpoints behind a broken catalogue


@pytest.mark.timeout(30)
def test_a_429_then_success_is_retried_after_the_capped_retry_after(server):
    server.script(MODELS_PATH, Step(status=429, headers={"Retry-After": "3600"}), Step(body=fixture("models.json")))
    server.route(serve_endpoints)
    _, result = sweep(server)
    assert server.count(MODELS_PATH) == 2
    assert len([q for q in result.quotes if q.provider == "openrouter"]) == 11


@pytest.mark.timeout(30)
def test_a_minus_one_price_arrives_as_variable(server):
    server.script(MODELS_PATH, Step(body=good_catalogue_with({"prompt": "-1", "completion": "-1"})))
    _, result = sweep(server, max_endpoint_requests=0)
    r1 = by_id(result)["deepseek/deepseek-r1"]
    assert r1.price_kind is PriceKind.VARIABLE and r1.input is None
    assert "/api/v1/models/deepseek/deepseek-r1/endpoints" not in endpoint_paths(server)


@pytest.mark.timeout(30)
def test_a_price_a_million_times_too_high_is_rejected_and_the_rest_kept(server):
    server.script(MODELS_PATH, Step(body=good_catalogue_with({"prompt": "0.7", "completion": "2.5"})))
    _, result = sweep(server, max_endpoint_requests=0)
    assert [model for model, _ in result.rejected] == ["deepseek/deepseek-r1"]
    assert "band" in result.rejected[0][1]
    assert len([q for q in result.quotes if q.provider == "openrouter"]) == 10


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("step", "error"),
    [
        (Step(status=502), "HTTP 502"),
        (Step(status=429, headers={"Retry-After": "3600"}), "HTTP 429"),
        (Step(body=b"x" * 200, drip=1), "timeout"),
        (Step(hang=True), "timeout"),
        (Step(body=b" " * (25 * 1024 * 1024)), "failed: response of 26214400 bytes"),
    ],
)
def test_an_endpoint_fault_costs_only_that_model(server, step, error):
    server.script(MODELS_PATH, Step(body=fixture("models.json")))
    server.script("/api/v1/models/qwen/qwen3-235b-a22b/endpoints", step)
    server.route(serve_endpoints)
    payloads, result = sweep(server, http=http_client(deadline=1.0))
    (failed,) = [p for p in payloads if p.error]
    assert failed.url.endswith("/qwen/qwen3-235b-a22b/endpoints")
    assert failed.error.startswith(error)
    assert len([q for q in result.quotes if q.provider == "deepinfra"]) == 7


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("body", "error"),
    [(b"<html>oops</html>", "HTML"), (b'{"data": {"id": "qwen/qwen3-235b-a22b", "endpoints": [', "invalid JSON")],
)
def test_an_unreadable_endpoint_body_is_a_parse_error_for_that_payload(server, body, error):
    server.script(MODELS_PATH, Step(body=fixture("models.json")))
    server.script("/api/v1/models/qwen/qwen3-235b-a22b/endpoints", Step(body=body))
    server.route(serve_endpoints)
    collector = OpenRouterCollector(base_url=server.base_url)
    payloads = list(collector.fetch(http_client()))
    failures = []
    for item in payloads:
        try:
            collector.parse(item)
        except ParseError as exc:
            failures.append((item.url, str(exc)))
    ((url, message),) = failures
    assert url.endswith("/qwen/qwen3-235b-a22b/endpoints") and error in message


# ---------------------------------------------------------------------------------------------
# Hypothesis: nothing but ParseError escapes parse(), and every price out is sane.

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
any_json = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)
odd_prices = st.one_of(
    st.sampled_from(
        [
            "0",
            "-1",
            "-0",
            "1",
            "0.7",
            "NaN",
            "Infinity",
            "-Infinity",
            "1e400",
            "1e-400",
            "1e999999",
            " 0.0000001 ",
            "",
            "0x10",
            "1,5",
            "sNaN",
        ]
    ),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.decimals(min_value=0, max_value=Decimal("0.01"), places=12).map(str),
    st.integers(min_value=-2, max_value=10**30),
    st.floats(min_value=-1, max_value=1e9, allow_nan=False),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)
price_keys = st.sampled_from(
    [
        "prompt",
        "completion",
        "request",
        "image",
        "web_search",
        "internal_reasoning",
        "input_cache_read",
        "input_cache_write",
        "discount",
    ]
)
# Mostly plausible prices, so that most generated offers get through and their output is checked.
good_price = st.decimals(min_value=0, max_value=Decimal("0.005"), places=10).map(str)
price_value = st.one_of(good_price, good_price, good_price, odd_prices)
odd_pricing = st.one_of(
    st.fixed_dictionaries(
        {"prompt": price_value, "completion": price_value},
        optional={key: price_value for key in ("request", "input_cache_read", "internal_reasoning", "discount")},
    ),
    st.fixed_dictionaries(
        {"prompt": good_price, "completion": good_price}, optional={"discount": st.decimals(0, 1).map(str) | odd_prices}
    ),
    st.dictionaries(price_keys, odd_prices, max_size=6),
    any_json,
)
odd_override = st.dictionaries(
    st.sampled_from(["min_prompt_tokens", "utc_start", "utc_end", "prompt", "completion"]), odd_prices, max_size=4
)
odd_count = st.none() | st.integers(min_value=-5, max_value=10**15) | st.floats(allow_nan=False) | st.text(max_size=4)


@st.composite
def schema_shaped_models(draw) -> dict[str, Any]:
    models = []
    for _ in range(draw(st.integers(min_value=0, max_value=5))):
        pricing = draw(odd_pricing)
        if isinstance(pricing, dict) and draw(st.booleans()):
            pricing["overrides"] = draw(st.lists(odd_override, max_size=2) | any_json)
        models.append(
            {
                "id": draw(
                    st.sampled_from(["a/b", "a/b:free", "openrouter/auto", "~x/y-latest"]) | st.text(max_size=10)
                ),
                "name": draw(st.text(max_size=10) | st.none()),
                "created": draw(odd_count),
                "context_length": draw(odd_count),
                "pricing": pricing,
                "top_provider": draw(st.fixed_dictionaries({"max_completion_tokens": odd_count}) | any_json),
                "canonical_slug": draw(st.text(max_size=10) | st.none() | st.integers()),
            }
        )
    return {"data": models, "links": draw(st.fixed_dictionaries({"next": st.none() | st.text(max_size=10)}) | any_json)}


odd_stats = st.fixed_dictionaries({p: odd_prices for p in ("p50", "p75", "p90", "p99")}) | any_json


@st.composite
def schema_shaped_endpoints(draw) -> dict[str, Any]:
    endpoints = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        endpoints.append(
            {
                "tag": draw(
                    st.sampled_from(["deepinfra/fp8", "sambanova-turbo", "novita", "/", ""])
                    | st.none()
                    | st.text(max_size=8)
                ),
                "provider_name": draw(st.text(max_size=8) | st.none()),
                "pricing": draw(odd_pricing),
                "quantization": draw(st.sampled_from(["fp8", "bf16"]) | st.none() | st.integers()),
                "context_length": draw(odd_count),
                "max_completion_tokens": draw(odd_count),
                "status": draw(
                    st.integers(min_value=-10, max_value=0)
                    | st.none()
                    | st.text(max_size=3)
                    | st.floats(allow_nan=False)
                ),
                "latency_last_30m": draw(odd_stats | st.none()),
                "throughput_last_30m": draw(odd_stats | st.none()),
                "uptime_last_5m": draw(odd_prices),
                "uptime_last_30m": draw(odd_prices),
                "uptime_last_1d": draw(odd_prices),
            }
        )
    return {"data": {"id": draw(st.sampled_from(["a/b", "a/b:free"]) | st.text(max_size=8)), "endpoints": endpoints}}


def parse_or_parse_error(body: bytes, kind: str) -> None:
    try:
        result = parse(body, kind)
    except ParseError:
        return
    assert_sane(result)


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(document=any_json, kind=st.sampled_from(["models", "endpoints"]))
def test_arbitrary_json_gives_sane_prices_or_a_parse_error(document, kind):
    parse_or_parse_error(json.dumps(document).encode(), kind)


@FUZZ
@given(body=st.binary(max_size=200), kind=st.sampled_from(["models", "endpoints"]))
def test_arbitrary_bytes_give_a_parse_error_at_worst(body, kind):
    parse_or_parse_error(body, kind)


@FUZZ
@given(document=schema_shaped_models())
def test_schema_shaped_catalogues_with_odd_prices_give_sane_prices_or_a_parse_error(document):
    # floats that json writes as "1e+300" and NaN-free decimals written as strings all go through.
    parse_or_parse_error(json.dumps(document).encode(), "models")


@FUZZ
@given(document=schema_shaped_endpoints())
def test_schema_shaped_endpoints_with_odd_prices_give_sane_prices_or_a_parse_error(document):
    parse_or_parse_error(json.dumps(document).encode(), "endpoints")
