from __future__ import annotations

import csv
import io

import pytest

from tests.api.market import R1, clear_caches

pytestmark = pytest.mark.django_db
PATH = "/api/v1/models/{author}/{name}/history"
URL = f"/api/v1/models/{R1}/history"


def test_it_returns_each_offers_price_periods_in_time_order(client, built, valid):
    body = valid(client.get(URL), PATH)
    assert body["model"] == R1 and body["count"] == 3
    offers = {o["provider"]: o for o in body["offers"]}
    together = offers["together"]["periods"]
    assert [(p["valid_from"], p["valid_to"], p["input"], p["output"]) for p in together] == [
        ("2025-01-20T00:00:00Z", "2025-03-01T00:00:00Z", "7", "7"),
        ("2025-03-01T00:00:00Z", None, "3", "7"),
    ]
    assert offers["deepseek"]["periods"][0]["cached_input"] == "0.14"
    assert offers["together"]["quantization"] == "fp8"


def test_it_filters_history_by_provider_and_window(client, built, valid):
    body = valid(client.get(URL, {"provider": "together", "since": "2025-03-02"}), PATH)
    assert [o["provider"] for o in body["offers"]] == ["together"]
    assert [p["input"] for p in body["offers"][0]["periods"]] == ["3"]
    body = valid(client.get(URL, {"until": "2025-02-01T00:00:00Z", "provider": "together"}), PATH)
    assert [p["input"] for p in body["offers"][0]["periods"]] == ["7"]


def test_since_after_until_is_a_400(client, built, valid):
    body = valid(client.get(URL, {"since": "2025-03-01", "until": "2025-01-01"}), PATH, 400)
    assert "since" in body["error"]["message"]


def test_it_exports_any_history_query_as_csv(client, built):
    for response in (client.get(f"{URL}.csv", {"provider": "together"}),
                     client.get(URL, {"provider": "together", "format": "csv"})):
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert [(r["valid_from"], r["valid_to"], r["input_usd_per_m"]) for r in rows] == [
            ("2025-01-20T00:00:00Z", "2025-03-01T00:00:00Z", "7"), ("2025-03-01T00:00:00Z", "", "3")]


def test_the_query_count_does_not_grow_with_history(client, built, django_assert_num_queries):
    from datetime import timedelta

    from pricing.models import Source
    from tests.api.market import R1_CUT, q, sweep

    with django_assert_num_queries(3):
        client.get(URL)
    src = Source.objects.get(slug="hostapi")
    for day in range(1, 6):
        sweep(src, R1_CUT + timedelta(days=day), [q("together", R1, str(3 + day), "7")])
    clear_caches()
    with django_assert_num_queries(3):
        assert client.get(URL).json()["count"] == 8
