from __future__ import annotations

import pytest

from tests.api.market import LLAMA, O1, R1, clear_caches

pytestmark = pytest.mark.django_db
PATH = "/api/v1/models"


def test_it_lists_every_model_with_its_cheapest_paid_offer(client, built, valid):
    body = valid(client.get(PATH), PATH)
    assert body["count"] == 3 and body["next"] is None and body["mix"] == "3:1"
    by_slug = {m["slug"]: m for m in body["items"]}
    assert list(by_slug) == sorted(by_slug)
    r1 = by_slug[R1]
    assert (r1["name"], r1["author"], r1["open_weights"], r1["params_total_b"], r1["params_active_b"]) == (
        "DeepSeek: R1", "deepseek", True, "671", "37")
    assert r1["n_offers"] == 2 and r1["first_party"] == "deepseek"
    assert r1["cheapest"] == {"provider": "deepseek", "variant": "", "input": "0.55", "output": "2.19", "mix": "0.96",
                              "source": "hostapi", "last_seen": "2025-01-20T00:00:00Z", "stale": True}
    # The free variant is an offer but not a price to compare.
    llama = by_slug[LLAMA]
    assert llama["n_offers"] == 3 and llama["cheapest"]["provider"] == "deepinfra"
    assert llama["cheapest"]["variant"] == ""


@pytest.mark.parametrize(("params", "slugs"), [
    ({"open_weights": "true"}, [R1, LLAMA]),
    ({"open_weights": "false"}, [O1]),
    ({"author": "OpenAI"}, [O1]),
    ({"search": "llama"}, [LLAMA]),
    ({"search": "r1", "open_weights": "true"}, [R1]),
])
def test_it_filters_models(client, built, valid, params, slugs):
    body = valid(client.get(PATH, params), PATH)
    assert sorted(m["slug"] for m in body["items"]) == sorted(slugs)


def test_it_pages_with_a_link_to_the_next_page(client, built, valid):
    body = valid(client.get(PATH, {"limit": 2}), PATH)
    assert [m["slug"] for m in body["items"]] == [R1, LLAMA]
    assert body["next"] == f"{PATH}?limit=2&offset=2"
    rest = valid(client.get(body["next"]), PATH)
    assert [m["slug"] for m in rest["items"]] == [O1] and rest["next"] is None


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 10_000}, {"offset": -1}, {"open_weights": "maybe"}])
def test_a_page_beyond_the_caps_is_a_400(client, built, valid, params):
    assert valid(client.get(PATH, params), PATH, 400)["error"]["code"] == "bad_parameter"


def test_the_query_count_does_not_grow_with_models_or_offers(client, built, django_assert_num_queries):
    from pricing.models import Model, Source
    from tests.api.market import R1_LAUNCH, q, sweep

    with django_assert_num_queries(5):
        client.get(PATH)
    Model.objects.bulk_create([Model(slug=f"lab/m{i}", name=f"M{i}", author="lab") for i in range(20)])
    sweep(Source.objects.get(slug="aggregator"), R1_LAUNCH,
          [q(f"host{j}", f"lab/m{i}", "1", "2") for i in range(20) for j in range(3)])
    clear_caches()
    with django_assert_num_queries(5):
        assert client.get(PATH).json()["count"] == 23
