from __future__ import annotations

import pytest

from tests.pricing.views import world

pytestmark = pytest.mark.django_db


@pytest.fixture
def built():
    return world.build()


def test_it_finds_models_and_providers_by_name_or_slug(client, built):
    response = client.get("/search/?q=deep")
    assert [m.slug for m in response.context["models"]] == [world.R1]
    assert {p.slug for p in response.context["providers"]} == {"deepseek", "deepinfra"}
    assert [m.slug for m in client.get("/search/?q=Llama 3.3").context["models"]] == [world.LLAMA]


def test_an_empty_query_shows_the_page_without_results(client, built):
    response = client.get("/search/?q=")
    assert response.status_code == 200 and response.context["models"] == []


def test_the_search_box_is_on_every_page(client, built):
    for url in ["/", "/changes/", f"/models/{world.R1}/", "/compare/"]:
        assert 'action="/search/"' in client.get(url).content.decode()


def test_its_query_count_is_fixed(client, built, django_assert_num_queries):
    with django_assert_num_queries(2):
        client.get("/search/?q=r1")
