from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from tests.api.market import EVIL, LLAMA, LLAMA_DAY, R1, R1_LAUNCH, clear_caches, q, sweep

pytestmark = pytest.mark.django_db
PATH = "/api/v1/models/{author}/{name}/offers"
URL = f"/api/v1/models/{R1}/offers"


def test_it_lists_a_models_current_offers_cheapest_first_with_prices_as_strings(client, built, valid):
    body = valid(client.get(URL), PATH)
    assert body["model"] == R1 and body["as_of"] is None and body["mix"] == "3:1"
    assert [(o["provider"], o["input"], o["output"]) for o in body["items"]] == [
        ("deepseek", "0.55", "2.19"), ("together", "3", "7")]
    first = body["items"][0]
    assert first["cached_input"] == "0.14"
    # (0.55 * 3 + 2.19) / 4
    assert first["mix"] == "0.96"
    assert first["price_kind"] == "fixed" and first["source"] == "hostapi" and first["source_kind"] == "api"
    assert first["first_seen"] == "2025-01-20T00:00:00Z" and first["valid_from"] == "2025-01-20T00:00:00Z"
    together = body["items"][1]
    assert (together["quantization"], together["context_length"]) == ("fp8", 131072)


def test_it_shows_the_offers_as_they_stood_at_an_instant(client, built, valid):
    body = valid(client.get(URL, {"as_of": "2025-02-01T00:00:00Z"}), PATH)
    assert body["as_of"] == "2025-02-01T00:00:00Z"
    assert {o["provider"]: o["input"] for o in body["items"]} == {"deepseek": "0.55", "together": "7"}


def test_a_date_without_time_means_midnight_utc(client, built, valid):
    body = valid(client.get(URL, {"as_of": "2025-01-19"}), PATH)
    assert body["items"] == [] and body["as_of"] == "2025-01-19T00:00:00Z"


def test_it_blends_at_any_mix(client, built, valid):
    body = valid(client.get(URL, {"mix": "1:1"}), PATH)
    assert body["mix"] == "1:1"
    assert [o["mix"] for o in body["items"]] == ["1.37", "5"]


def test_it_carries_latency_throughput_and_uptime(client, built, valid):
    body = valid(client.get(f"/api/v1/models/{LLAMA}/offers"), PATH)
    deepinfra = next(o for o in body["items"] if o["provider"] == "deepinfra" and o["variant"] == "")
    assert (deepinfra["ttft_ms"], deepinfra["tps"], deepinfra["uptime"]) == ("310.5", "42", "99.5")
    assert deepinfra["perf_source"] == "aggregator"
    free = next(o for o in body["items"] if o["variant"] == "free")
    assert (free["price_kind"], free["input"], free["mix"]) == ("free", "0", "0")


def test_an_unknown_model_is_a_json_404(client, built, valid):
    body = valid(client.get("/api/v1/models/nobody/nothing/offers"), PATH, 404)
    assert body["error"]["code"] == "not_found"


@pytest.mark.parametrize("params", [{"as_of": "yesterday"}, {"mix": "0:0"}, {"mix": "three"}, {"format": "xml"}])
def test_bad_parameters_are_a_json_400(client, built, valid, params):
    body = valid(client.get(URL, params), PATH, 400)
    assert body["error"]["code"] == "bad_parameter" and body["error"]["message"]


def test_it_exports_the_offers_table_as_csv_both_ways(client, built):
    for response in (client.get(URL, {"format": "csv"}), client.get(f"{URL}.csv")):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert [(r["provider"], r["input_usd_per_m"], r["output_usd_per_m"], r["mix_usd_per_m"]) for r in rows] == [
            ("deepseek", "0.55", "2.19", "0.96"), ("together", "3", "7", "4")]


def test_csv_defuses_provider_text_a_spreadsheet_would_run(client, built):
    from pricing.models import Source

    # Listed with the other Llama hosts (a listing days later without it would end it: not current).
    sweep(Source.objects.get(slug="aggregator"), LLAMA_DAY + timedelta(hours=1), [q("formula", LLAMA, "1", "1", provider_name="=HYPERLINK(1)")])
    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/v1/models/{LLAMA}/offers.csv").content.decode())))
    assert "'=HYPERLINK(1)" in [r["provider_name"] for r in rows]
    assert EVIL in [r["provider_name"] for r in rows]


def test_a_poll_with_the_etag_gets_304_until_a_price_changes(client, built, django_capture_on_commit_callbacks):
    from pricing.models import Source

    first = client.get(URL)
    etag = first["ETag"]
    assert first["Last-Modified"] and etag.startswith('"')
    again = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert client.get(URL, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304

    with django_capture_on_commit_callbacks(execute=True):  # ingestion bumps the cache generation on commit
        sweep(Source.objects.get(slug="hostapi"), R1_LAUNCH + timedelta(days=200),
              [q("deepseek", R1, "0.5", "2.19", cached_input=None)])
    changed = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["items"][0]["input"] == "0.5"


def test_cors_is_open_for_get(client, built):
    response = client.get(URL, HTTP_ORIGIN="https://notebook.example")
    assert response["Access-Control-Allow-Origin"] == "*"


def test_the_query_count_does_not_grow_with_offers(client, built, django_assert_num_queries):
    from pricing.models import Source

    # The model, its offers with prices and sources, the newest sample per offer (none here).
    with django_assert_num_queries(3):
        client.get(URL)
    # With samples: one more query for them, whatever their number.
    with django_assert_num_queries(4):
        client.get(f"/api/v1/models/{LLAMA}/offers")
    clear_caches()
    src = Source.objects.get(slug="aggregator")
    sweep(src, R1_LAUNCH, [q(f"host{i}", R1, "1", str(i + 1), provider_name=f"Host {i}") for i in range(30)])
    clear_caches()
    with django_assert_num_queries(3):
        assert len(client.get(URL).json()["items"]) == 32
    # Cached under the generation: no query at all the second time.
    with django_assert_num_queries(0):
        client.get(URL)
