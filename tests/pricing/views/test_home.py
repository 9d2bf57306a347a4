from __future__ import annotations

import pytest

from tests.pricing.views import world

pytestmark = pytest.mark.django_db


@pytest.fixture
def built():
    return world.build()


def test_it_shows_o1_against_r1_on_first_party_prices(client, built):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "OpenAI: o1" in body and "DeepSeek: R1" in body
    # 15 / 0.55 and 60 / 2.19
    assert "27.3x" in body and "27.4x" in body
    assert "$15.00 / M tokens" in body and "$0.55 / M tokens" in body


def test_it_lists_the_open_models_with_the_most_hosts_and_their_spread(client, built):
    body = client.get("/").content.decode()
    spreads = client.get("/").context["spreads"]
    assert [s.model.slug for s in spreads][:2] == [world.R1, world.LLAMA]
    r1 = spreads[0]
    assert r1.n_hosts == 5  # deepseek, deepinfra, together, fireworks, novita
    assert r1.cheapest.provider_slug == "deepinfra" and r1.dearest.provider_slug == "fireworks"
    assert "Fireworks" in body


def test_it_shows_latest_changes_and_source_freshness_with_failures(client, built):
    response = client.get("/")
    fresh = {f["source"].slug: f for f in response.context["freshness"]}
    assert fresh["chutes"]["last_complete"] is None and fresh["chutes"]["failed_since"] == 1
    assert fresh["openrouter"]["stale"] is False
    assert fresh["openrouter"]["failed_since"] == 0
    assert response.context["events"], "latest changes listed"
    assert "HTTP 503" in response.content.decode()


def test_it_falls_back_to_the_last_known_price_when_nothing_is_current(client, built):
    from pricing.models import Offer

    Offer.objects.filter(model__slug=world.O1).update(current_period=None)
    cards = client.get("/").context["cards"]
    o1 = next(c for c in cards if c.a.model_slug == world.O1)
    assert o1.fallback and str(o1.input) == "27.27"


def test_a_bad_mix_is_a_400_not_a_500(client, built):
    response = client.get("/?mix=abc")
    assert response.status_code == 400
    assert "mix must look like 3:1" in response.content.decode()


def test_its_query_count_is_fixed(client, built, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        client.get("/")


def test_more_offers_add_no_queries(client, built, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get("/")
    world.add_hosts(25)
    with django_assert_num_queries(len(before.captured_queries)):
        client.get("/")


def test_a_change_of_the_cached_price_alone_names_only_that_price(client, built):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    # Together's R1 gains a cached-input price; input and output stand still.
    world.sweep(world._source("openrouter", "aggregator"), timezone.now() - timedelta(minutes=2), [
        world.q("together", world.R1, "3", "7", quantization="fp8", context_length=131072,
                cached_input=Decimal("1.5"))])
    body = client.get("/").content.decode()
    assert "cached input — → $1.50 per M tokens" in body
    assert "3/7 → 3/7" not in body and "USD/M" not in body


def test_the_market_chart_has_every_current_host_of_the_most_hosted_open_models(client, built):
    response = client.get("/")
    tag = response.context["market"]
    assert tag.startswith('<script id="fig-market" type="application/json">')
    import json

    figure = json.loads(tag.split(">", 1)[1].rsplit("</script>", 1)[0])
    assert figure["layout"]["xaxis"]["type"] == "log"
    traces = {t["name"]: t for t in figure["data"]}
    assert traces["the lab's own price"]["y"] == ["DeepSeek: R1"]
    assert traces["the lab's own price"]["marker"]["symbol"] == "diamond"
    host_text = " ".join(traces["a host"]["text"])
    assert "Fireworks" in host_text and "fp8" in host_text and "300 ms to first token" in host_text
    assert '<div class="chart market" data-figure="fig-market"' in response.content.decode()
