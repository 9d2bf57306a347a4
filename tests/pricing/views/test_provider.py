from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.pricing.views import world

pytestmark = pytest.mark.django_db


@pytest.fixture
def built():
    return world.build()


def test_it_lists_everything_a_host_offers_with_its_rank_per_model(client, built):
    response = client.get("/providers/deepinfra/")
    assert response.status_code == 200
    ranks = {o.row.model_slug: (o.rank, o.n_priced) for o in response.context["offers"]}
    assert ranks == {world.R1: (1, 5), world.LLAMA: (1, 2)}
    ranks = {o.row.model_slug: (o.rank, o.n_priced) for o in client.get("/providers/together/").context["offers"]}
    assert ranks == {world.R1: (4, 5), world.LLAMA: (2, 2)}


def test_it_shows_the_hosts_price_changes(client, built):
    response = client.get("/providers/deepinfra/")
    kinds = [e.kind for e, _ in response.context["events"]]
    assert "price" in kinds and "attribute" in kinds
    assert "input: $0.85 → $0.45" in response.content.decode()


def test_an_unknown_provider_is_a_404(client, built):
    assert client.get("/providers/nobody/").status_code == 404


def test_its_query_count_is_fixed_and_more_offers_add_none(client, built, django_assert_num_queries):
    with CaptureQueriesContext(connection) as before:
        client.get("/providers/deepinfra/")
    assert len(before.captured_queries) <= 7
    world.add_hosts(20)
    with django_assert_num_queries(len(before.captured_queries)):
        client.get("/providers/deepinfra/")
