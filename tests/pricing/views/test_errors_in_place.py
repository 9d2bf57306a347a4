"""A bad query value shows the page itself, with the message at the field and a 400: the user sees
what was wrong and everything else still works."""

from __future__ import annotations

import re

import pytest

from tests.pricing.views import world

pytestmark = pytest.mark.django_db


@pytest.fixture
def built():
    return world.build()


def field_errors(response) -> list[str]:
    return re.findall(r'<span class="field-error" role="alert">([^<]*)</span>', response.content.decode())


@pytest.mark.parametrize("url,field,words", [
    ("/?mix=5", "mix", "mix must look like 3:1"),
    (f"/models/{world.R1}/?mix=5", "mix", "mix must look like 3:1"),
    (f"/models/{world.R1}/?sort=zz", "sort", "sort must be one of"),
    (f"/models/{world.R1}/?range=forever", "range", "range must be one of"),
    ("/providers/deepinfra/?mix=a:b", "mix", "mix must look like 3:1"),
    ("/changes/?page=999", "page", "not 999"),
    ("/changes/?page=abc", "page", "page must be a page number"),
    ("/changes/?kind=everything", "kind", "kind must be one of"),
    ("/changes/?since=last-week", "since", "since must be a date"),
    (f"/compare/?models={world.O1},{world.R1}&mix=5", "mix", "mix must look like 3:1"),
    (f"/compare/?models={world.O1},{world.R1}&basis=priciest", "basis", "basis must be one of"),
    (f"/compare/?models={world.O1},{world.R1}&as_of=yesterday", "as_of", "as_of must be a date"),
    ("/compare/?models=openai/o1", "models", "at least two models"),
])
def test_a_bad_value_is_reported_at_its_field_on_the_page_itself(client, built, url, field, words):
    response = client.get(url)
    assert response.status_code == 400
    assert response.templates[0].name != "pricing/error.html"
    assert set(response.context["errors"]) == {field}
    assert any(words in e for e in field_errors(response)), field_errors(response)


def test_the_other_values_still_apply_beside_a_bad_one(client, built):
    response = client.get(f"/models/{world.R1}/?mix=1:1&sort=zz&range=7d")
    assert response.status_code == 400
    assert response.context["mix"] == "1:1" and response.context["range"] == "7d"
    assert response.context["rows"], "the offers are still listed"


def test_past_the_last_page_shows_the_last_page(client, built):
    response = client.get("/changes/?page=999")
    assert response.context["page"].number == response.context["page"].paginator.num_pages
    assert response.context["events"]


def test_an_unknown_model_on_compare_is_a_404_at_the_models_field(client, built):
    response = client.get(f"/compare/?models={world.O1},nobody/nothing")
    assert response.status_code == 404
    assert field_errors(response) == ["unknown model(s): nobody/nothing"]
