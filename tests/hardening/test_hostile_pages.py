"""Hostile parameters on every page and feed (issue 11, items 2 and 3).

NUL gave 500s on PostgreSQL only (its text cannot hold NUL), so those tests need PostgreSQL;
a Unicode digit in ``mix`` failed on every database.
"""

from __future__ import annotations

import json

import pytest

from pricing.alerts.models import ApiToken, Rule
from tests.alerts.helpers import email_channel
from tests.pricing.views import world

pytestmark = pytest.mark.django_db

R1 = world.R1

NUL_URLS = [
    "/search/?q=a%00b",
    "/changes/?model=a%00b",
    "/changes/?provider=a%00b",
    "/changes/?kind=a%00b",
    f"/models/{R1}/?sort=a%00",
    f"/models/{R1}/?range=a%00",
    "/compare/?models=a%00,b",
    "/compare/?m=a%00&m=b",
    f"/compare/?models={R1},{world.LLAMA}&basis=provider:a%00",
    f"/models/{R1}/series.json?mix=a%00",
    "/feeds/changes.atom?x=%00",
    "/?mix=%00",
    "/search/?q%00=a",
]
NUL_PATHS = ["/providers/a%00b/", "/models/a%00/b/", "/models/a/b%00/",
             "/feeds/models/a%00/b.atom", "/feeds/providers/a%00.atom"]


@pytest.fixture
def built():
    return world.build()


@pytest.mark.postgres
@pytest.mark.parametrize("url", NUL_URLS)
def test_a_nul_in_a_parameter_is_a_400_on_postgresql(client, built, url):
    response = client.get(url)
    assert response.status_code == 400, response.content[:300]
    if ".json" in url:
        assert response.json()["error"]["code"] == "bad_parameter"
    else:
        assert "control characters" in response.content.decode()


@pytest.mark.postgres
@pytest.mark.parametrize("url", NUL_PATHS)
def test_a_nul_in_a_page_address_names_nothing_on_postgresql(client, built, url):
    assert client.get(url).status_code == 404


@pytest.mark.postgres
def test_a_nul_in_a_json_address_is_a_400_in_the_api_shape(client, built):
    for url in ["/models/a%00/b/series.json", "/api/v1/models/a%00/b/offers"]:
        response = client.get(url)
        assert response.status_code == 400 and response.json()["error"]["code"] == "bad_parameter"


@pytest.mark.postgres
@pytest.mark.parametrize("char", ["%01", "%0a", "%0d", "%1b", "%7f", "%09"])
def test_other_control_characters_are_refused_too(client, built, char):
    assert client.get(f"/search/?q=a{char}b").status_code == 400
    assert client.get(f"/api/v1/models?search=a{char}b").status_code == 400


@pytest.mark.postgres
def test_a_nul_in_a_login_or_form_field_is_a_form_error(client, built, user):
    assert client.post("/accounts/login/", {"username": "a\x00", "password": "b"}).status_code == 200
    client.force_login(user)
    response = client.post("/alerts/rules/new/", {"model": "a\x00b", "condition": "change"})
    assert response.status_code == 400
    response = client.post("/alerts/channels/new/", {"kind": "email", "target": "a\x00@example.com"})
    assert response.status_code == 400


UNICODE_MIXES = ["²:1", "3:¹", "٣:١", "３:１", "𝟑:1", "3:1\u0660", "-1:1", "3:1:1", "1e3:1", " :1"]


@pytest.mark.parametrize("mix", UNICODE_MIXES)
def test_a_unicode_digit_in_mix_is_a_400_with_a_message_everywhere(client, built, mix):
    pages = ["/", f"/models/{R1}/", "/providers/deepinfra/", f"/compare/?models={R1},{world.LLAMA}&"]
    for page in pages:
        sep = "" if page.endswith("&") else "?"
        response = client.get(f"{page}{sep}mix={mix}")
        assert response.status_code == 400, (page, response.status_code)
        assert "mix must look like 3:1" in response.content.decode()
    response = client.get(f"/models/{R1}/series.json", {"mix": mix})
    assert response.status_code == 400 and "mix" in response.json()["error"]["message"]
    for url in ["/api/v1/models", f"/api/v1/models/{R1}/offers", "/api/v1/providers/deepinfra",
                f"/api/v1/compare?models={R1}"]:
        response = client.get(url, {"mix": mix})
        assert response.status_code == 400 and response.json()["error"]["code"] == "bad_parameter"


@pytest.mark.parametrize("mix", UNICODE_MIXES)
def test_a_unicode_digit_in_an_alert_rules_mix_is_refused_in_the_form_and_the_api(client, built, user, mix):
    channel = email_channel(user)
    client.force_login(user)
    response = client.post("/alerts/rules/new/", {"condition": "change", "price_field": "blended", "mix": mix,
                                                  "digest": "immediate", "channels": [channel.pk]})
    assert response.status_code == 400
    assert "mix must look like 3:1" in response.content.decode()
    _, token = ApiToken.issue(user, "t")
    response = client.post("/api/v1/alerts/rules", json.dumps({"condition": "change", "mix": mix,
                                                               "channels": [channel.pk]}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400 and "mix" in response.json()["error"]["message"]
    assert not Rule.objects.exists()


def test_ascii_mixes_still_work(client, built):
    assert client.get(f"/models/{R1}/?mix=1:4").status_code == 200
    assert client.get(f"/models/{R1}/?mix= 3 : 1 ").status_code == 200
    assert client.get("/api/v1/models?mix=1:4").status_code == 200


@pytest.mark.parametrize("day", ["²025-01-01", "٢٠٢٥-٠١-٠١", "0001-01-01", "9999-12-31", "1969-12-31"])
def test_dates_on_pages_are_ascii_and_in_range(client, built, day):
    assert client.get("/changes/", {"since": day}).status_code == 400
    assert client.get("/compare/", {"models": f"{R1},{world.LLAMA}", "as_of": day}).status_code == 400
