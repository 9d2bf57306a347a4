from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pricing.models import Offer, PerfRollup, Source
from tests.pricing.views import world

pytestmark = pytest.mark.django_db
URL = "/models/deepseek/deepseek-r1/"


@pytest.fixture
def built():
    return world.build()


def figure(response, name):
    return response.context["figures"][name]


def test_it_lists_every_offer_cheapest_blended_first_with_readable_units(client, built):
    response = client.get(URL)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.provider_slug for r in rows] == ["deepinfra", "deepseek", "novita", "together", "fireworks"]
    body = response.content.decode()
    assert "$0.45" in body and "$2.15" in body and "e-0" not in body
    assert "671B total, 37B active" in body and "MIT" in body and "2025-01-20" in body


def test_it_sorts_on_the_server_by_any_column_both_ways(client, built):
    rows = client.get(URL + "?sort=-ttft").context["rows"]
    assert [r.provider_slug for r in rows][:4] == ["novita", "deepinfra", "together", "fireworks"]
    assert rows[-1].ttft_ms is None  # unknown sorts last
    rows = client.get(URL + "?sort=provider").context["rows"]
    assert rows[0].provider_name == "deepinfra" or rows[0].provider_name.lower() <= rows[1].provider_name.lower()


def test_it_blends_at_the_users_mix(client, built):
    rows = client.get(URL + "?mix=1:1").context["rows"]
    deepinfra = next(r for r in rows if r.provider_slug == "deepinfra")
    assert str(deepinfra.blended) == "1.3"  # (0.45 + 2.15) / 2


def test_it_names_where_each_performance_figure_comes_from(client, built):
    response = client.get("/models/meta-llama/llama-3.3-70b-instruct/")
    body = response.content.decode()
    assert "our probe" in body
    rows = client.get(URL).context["rows"]
    assert {r.perf_source for r in rows if r.perf_kind} == {"openrouter", "huggingface"}
    assert "Hugging Face router" in client.get(URL).content.decode()


def test_the_price_history_is_a_step_line_per_offer_with_change_markers(client, built):
    fig = figure(client.get(URL), "history")
    deepinfra = next(t for t in fig["data"] if t["name"].startswith("deepinfra"))
    assert deepinfra["line"]["shape"] == "hv"
    assert deepinfra["y"][:2] == [pytest.approx(1.2625), pytest.approx(0.875)]  # 3:1 blend before and after
    assert deepinfra["marker"]["size"][-1] == 0  # the "until now" point is not a change


def test_scatter_and_latency_charts_carry_the_samples(client, built):
    response = client.get(URL + "?range=7d")
    ttft = figure(response, "ttft")
    assert sum(len(t["x"]) for t in ttft["data"]) == 4
    latency = figure(response, "latency")
    assert latency["data"], "raw samples drawn for a short range"


def test_long_ranges_read_daily_rollups(client, built):
    offer = Offer.objects.get(model__slug=world.R1, provider__slug="together")
    source = Source.objects.get(slug="openrouter")
    today = timezone.now().date()
    PerfRollup.objects.bulk_create([
        PerfRollup(offer=offer, source=source, day=today - timedelta(days=d), ttft_p50_ms=400 + d, n_samples=3)
        for d in range(1, 200)
    ])
    response = client.get(URL + "?range=90d")
    trace = next(t for t in figure(response, "latency")["data"] if t["name"].startswith("together"))
    assert len(trace["x"]) == 90  # from 90 days back to yesterday
    year = figure(client.get(URL + "?range=1y"), "latency")
    trace = next(t for t in year["data"] if t["name"].startswith("together"))
    assert len(trace["x"]) <= 30  # binned weekly


def test_the_series_endpoint_serves_the_same_figures(client, built):
    response = client.get(URL + "series.json")
    data = json.loads(response.content)
    assert set(data) == {"history", "ttft", "tps", "latency"}
    assert client.get("/models/nobody/nothing/series.json").status_code == 404


def test_an_unknown_model_is_a_404_and_bad_parameters_a_400(client, built):
    assert client.get("/models/nobody/nothing/").status_code == 404
    assert client.get(URL + "?sort=price;drop").status_code == 400
    assert client.get(URL + "?mix=3:").status_code == 400
    assert client.get(URL + "?range=forever").status_code == 400


def test_provider_and_model_names_are_escaped_in_html_and_figures(client, built):
    world.add_xss()
    response = client.get("/models/evil/xss-model/")
    body = response.content.decode()
    assert world.XSS_MODEL not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "</script><script>alert(2)" not in body
    names = [t["name"] for t in response.context["figures"]["history"]["data"]]
    assert names == ["&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt; (&lt;b&gt;v&lt;/b&gt;)"]


def test_its_query_count_is_fixed(client, built, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        client.get(URL)


def test_more_offers_add_no_queries(client, built, django_assert_num_queries):
    with CaptureQueriesContext(connection) as before:
        client.get(URL + "?range=7d")
    world.add_hosts(30)
    with django_assert_num_queries(len(before.captured_queries)):
        response = client.get(URL + "?range=7d&mix=1:1")  # another mix: figures not cached
    assert len(response.context["rows"]) == 35


def test_a_source_that_disagrees_is_shown_beside_the_trusted_price(client):
    from decimal import Decimal

    from pricing.collection.ingest import ingest
    from tests.pricing.factories import T0, models, quote, result, run, source

    models(1)
    ingest(run(source("host-api", "api", 90), T0), result([quote(0, provider="acme", input="1", output="2")]), at=T0)
    ingest(run(source("table", "curated", 30), T0), result([quote(0, provider="acme", input="3", output="4")]), at=T0)
    response = client.get("/models/lab/model-0/")
    row = response.context["rows"][0]
    assert (row.source_slug, row.input) == ("host-api", Decimal("1"))
    assert [(o["source"], o["input"]) for o in row.others] == [("table", Decimal("3"))]
    assert "table says" in response.content.decode()


def test_the_page_leads_on_to_changes_feed_csv_api_alerts_compare_and_other_versions(client, built):
    from pricing.models import Model

    Model.objects.create(slug="deepseek/deepseek-r1-0528", name="DeepSeek: R1 0528", author="deepseek")
    body = client.get(URL).content.decode()
    for href in [
        "/changes/?model=deepseek/deepseek-r1",
        "/feeds/models/deepseek/deepseek-r1.atom",
        "/api/v1/models/deepseek/deepseek-r1/offers.csv?mix=3:1",
        "/api/v1/models/deepseek/deepseek-r1/offers?mix=3:1",
        "/alerts/rules/new/?model=deepseek/deepseek-r1",
        "/compare/?models=openai/o1,deepseek/deepseek-r1",  # the headline rival, the 27x
        "/models/deepseek/deepseek-r1-0528/",
        "/compare/?models=deepseek/deepseek-r1-0528,deepseek/deepseek-r1",
    ]:
        assert f'href="{href}"' in body.replace("%3A", ":"), href
    assert "another release" in body


def test_blended_prices_read_in_the_one_format(client, built):
    body = client.get(URL + "?mix=10:2").content.decode()
    # deepinfra 0.45/2.15 at 10:2 is 0.733333…: two decimals from a dime up.
    assert "<strong>$0.73</strong>" in body and "$0.733333" not in body and ">0.733333" not in body
