"""Every API list is paginated or bounded (issue 11, item 6: the API's side).

A provider's offers and a model's offers came capped at 500 with no way to the rest; an account's
alert rules and channels had no bound at all.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pricing.alerts.models import ApiToken, Channel, Rule
from pricing.models import Model, Source
from tests.api.market import q, sweep

pytestmark = pytest.mark.django_db
AT = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def big_host():
    """One host with 7 offers of 5 models (two models with a second variant)."""
    src = Source.objects.create(slug="hostapi", name="Hosts", kind="api", weight=90)
    Model.objects.bulk_create([Model(slug=f"lab/m{i}", name=f"M{i}", author="lab") for i in range(5)])
    quotes = [q("bighost", f"lab/m{i}", str(i + 1), str(i + 2)) for i in range(5)]
    quotes += [q("bighost", f"lab/m{i}", "0.5", "0.5", variant="fp8") for i in range(2)]
    sweep(src, AT, quotes)


def test_a_providers_offers_come_in_pages(client, big_host):
    first = client.get("/api/v1/providers/bighost", {"limit": 3}).json()
    assert (first["count"], first["limit"], first["offset"]) == (7, 3, 0)
    assert first["provider"]["n_offers"] == 7 and first["provider"]["n_models"] == 5
    assert len(first["offers"]) == 3 and first["next"]
    seen = [(o["model"], o["variant"]) for o in first["offers"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [(o["model"], o["variant"]) for o in page["offers"]]
    assert len(seen) == len(set(seen)) == 7
    beyond = client.get("/api/v1/providers/bighost", {"offset": 50}).json()
    assert beyond["offers"] == [] and beyond["count"] == 7 and beyond["provider"]["n_models"] == 5


def test_a_models_offers_come_in_pages(client, big_host):
    body = client.get("/api/v1/models/lab/m0/offers", {"limit": 1}).json()
    assert body["count"] == 2 and len(body["items"]) == 1 and body["next"]
    rest = client.get(body["next"]).json()
    assert rest["next"] is None and len(rest["items"]) == 1
    assert {body["items"][0]["variant"], rest["items"][0]["variant"]} == {"", "fp8"}


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=99999999999999999999", "offset=-1",
                                   "offset=99999999999999999999", "limit=%C2%B2"])
def test_huge_or_odd_limits_and_offsets_are_400(client, big_host, query):
    paths = ["/api/v1/providers/bighost", "/api/v1/models/lab/m0/offers", "/api/v1/models", "/api/v1/providers",
             "/api/v1/runs"]
    paths += ["/api/v1/changes"] if query.startswith("limit") else []
    paths += ["/api/v1/models/lab/m0/history"] if query != "limit=501" else []  # history pages go to 5000
    for path in paths:
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query)
        assert response.json()["error"]["code"] == "bad_parameter"


def test_an_accounts_rules_and_channels_are_bounded_and_listed_in_pages(client, user, settings):
    settings.ALERTS_MAX_CHANNELS_PER_USER = 3
    settings.ALERTS_MAX_RULES_PER_USER = 4
    _, token = ApiToken.issue(user, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def post(url, data):
        return client.post(url, json.dumps(data), content_type="application/json", **auth)

    made = [post("/api/v1/alerts/channels", {"kind": "webhook", "target": f"https://hooks.example.com/{i}"})
            for i in range(4)]
    assert [r.status_code for r in made] == [201, 201, 201, 400]
    assert "the most one account may have" in made[3].json()["error"]["message"]
    channel = Channel.objects.first().pk
    rules = [post("/api/v1/alerts/rules", {"condition": "change", "channels": [channel]}) for _ in range(5)]
    assert [r.status_code for r in rules] == [201, 201, 201, 201, 400]
    assert Rule.objects.count() == 4
    first = client.get("/api/v1/alerts/rules", {"limit": 3}, **auth).json()
    rest = client.get("/api/v1/alerts/rules", {"limit": 3, "offset": 3}, **auth).json()
    assert len(first) == 3 and len(rest) == 1
    assert len(client.get("/api/v1/alerts/channels", {"limit": 2}, **auth).json()) == 2
    # Editing an existing rule is not creating one: the cap does not block it.
    rule_id = first[0]["id"]
    patched = client.patch(f"/api/v1/alerts/rules/{rule_id}", json.dumps({"name": "renamed"}),
                           content_type="application/json", **auth)
    assert patched.status_code == 200
