from __future__ import annotations

import pytest

from tests.api.market import EVIL, LLAMA, R1

pytestmark = pytest.mark.django_db


def test_it_lists_providers_with_what_they_offer(client, built, valid):
    body = valid(client.get("/api/v1/providers"), "/api/v1/providers")
    counts = {p["slug"]: (p["n_offers"], p["n_models"]) for p in body["items"]}
    assert counts == {"deepinfra": (2, 1), "deepseek": (1, 1), "evil": (1, 1), "openai": (1, 1), "together": (1, 1)}
    evil = next(p for p in body["items"] if p["slug"] == "evil")
    assert evil["name"] == EVIL  # JSON carries the text as it is; escaping is the renderer's job


def test_a_provider_page_lists_its_live_offers(client, built, valid):
    body = valid(client.get("/api/v1/providers/together"), "/api/v1/providers/{slug}")
    assert body["provider"]["slug"] == "together" and body["provider"]["n_offers"] == 1
    assert [(o["model"], o["input"], o["output"]) for o in body["offers"]] == [(R1, "3", "7")]
    body = valid(client.get("/api/v1/providers/deepinfra"), "/api/v1/providers/{slug}")
    assert {(o["model"], o["variant"]) for o in body["offers"]} == {(LLAMA, ""), (LLAMA, "free")}


def test_an_unknown_provider_is_a_404(client, built, valid):
    valid(client.get("/api/v1/providers/nobody"), "/api/v1/providers/{slug}", 404)


def test_provider_reads_run_a_fixed_number_of_queries(client, built, django_assert_num_queries):
    with django_assert_num_queries(4):
        client.get("/api/v1/providers")
    # The provider, a page of its offers with the total, its models' open periods (whether an
    # offer is still listed depends on what else its source listed), and speed (two).
    with django_assert_num_queries(5):
        client.get("/api/v1/providers/deepinfra")
