"""/models/ and /providers/: every model and every host, sortable, filterable, paginated; and
list pages that stay small and quick whatever the catalogue size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pricing.models import Model, Provider
from tests.pricing.views import world

pytestmark = pytest.mark.django_db


@pytest.fixture
def built():
    return world.build()


def test_the_models_index_lists_every_model_with_its_current_host_prices(client, built):
    response = client.get("/models/")
    assert response.status_code == 200
    lines = {m.slug: m for m in response.context["lines"]}
    assert set(lines) == {world.O1, world.R1, world.LLAMA}
    r1 = lines[world.R1]
    # deepinfra 0.45/2.15, deepseek 0.55/2.19 (lab), together 3/7, fireworks 3/8, novita 0.7/2.5
    assert (r1.n_hosts, r1.cheapest_provider, str(r1.cheapest)) == (5, "deepinfra", "0.875")
    assert str(r1.median) == "1.15" and str(r1.spread) == "4.86"
    assert (r1.author, r1.open_weights, str(r1.params_total_b)) == ("deepseek", True, "671.00")
    assert "DeepSeek: R1" in response.content.decode()


def test_the_models_index_sorts_and_filters_in_the_url(client, built):
    by_price = [m.slug for m in client.get("/models/?sort=cheapest").context["lines"]]
    assert by_price == [world.LLAMA, world.R1, world.O1]
    assert [m.slug for m in client.get("/models/?sort=-cheapest").context["lines"]][0] == world.O1
    assert {m.slug for m in client.get("/models/?open_weights=0").context["lines"]} == {world.O1}
    assert {m.slug for m in client.get("/models/?min_hosts=3").context["lines"]} == {world.R1}
    assert [m.slug for m in client.get("/models/?q=llama").context["lines"]] == [world.LLAMA]


def test_the_providers_index_says_how_often_each_host_is_cheapest(client, built):
    response = client.get("/providers/")
    lines = {p.slug: p for p in response.context["lines"]}
    deepinfra = lines["deepinfra"]
    assert (deepinfra.kind, deepinfra.n_offers, deepinfra.n_models, deepinfra.n_cheapest) == ("host", 2, 2, 2)
    assert deepinfra.median_rank == 1
    assert (lines["together"].n_cheapest, lines["together"].median_rank) == (0, 3)
    assert lines["openai"].kind == "lab" and lines["openai"].n_cheapest == 1
    assert [p.slug for p in client.get("/providers/?kind=lab").context["lines"]] == ["deepseek", "openai"]


def test_the_index_pages_are_in_the_nav(client, built):
    body = client.get("/").content.decode()
    assert 'href="/models/"' in body and 'href="/providers/"' in body


@pytest.mark.parametrize("url", ["/models/?sort=zz", "/models/?page=0", "/models/?page=99", "/models/?min_hosts=x",
                                 "/models/?open_weights=maybe", "/providers/?kind=bank", "/providers/?sort=-zz",
                                 "/models/?page=%C2%B2"])
def test_bad_index_parameters_are_a_400_with_a_message(client, built, url):
    response = client.get(url)
    # The index itself, the message at the field (errors in place), not a bare error page.
    assert response.status_code == 400 and response.context["errors"]
    assert 'class="field-error"' in response.content.decode() and response.context["lines"] is not None


def test_the_models_index_is_paginated(client, built):
    Model.objects.bulk_create([Model(slug=f"lab/m-{i:03}", name=f"M {i:03}", author="lab") for i in range(60)])
    first = client.get("/models/?sort=name")
    assert len(first.context["lines"]) == 50 and first.context["paged"].pages == 2
    assert 'rel="next"' in first.content.decode()
    assert len(client.get("/models/?sort=name&page=2").context["lines"]) == 13


def _flood(n_models: int) -> None:
    """A big aggregator listing: n models, each at the aggregator itself and at two hosts."""
    openrouter = world._source("openrouter", "aggregator")
    quotes = []
    for i in range(n_models):
        slug = f"flood/model-{i:05}"
        quotes += [world.q("openrouter", slug, "1", "2"), world.q("host-a", slug, "0.5", "1"),
                   world.q("host-b", slug, "0.7", "1.5")]
    world.sweep(openrouter, timezone.now() - timedelta(minutes=2), quotes)
    Provider.objects.filter(slug="openrouter").update(kind="aggregator")


@pytest.mark.parametrize("url", ["/providers/openrouter/", "/compare/?models=openai/o1,deepseek/deepseek-r1",
                                 "/api/v1/providers/openrouter"])
def test_list_pages_run_the_same_queries_and_stay_small_whatever_the_catalogue(client, built, url):
    from tests.api.market import clear_caches

    _flood(5)
    clear_caches()
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert response.status_code == 200
    _flood(400)
    clear_caches()
    with CaptureQueriesContext(connection) as big:
        response = client.get(url)
    assert response.status_code == 200
    assert len(big.captured_queries) == len(small.captured_queries)
    assert len(response.content) < 200_000


def test_the_provider_page_is_paginated_by_model(client, built):
    _flood(60)
    first = client.get("/providers/openrouter/")
    assert first.context["paged"].count == 60 and len(first.context["offers"]) == 50
    assert len(client.get("/providers/openrouter/?page=2").context["offers"]) == 10
    rank = first.context["offers"][0]
    assert (rank.rank, rank.n_priced, rank.cheapest.provider_slug) == (3, 3, "host-a")


def test_compare_gives_each_models_monthly_bill_for_a_workload(client, built):
    response = client.get(f"/compare/?models={world.O1},{world.R1}&basis=first-party"
                          "&monthly_input=10M&monthly_output=1M&cached_share=0.5")
    costs = {r.ref.model_slug: str(r.workload_cost) for r in response.context["rows"]}
    # o1: 5M x 15 + 5M x 7.50 cached + 1M x 60; R1: 5M x 0.55 + 5M x 0.14 + 1M x 2.19
    assert costs == {world.O1: "172.50", world.R1: "5.64"}
    assert "$172.50" in response.content.decode()
    assert client.get(f"/compare/?models={world.O1},{world.R1}&monthly_input=lots").status_code == 400
