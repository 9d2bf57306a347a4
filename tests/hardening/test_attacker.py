"""What an attacker tries beyond the issue's list (issue 11's closing note lists what held)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from pricing.alerts.models import ApiToken, Channel, Rule
from pricing.alerts.transports import Content
from pricing.alerts.transports.email import clean_header
from tests.alerts.helpers import email_channel

pytestmark = pytest.mark.django_db
RIGHT = "a-long-enough-pass-1"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
                                    "http://testserver@evil.example/", "https:evil.example", "\x00/evil"])
def test_login_next_cannot_redirect_off_site(client, user, target):
    response = client.post("/accounts/login/", {"username": "ada", "password": RIGHT, "next": target})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location


def test_alert_forms_need_a_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    channel = email_channel(user)
    for url, data in [("/alerts/channels/new/", {"kind": "feed"}),
                      ("/alerts/rules/new/", {"condition": "change", "channels": [channel.pk]}),
                      (f"/alerts/channels/{channel.pk}/delete/", {}), (f"/alerts/channels/{channel.pk}/test/", {}),
                      ("/alerts/tokens/new/", {}), ("/accounts/logout/", {})]:
        assert client.post(url, data).status_code == 403, url
    assert Channel.objects.count() == 1 and not Rule.objects.exists() and not ApiToken.objects.exists()


def test_the_token_api_is_not_reachable_with_a_session_cookie(client, user):
    client.force_login(user)
    response = client.post("/api/v1/alerts/channels", json.dumps({"kind": "feed"}), content_type="application/json")
    assert response.status_code == 401 and not Channel.objects.exists()


@pytest.mark.parametrize("target", ["a@example.com\r\nBcc: victim@example.com", "a@example.com\nBcc: v@example.com",
                                    "a@example.com,victim@example.com", "<a@example.com>"])
def test_an_email_target_cannot_carry_headers_or_extra_recipients(client, user, target):
    client.force_login(user)
    assert client.post("/alerts/channels/new/", {"kind": "email", "target": target}).status_code == 400
    assert not Channel.objects.exists()


def test_provider_strings_cannot_inject_email_headers(user, smtp):
    assert "\n" not in clean_header("R1\r\nBcc: victim@example.com") and len(clean_header("x" * 1000)) <= 200
    from pricing.alerts.transports import email

    email.send(email_channel(user), Content(subject="R1\r\nBcc: victim@example.com", lines=["x"]), "msg_1")
    assert len(smtp.messages) == 1 and smtp.messages[0]["to"] == ["ada@example.com"]
    headers = smtp.messages[0]["data"].replace("\r\n", "\n").split("\n\n", 1)[0]
    assert "\nBcc:" not in headers


@pytest.mark.parametrize(("field", "size"), [("name", 101), ("target", 2001)])
def test_oversized_form_fields_are_refused(client, user, field, size):
    client.force_login(user)
    data = {"kind": "webhook", "target": "https://hooks.example.com/x", "name": ""}
    data[field] = data[field] + "x" * size
    assert client.post("/alerts/channels/new/", data).status_code == 400
    assert not Channel.objects.exists()


def test_an_oversized_api_field_is_a_400_not_a_database_error(client, user):
    _, token = ApiToken.issue(user, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for body in [{"kind": "webhook", "target": "https://hooks.example.com/x", "name": "x" * 5000},
                 {"kind": "x" * 5000}, {"condition": "change", "name": "x" * 5000, "channels": []}]:
        url = "/api/v1/alerts/rules" if "condition" in body else "/api/v1/alerts/channels"
        response = client.post(url, json.dumps(body), content_type="application/json", **auth)
        assert response.status_code == 400, response.content[:200]


@pytest.mark.parametrize("bearer", ["x" * 5000, "rc_\x00", "rc_²", ""])
def test_odd_tokens_are_a_401(client, db, bearer):
    response = client.get("/api/v1/alerts/rules", HTTP_AUTHORIZATION=f"Bearer {bearer}")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"


def test_head_and_options_on_the_api(client, db):
    head = client.head("/api/v1/models")
    assert head.status_code == 200 and head.content == b"" and int(head["Content-Length"]) > 0
    options = client.options("/api/v1/models")
    assert options.status_code in (200, 405)
    if options.status_code == 405:
        assert options.json()["error"]["code"] == "method_not_allowed"
    preflight = client.options("/api/v1/alerts/rules", HTTP_ORIGIN="https://evil.example",
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "POST" not in preflight.get("Access-Control-Allow-Methods", "")


def test_a_json_body_that_is_not_an_object_is_a_400(client, user):
    _, token = ApiToken.issue(user, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for body in ["[]", "null", '"x"', "{", '{"kind": NaN}', "1e999999", '{"channels": [1e400]}']:
        response = client.post("/api/v1/alerts/channels", body, content_type="application/json", **auth)
        assert response.status_code == 400, (body, response.status_code)
        assert response.json()["error"]["code"] == "bad_parameter"


def test_another_users_objects_are_not_found(client, user, django_user_model):
    other = django_user_model.objects.create_user("eve", "eve@example.com", "eves-long-password-4")
    theirs = email_channel(other)
    _, token = ApiToken.issue(user, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.delete(f"/api/v1/alerts/channels/{theirs.pk}", **auth).status_code == 404
    assert client.post(f"/api/v1/alerts/channels/{theirs.pk}/test", "{}", content_type="application/json",
                       **auth).status_code == 404
    response = client.post("/api/v1/alerts/rules", json.dumps({"condition": "change", "channels": [theirs.pk]}),
                           content_type="application/json", **auth)
    assert response.status_code == 400 and not Rule.objects.exists()
