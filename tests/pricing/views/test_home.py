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
