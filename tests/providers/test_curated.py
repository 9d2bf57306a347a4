"""The curated-dataset collectors: llm-prices.com (simonw) and genai-prices (pydantic).

HTTP is faked with ``responses`` at the real URLs; nothing leaves the process.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providers import get_collector
from providers.base import FetchError, ParseError, PriceKind
from providers.curated import GenaiPricesCollector, LlmPricesCollector, vendor_slug
from providers.units import MAX_PER_MILLION
from tests.providers.listing_support import HTML_PAGE, client, fixture, payload

LLM_URL = "https://www.llm-prices.com/historical-v1.json"
GENAI_URL = "https://raw.githubusercontent.com/pydantic/genai-prices/main/prices/data.json"
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def llm(body: Any):
    return LlmPricesCollector().parse(payload(body))


def genai(body: Any):
    return GenaiPricesCollector().parse(payload(body))


def keyed(quotes) -> dict[tuple[str, str, datetime | None], Any]:
    result = {}
    for quote in quotes:
        key = (quote.provider, quote.provider_model_id, quote.valid_from)
        assert key not in result, f"two quotes for {key}"
        result[key] = quote
    return result


def llm_item(**fields: Any) -> dict[str, Any]:
    return {
        "id": "m-1",
        "vendor": "acme",
        "name": "M 1",
        "input": 1,
        "output": 2,
        "input_cached": None,
        "from_date": None,
        "to_date": None,
        **fields,
    }


def genai_provider(provider_id: str = "acme", models: list | None = None) -> dict[str, Any]:
    if models is None:
        models = [{"id": "m-1", "prices": {"input_mtok": 1, "output_mtok": 2}}]
    return {"id": provider_id, "name": provider_id.title(), "models": models}


# --------------------------------------------------------------------------- collector metadata


@pytest.mark.parametrize("cls, slug", [(LlmPricesCollector, "llm-prices"), (GenaiPricesCollector, "genai-prices")])
def test_both_are_keyless_daily_curated_sources_in_the_registry(cls, slug):
    collector = get_collector(slug)
    assert isinstance(collector, cls)
    assert (collector.slug, collector.kind, collector.default_interval_minutes) == (slug, "curated", 1440)
    assert collector.api_key_env is None
    assert collector.key_required is False


# --------------------------------------------------------------------------- llm-prices


def test_llm_prices_history_gives_each_period_its_own_dates():
    quotes = keyed(llm(fixture("curated", "llm-prices-historical.json")).quotes)
    now = quotes[("deepseek", "deepseek-chat", day("2025-02-08"))]
    assert (now.input, now.output, now.cached_input) == (Decimal("0.27"), Decimal("1.1"), None)
    assert now.valid_from == datetime(2025, 2, 8, tzinfo=UTC)
    assert now.valid_from.tzinfo is UTC
    assert now.valid_to is None
    before = quotes[("deepseek", "deepseek-chat", None)]
    assert (before.input, before.output) == (Decimal("0.14"), Decimal("0.28"))
    assert before.valid_to == datetime(2025, 2, 8, tzinfo=UTC)
    assert before.extra == {"start_unknown": True}


def test_llm_prices_reads_usd_per_million_with_cached_input_and_names():
    quotes = keyed(llm(fixture("curated", "llm-prices-historical.json")).quotes)
    r1 = quotes[("deepseek", "deepseek-reasoner", None)]
    assert (r1.input, r1.output, r1.cached_input) == (Decimal("0.55"), Decimal("2.19"), None)
    assert r1.model_name == "DeepSeek Reasoner"
    assert r1.price_kind is PriceKind.FIXED
    o1 = quotes[("openai", "o1-preview", None)]
    assert (o1.input, o1.output, o1.cached_input) == (Decimal("15"), Decimal("60"), Decimal("7.5"))
    assert quotes[("openai", "o1-pro", None)].output == Decimal("600")
    assert quotes[("anthropic", "claude-3.5-sonnet", None)].input == Decimal("3")
    assert len(quotes) == 8


def test_llm_prices_current_shape_is_undated():
    result = llm(fixture("curated", "llm-prices-current.json"))
    quotes = keyed(result.quotes)
    assert set(quotes) == {
        ("deepseek", "deepseek-chat", None),
        ("deepseek", "deepseek-reasoner", None),
        ("openai", "gpt-4o", None),
        ("openai", "o1-mini", None),
        ("anthropic", "claude-3.7-sonnet", None),
    }
    assert all(q.valid_from is None and q.valid_to is None for q in result.quotes)
    assert quotes[("openai", "o1-mini", None)].cached_input == Decimal("0.55")
    assert result.rejected == []


def test_llm_prices_vendor_source_file_shape_reads_the_same_history():
    quotes = keyed(llm(fixture("curated", "llm-prices-vendor-deepseek.json")).quotes)
    assert set(quotes) == {
        ("deepseek", "deepseek-chat", day("2025-02-08")),
        ("deepseek", "deepseek-chat", None),
        ("deepseek", "deepseek-reasoner", None),
    }
    assert quotes[("deepseek", "deepseek-chat", None)].valid_to == day("2025-02-08")


@pytest.mark.parametrize(
    "vendor, slug",
    [
        ("meta-ai", "meta"),
        ("Mistral", "mistral"),
        ("moonshot-ai", "moonshotai"),
        ("x-ai", "xai"),
        ("z.ai", "zai"),
        ("deepseek", "deepseek"),
        ("OpenAI", "openai"),
    ],
)
def test_vendor_names_become_provider_slugs(vendor, slug):
    assert vendor_slug(vendor) == slug
    assert llm({"prices": [llm_item(vendor=vendor)]}).quotes[0].provider == slug


def test_a_datetime_date_is_read_as_utc_and_a_zoned_one_is_converted():
    result = llm(
        {
            "prices": [
                llm_item(from_date="2025-01-20T00:00:00"),
                llm_item(id="m-2", from_date="2025-01-20T08:00:00+08:00"),
            ]
        }
    )
    assert [q.valid_from for q in result.quotes] == [day("2025-01-20"), day("2025-01-20")]


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({"input": -1}, "negative"),
        ({"input": "cheap"}, "not a number"),
        ({"input": True}, "expected a number"),
        ({"output": 1e9}, "band"),
        ({"input": None, "output": None}, "neither"),
        ({"from_date": "2025-13-01"}, "not an ISO date"),
        ({"from_date": 20250101}, "expected an ISO date"),
        ({"from_date": "2025-03-01", "to_date": "2025-02-01"}, "before it starts"),
        ({"vendor": None}, "no vendor"),
        ({"id": ""}, "no usable 'id'"),
    ],
)
def test_a_bad_llm_prices_row_is_rejected_and_the_others_kept(fields, reason):
    result = llm({"prices": [llm_item(id="good"), llm_item(**{"id": "bad", **fields})]})
    assert [q.provider_model_id for q in result.quotes] == ["good"]
    assert len(result.rejected) == 1
    assert reason in result.rejected[0][1]


def test_a_repeated_llm_prices_period_keeps_the_first():
    result = llm({"prices": [llm_item(input=1), llm_item(input=9)]})
    assert [q.input for q in result.quotes] == [Decimal(1)]
    assert result.rejected == [("m-1", "a second price with the same start; the first was kept")]


def test_a_zero_priced_llm_prices_model_is_free():
    assert llm({"prices": [llm_item(input=0, output=0)]}).quotes[0].price_kind is PriceKind.FREE


def test_a_vendor_model_without_history_is_rejected():
    result = llm({"vendor": "acme", "models": [{"id": "x", "name": "X", "price_history": []}, "junk"]})
    assert result.quotes == []
    assert [r[0] for r in result.rejected] == ["x", "#1"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"prices": [{"id": "x", "vendor": "a", "input": NaN, "output": 1}]}',
        b'{"prices": [{"id": "x", "vendor": "a", "input": Infinity, "output": 1}]}',
        b'{"prices": [{"id": "x", "id": "y", "vendor": "a", "input": 1, "output": 1}]}',
        b"[]",
        b'{"updated_at": "2026-01-01"}',
        b'{"prices": {"id": "x"}}',
        b"not json",
        HTML_PAGE,
        b"\xff\xfe",
    ],
)
def test_a_wrong_shape_nan_or_a_duplicate_key_fails_the_whole_llm_prices_payload(body):
    with pytest.raises(ParseError):
        llm(body)


@responses.activate
def test_llm_prices_fetches_the_historical_file_without_a_key():
    responses.get(LLM_URL, body=fixture("curated", "llm-prices-historical.json"))
    collector = LlmPricesCollector()
    payloads = list(collector.fetch(client()))
    assert [p.url for p in payloads] == [LLM_URL]
    assert payloads[0].kind == "historical"
    assert "Authorization" not in responses.calls[0].request.headers
    assert len(collector.parse(payloads[0]).quotes) == 8


@responses.activate
def test_llm_prices_server_errors_are_retried_then_raise_fetch_error():
    responses.get(LLM_URL, status=503)
    with pytest.raises(FetchError) as info:
        list(LlmPricesCollector().fetch(client()))
    assert info.value.status == 503
    assert len(responses.calls) == 4  # one try and three retries


# --------------------------------------------------------------------------- genai-prices


def test_genai_flat_prices_map_to_quote_fields():
    quotes = keyed(genai(fixture("curated", "genai-prices-data.json")).quotes)
    sonnet = quotes[("anthropic", "claude-3-5-sonnet", None)]
    assert (sonnet.input, sonnet.output) == (Decimal("3"), Decimal("15"))
    assert (sonnet.cached_input, sonnet.cache_write) == (Decimal("0.3"), Decimal("3.75"))
    assert sonnet.context_length == 200000
    assert sonnet.model_name == "Claude Sonnet 3.5"
    o1 = quotes[("openai", "o1", None)]
    assert (o1.input, o1.output, o1.cached_input) == (Decimal("15"), Decimal("60"), Decimal("7.5"))
    assert quotes[("fireworks", "deepseek-r1-0528", None)].output == Decimal("8")


def test_genai_time_of_day_prices_keep_the_default_and_move_the_window_to_extra():
    quotes = keyed(genai(fixture("curated", "genai-prices-data.json")).quotes)
    r1 = quotes[("deepseek", "deepseek-reasoner", None)]
    # genai-prices makes DeepSeek's off-peak price the default entry.
    assert (r1.input, r1.output, r1.cached_input) == (Decimal("0.135"), Decimal("0.55"), Decimal("0.035"))
    assert r1.extra["time_of_day"] == [
        {
            "start_time": "00:30:00Z",
            "end_time": "16:30:00Z",
            "prices": {"input": "0.55", "cached_input": "0.14", "output": "2.19"},
        }
    ]
    assert r1.valid_from is None


def test_genai_huggingface_entries_are_the_host_reached_through_the_router():
    quotes = keyed(genai(fixture("curated", "genai-prices-data.json")).quotes)
    r1 = quotes[("together", "deepseek-ai/DeepSeek-R1", None)]
    assert (r1.input, r1.output) == (Decimal("3"), Decimal("7"))
    assert r1.extra == {"route": "huggingface"}
    assert r1.hf_id == "deepseek-ai/DeepSeek-R1"
    direct = quotes[("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", None)]
    assert direct.extra == {} and direct.hf_id == ""
    assert len(quotes) == 11


def test_genai_direct_listing_wins_over_its_router_copy():
    hf = genai_provider("huggingface_together", [{"id": "m-1", "prices": {"input_mtok": 9, "output_mtok": 9}}])
    result = genai([hf, genai_provider("together")])
    assert [(q.provider, q.input, q.extra) for q in result.quotes] == [("together", Decimal(1), {})]
    assert len(result.rejected) == 1 and "listed twice" in result.rejected[0][1]


@pytest.mark.parametrize(
    "provider_id, slug",
    [
        ("huggingface_fireworks-ai", "fireworks"),
        ("huggingface_novita", "novita"),
        ("together", "together"),
        ("x-ai", "xai"),
    ],
)
def test_genai_provider_ids_become_provider_slugs(provider_id, slug):
    assert genai([genai_provider(provider_id)]).quotes[0].provider == slug


def test_genai_tiered_field_takes_the_base_and_keeps_the_tiers():
    tiered = {
        "input_mtok": {"base": 1.25, "tiers": [{"start": 200000, "price": 2.5}]},
        "output_mtok": {"base": 10, "tiers": [{"start": 200000, "price": 15}]},
    }
    quote = genai([genai_provider(models=[{"id": "g", "prices": tiered}])]).quotes[0]
    assert (quote.input, quote.output) == (Decimal("1.25"), Decimal("10"))
    assert quote.extra["tiers"] == {
        "input_mtok": [{"start": 200000, "price": "2.5"}],
        "output_mtok": [{"start": 200000, "price": "15"}],
    }


def test_genai_start_date_constraints_become_dated_periods():
    prices = [
        {"prices": {"input_mtok": 10, "output_mtok": 40}},
        {"constraint": {"start_date": "2025-06-10"}, "prices": {"input_mtok": 2, "output_mtok": 8}},
    ]
    result = genai([genai_provider("openai", [{"id": "o3", "prices": prices}])])
    old, new = result.quotes
    assert (old.input, old.valid_from, old.valid_to) == (Decimal(10), None, day("2025-06-10"))
    assert (new.input, new.output, new.valid_from, new.valid_to) == (Decimal(2), Decimal(8), day("2025-06-10"), None)


def test_genai_request_prices_and_other_token_prices_are_kept():
    prices = {"input_mtok": 1, "output_mtok": 2, "requests_kcount": 5, "input_audio_mtok": 40}
    quote = genai([genai_provider(models=[{"id": "a", "prices": prices}])]).quotes[0]
    assert quote.per_request == Decimal("0.005")
    assert quote.extra["other_prices"] == {"input_audio_mtok": "40"}


@pytest.mark.parametrize(
    "prices, reason",
    [
        (None, "no prices"),
        ("cheap", "expected an object or a list"),
        ([], "empty"),
        (
            [{"constraint": {"start_time": "00:30:00Z", "end_time": "16:30:00Z"}, "prices": {"input_mtok": 1}}],
            "no default",
        ),
        ([{"constraint": {"weekday": 1}, "prices": {"input_mtok": 1}}], "unknown constraint"),
        ([{"prices": {"input_mtok": 1}}, {"prices": {"input_mtok": 2}}], "two default"),
        ({"input_mtok": {"tiers": []}}, "without 'base'"),
        ({"input_mtok": {"base": 1, "tiers": [{"start": "x", "price": 1}]}}, "start"),
        ({"input_mtok": -0.5}, "negative"),
        ({"output_mtok": 6000}, "band"),
        ([{"constraint": {"start_date": "soon"}, "prices": {"input_mtok": 1}}], "ISO date"),
    ],
)
def test_a_bad_genai_model_is_rejected_and_the_others_kept(prices, reason):
    models = [{"id": "good", "prices": {"input_mtok": 1, "output_mtok": 1}}, {"id": "bad", "prices": prices}]
    result = genai([genai_provider(models=models)])
    assert [q.provider_model_id for q in result.quotes] == ["good"]
    assert len(result.rejected) == 1
    assert result.rejected[0][0] == "bad"
    assert reason in result.rejected[0][1]


def test_a_bad_genai_provider_is_rejected_and_the_others_kept():
    result = genai(["junk", {"id": "x", "models": "none"}, genai_provider()])
    assert [q.provider for q in result.quotes] == ["acme"]
    assert len(result.rejected) == 2


@pytest.mark.parametrize("body", [b"{}", b'{"providers": {}}', b"[NaN]", b'[{"id": "a", "id": "b"}]', b"42", HTML_PAGE])
def test_a_wrong_shape_fails_the_whole_genai_payload(body):
    with pytest.raises(ParseError):
        genai(body)


@responses.activate
def test_genai_prices_fetches_data_json_without_a_key():
    responses.get(GENAI_URL, body=fixture("curated", "genai-prices-data.json"))
    collector = GenaiPricesCollector()
    payloads = list(collector.fetch(client()))
    assert [(p.url, p.kind) for p in payloads] == [(GENAI_URL, "data")]
    assert "Authorization" not in responses.calls[0].request.headers
    assert len(collector.parse(payloads[0]).quotes) == 11


@responses.activate
def test_genai_prices_not_found_raises_fetch_error_without_retrying():
    responses.get(GENAI_URL, status=404)
    with pytest.raises(FetchError):
        list(GenaiPricesCollector().fetch(client()))
    assert len(responses.calls) == 1


# --------------------------------------------------------------------------- properties


json_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
json_values = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25,
)
raw_number = (
    st.integers(min_value=-(10**6), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["1e999999", "-0", "0.1", "abc", "", None, True, [], {}])
)
raw_date = st.none() | st.dates().map(str) | st.text(max_size=12) | st.integers()
field_value = raw_number | st.fixed_dictionaries(
    {"base": raw_number},
    optional={"tiers": st.lists(st.fixed_dictionaries({"start": raw_number, "price": raw_number}), max_size=2)},
)


def _prices_ok(result) -> None:
    for quote in result.quotes:
        for name, value in quote.prices().items():
            if value is None:
                continue
            assert isinstance(value, Decimal) and value.is_finite(), (name, value)
            limit = MAX_PER_MILLION if name != "per_request" else MAX_PER_MILLION / 1000
            assert 0 <= value <= limit, (name, value)
        for moment in (quote.valid_from, quote.valid_to):
            assert moment is None or moment.utcoffset().total_seconds() == 0


def _encode(data: Any) -> bytes:
    # Python's json writes NaN/Infinity for such floats; the parser must refuse them, not crash.
    return json.dumps(data, default=str).encode()


@SETTINGS
@given(data=json_values)
def test_any_json_only_ever_raises_parse_error(data):
    for collector in (LlmPricesCollector(), GenaiPricesCollector()):
        try:
            _prices_ok(collector.parse(payload(_encode(data))))
        except ParseError:
            pass


@SETTINGS
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {"id": st.text(max_size=6) | st.none(), "vendor": st.sampled_from(["openai", "meta-ai", "", None, 3])},
            optional={
                "input": raw_number,
                "output": raw_number,
                "input_cached": raw_number,
                "from_date": raw_date,
                "to_date": raw_date,
                "name": json_leaf,
            },
        ),
        max_size=6,
    )
)
def test_llm_prices_rows_give_finite_in_band_prices_or_rejections(rows):
    try:
        result = llm(_encode({"prices": rows}))
    except ParseError:
        return
    _prices_ok(result)
    assert len(result.quotes) + len(result.rejected) == len(rows)


@SETTINGS
@given(
    models=st.lists(
        st.fixed_dictionaries(
            {"id": st.text(min_size=1, max_size=6)},
            optional={
                "prices": st.dictionaries(
                    st.sampled_from(["input_mtok", "output_mtok", "cache_read_mtok", "requests_kcount", "x_mtok"]),
                    field_value,
                    max_size=4,
                )
                | st.lists(
                    st.fixed_dictionaries(
                        {"prices": st.dictionaries(st.sampled_from(["input_mtok", "output_mtok"]), field_value)},
                        optional={
                            "constraint": st.fixed_dictionaries(
                                {},
                                optional={
                                    "start_date": raw_date,
                                    "start_time": st.text(max_size=9),
                                    "end_time": json_leaf,
                                },
                            )
                        },
                    ),
                    max_size=3,
                ),
                "context_window": raw_number,
            },
        ),
        max_size=5,
    ),
    provider_id=st.sampled_from(["deepseek", "huggingface_together", "huggingface_", "", "x-ai"]),
)
def test_genai_models_give_finite_in_band_prices_or_rejections(models, provider_id):
    try:
        result = genai(_encode([{"id": provider_id, "models": models}]))
    except ParseError:
        return
    _prices_ok(result)
