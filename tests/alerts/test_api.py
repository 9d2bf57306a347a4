from __future__ import annotations

import json

import pytest

from pricing.alerts.models import ApiToken, Channel, Rule
from pricing.models import Model
from tests.alerts.helpers import email_channel

# The router as the project mounts it (pricing/api/api.py), with the API's own error handlers.
pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(user):
    _, token = ApiToken.issue(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post(client, url, data, **headers):
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


def test_requests_without_a_valid_token_are_refused(client, user):
    assert client.get("/api/v1/alerts/rules").status_code == 401
    response = client.get("/api/v1/alerts/rules", HTTP_AUTHORIZATION="Bearer rc_wrong")
    assert response.status_code == 401
    # The API's one error shape, here as everywhere under /api/v1/.
    assert set(response.json()["error"]) >= {"code", "message"}


def test_creating_listing_updating_and_deleting_a_rule(client, user, auth):
    Model.objects.create(slug="deepseek/deepseek-r1", name="R1", author="deepseek")
    mail = email_channel(user)
    response = post(client, "/api/v1/alerts/rules", {"model": "deepseek/deepseek-r1", "condition": "below",
                                                      "threshold": "1.5", "price_field": "output",
                                                      "channels": [mail.pk]}, **auth)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["model"], body["condition"], body["threshold"], body["channels"]) == (
        "deepseek/deepseek-r1", "below", "1.5", [mail.pk])
    assert [r["id"] for r in client.get("/api/v1/alerts/rules", **auth).json()] == [body["id"]]
    response = client.patch(f"/api/v1/alerts/rules/{body['id']}", json.dumps({"paused": True, "threshold": "1.2"}),
                            content_type="application/json", **auth)
    assert response.status_code == 200, response.content
    assert response.json()["paused"] is True and response.json()["threshold"] == "1.2"
    assert client.delete(f"/api/v1/alerts/rules/{body['id']}", **auth).status_code == 204
    assert not Rule.objects.exists()


def test_bad_rules_get_a_400_with_the_reason(client, user, auth):
    response = post(client, "/api/v1/alerts/rules", {"condition": "drop", "channels": [email_channel(user).pk]}, **auth)
    assert response.status_code == 400
    assert "percentage" in response.json()["error"]["message"]
    assert response.json()["error"]["code"] == "bad_parameter"


def test_another_users_rules_are_invisible(client, auth, django_user_model):
    other = django_user_model.objects.create_user("eve", password="x-long-pass-22")
    theirs = Rule.objects.create(user=other, condition="change")
    assert client.get(f"/api/v1/alerts/rules/{theirs.pk}", **auth).status_code == 404
    assert client.delete(f"/api/v1/alerts/rules/{theirs.pk}", **auth).status_code == 404
    assert client.get("/api/v1/alerts/rules", **auth).json() == []


def test_creating_a_webhook_channel_returns_its_secret_once(client, user, auth):
    response = post(client, "/api/v1/alerts/channels", {"kind": "webhook", "target": "https://hooks.example.com/a"},
                    **auth)
    assert response.status_code == 201
    assert response.json()["secret"].startswith("whsec_")
    listed = client.get("/api/v1/alerts/channels", **auth).json()
    assert listed[0]["secret"] is None and listed[0]["target"] == "https://hooks.example.com/…"


def test_a_private_webhook_target_is_refused(client, auth, settings):
    settings.ALERTS_ALLOW_PRIVATE_WEBHOOKS = False
    response = post(client, "/api/v1/alerts/channels", {"kind": "webhook", "target": "http://[::1]/"}, **auth)
    assert response.status_code == 400 and "not a public address" in response.json()["error"]["message"]
    assert not Channel.objects.exists()


def test_the_test_endpoint_sends_through_the_channel(client, user, auth, receiver):
    channel = post(client, "/api/v1/alerts/channels", {"kind": "webhook", "target": receiver.url()}, **auth).json()
    response = post(client, f"/api/v1/alerts/channels/{channel['id']}/test", {}, **auth)
    assert response.json() == {"status": "sent", "error": ""}
    assert len(receiver.requests) == 1
