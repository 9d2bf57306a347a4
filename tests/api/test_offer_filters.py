"""Offer filters and the workload cost on /api/v1/models/{slug}/offers: in the query string,
checked against the served schema, bad values answered 400 with a message."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.market import LLAMA, NOW, R1, clear_caches, q, sweep

pytestmark = pytest.mark.django_db
PATH = "/api/v1/models/{author}/{name}/offers"


def get(client, valid, slug: str, **params) -> list[dict]:
    return valid(client.get(f"/api/v1/models/{slug}/offers", params), PATH)["items"]


def providers(items: list[dict]) -> list[str]:
    return [o["provider"] + (f"/{o['variant']}" if o["variant"] else "") for o in items]


def test_quantization_is_a_set(client, built, valid):
    assert providers(get(client, valid, R1, quantization="fp8")) == ["together"]
    assert providers(get(client, valid, R1, quantization="fp8,unknown")) == ["deepseek", "together"]


def test_at_least_a_precision_follows_bits_per_weight(client, built, valid):
    assert providers(get(client, valid, LLAMA, min_precision="bf16")) == ["deepinfra"]
    assert providers(get(client, valid, LLAMA, min_precision="fp8")) == ["deepinfra"]
    assert providers(get(client, valid, R1, min_precision="fp8")) == ["together"]
    assert get(client, valid, R1, min_precision="fp32") == []


def test_speed_and_context_filters_leave_out_offers_without_a_figure(client, built, valid):
    assert providers(get(client, valid, LLAMA, max_ttft_ms="400")) == ["deepinfra"]
    assert get(client, valid, LLAMA, max_ttft_ms="300") == []
    assert providers(get(client, valid, LLAMA, min_tps="40")) == ["deepinfra"]
    assert providers(get(client, valid, R1, min_context="100000")) == ["together"]


def test_hosts_only_is_the_default_and_aggregators_come_labelled_when_asked(client, built, valid):
    sweep(built["agg"], NOW + timedelta(days=1), [q("aggregator", R1, "0.4", "1")])
    from pricing.models import Provider

    Provider.objects.filter(slug="aggregator").update(kind="aggregator")
    assert "aggregator" not in providers(get(client, valid, R1))
    both = get(client, valid, R1, hosts_only="0")
    assert [o["provider_kind"] for o in both if o["provider"] == "aggregator"] == ["aggregator"]
    models = {m["slug"]: m for m in client.get("/api/v1/models").json()["items"]}
    assert models[R1]["cheapest"]["provider"] == "deepseek" and models[R1]["n_hosts"] == 2


def test_the_workload_gives_a_monthly_cost_per_offer_sorted_by_it(client, built, valid):
    items = get(client, valid, R1, monthly_input="10M", monthly_output="2000000")
    # deepseek 10 x 0.55 + 2 x 2.19; together 10 x 3 + 2 x 7
    assert [(o["provider"], o["monthly_cost"]) for o in items] == [("deepseek", "9.88"), ("together", "44")]
    cached = get(client, valid, R1, monthly_input="10M", monthly_output="2M", cached_share="0.5")
    # half the input at deepseek's cached 0.14; together has no cached price: billed as input
    assert [(o["provider"], o["monthly_cost"]) for o in cached] == [("deepseek", "7.83"), ("together", "44")]
    body = valid(client.get(f"/api/v1/models/{R1}/offers", {"monthly_input": "1", "monthly_output": "0"}), PATH)
    assert body["workload"] == {"monthly_input": "1", "monthly_output": "0", "cached_share": "0"}
    assert all(o["monthly_cost"] is None for o in get(client, valid, R1))


def test_sorting_by_cost_differs_from_the_blend_when_the_workload_does(client, built, valid):
    sweep(built["api"], NOW, [q("cheapin", R1, "0.1", "9")])
    blended = providers(get(client, valid, R1))
    assert blended[:2] == ["deepseek", "cheapin"]
    by_cost = providers(get(client, valid, R1, monthly_output="1M"))
    assert by_cost == ["deepseek", "together", "cheapin"]


def test_offers_no_longer_listed_are_left_out_unless_asked(client, built, valid):
    # The hosts' API lists R1 at Together only, a year on: DeepSeek's own offer is not in it.
    sweep(built["api"], NOW + timedelta(days=365), [q("together", R1, "3", "7", quantization="fp8")])
    assert providers(get(client, valid, R1)) == ["deepseek", "together"]  # its own API: its own listing
    sweep(built["api"], NOW + timedelta(days=366), [q("deepseek", R1, "0.55", "2.19", variant="promo")])
    clear_caches()  # the test's transaction never commits, so ingestion's generation bump never runs
    assert providers(get(client, valid, R1)) == ["deepseek/promo", "together"]
    every = get(client, valid, R1, current_only="0")
    ended = next(o for o in every if o["provider"] == "deepseek" and not o["variant"])
    assert ended["current"] is False and ended["ended_at"] is not None and ended["last_seen"] is not None


@pytest.mark.parametrize("params, field", [
    ({"quantization": "fp9"}, "quantization"), ({"min_precision": "unknown"}, "min_precision"),
    ({"max_ttft_ms": "-1"}, "max_ttft_ms"), ({"max_ttft_ms": "1e400"}, "max_ttft_ms"),
    ({"min_tps": "fast"}, "min_tps"), ({"min_context": "64k"}, "min_context"), ({"min_context": "٦٤"}, "min_context"),
    ({"current_only": "maybe"}, "current_only"), ({"hosts_only": "2"}, "hosts_only"),
    ({"monthly_input": "²"}, "monthly_input"), ({"monthly_output": "-5"}, "monthly_output"),
    ({"monthly_input": "1M", "cached_share": "2"}, "cached_share"), ({"monthly_input": "99999999999999999B"}, "monthly_input"),
])
def test_bad_filter_values_are_a_400_naming_the_parameter(client, built, params, field):
    response = client.get(f"/api/v1/models/{R1}/offers", params)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["message"]


def test_the_csv_carries_the_same_filtered_rows(client, built):
    body = client.get(f"/api/v1/models/{R1}/offers.csv", {"quantization": "fp8"}).content.decode()
    assert ",together," in body and ",deepseek," not in body
