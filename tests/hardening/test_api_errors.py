"""Bad input to the API is a 4xx in the API's one error shape, never a 500 (issue 11, items 7-8).

The huge-id and overflowing-cursor cases failed on SQLite (Python ints beyond 64 bits, datetimes
beyond year 9999 in UTC), so they run on whichever database the suite has, SQLite included.
"""

from __future__ import annotations

import base64
import json

import pytest

from pricing.alerts.models import ApiToken, Channel, Rule
from tests.alerts.helpers import email_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(user):
    _, token = ApiToken.issue(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post(client, url, data, **headers):
    body = data if isinstance(data, (bytes, str)) else json.dumps(data)
    return client.post(url, body, content_type="application/json", **headers)


def shaped(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error = response.json()["error"]
    assert set(error) >= {"code", "message"}
    if code:
        assert error["code"] == code
    return error


def test_a_channel_url_with_a_broken_ipv6_host_is_a_400(client, auth):
    response = post(client, "/api/v1/alerts/channels", {"kind": "webhook", "target": "http://[::1/"}, **auth)
    assert "not a valid URL" in shaped(response, 400, "bad_parameter")["message"]
    assert not Channel.objects.exists()


@pytest.mark.parametrize("target", ["http://[::1/", "http://[fe80::1%25en0/x", "http://a:99999/", "https://[/",
                                    "http://[::1]:x/", "http:///nohost"])
def test_the_web_form_refuses_broken_urls_too(client, user, target):
    client.force_login(user)
    response = client.post("/alerts/channels/new/", {"kind": "webhook", "target": target})
    assert response.status_code == 400
    assert not Channel.objects.exists()


def test_a_rule_naming_a_channel_id_beyond_64_bits_is_a_400(client, user, auth):
    mail = email_channel(user)
    for ids in ([99999999999999999999], [mail.pk, 2**63], [-1]):
        response = post(client, "/api/v1/alerts/rules", {"condition": "change", "channels": ids}, **auth)
        shaped(response, 400, "bad_parameter")
    assert not Rule.objects.exists()


def test_the_rule_form_refuses_a_huge_channel_id(client, user):
    client.force_login(user)
    response = client.post("/alerts/rules/new/", {"condition": "change", "price_field": "blended", "mix": "3:1",
                                                  "digest": "immediate", "channels": ["99999999999999999999"]})
    assert response.status_code == 400
    assert not Rule.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/alerts/rules/99999999999999999999",
                                  "/api/v1/alerts/channels/99999999999999999999/test",
                                  "/api/v1/alerts/rules/-5"])
def test_huge_ids_in_api_paths_are_not_found_or_bad(client, auth, path):
    method = client.post if path.endswith("/test") else client.get
    response = method(path, **auth)
    assert response.status_code in (400, 404, 405), response.content[:300]
    assert response.json()["error"]["code"]


@pytest.mark.parametrize("path", ["/alerts/rules/99999999999999999999/", "/alerts/rules/99999999999999999999/delete/",
                                  "/alerts/channels/99999999999999999999/test/"])
def test_huge_ids_in_page_paths_are_not_found(client, user, path):
    client.force_login(user)
    response = client.post(path) if "delete" in path or "test" in path else client.get(path)
    assert response.status_code == 404


def test_a_3mb_json_body_is_a_413_in_the_error_shape(client, auth):
    body = json.dumps({"kind": "email", "name": "x" * (3 * 1024 * 1024), "target": "a@example.com"})
    response = post(client, "/api/v1/alerts/channels", body, **auth)
    assert "larger than" in shaped(response, 413, "too_large")["message"]


def test_a_3mb_form_post_is_a_413_page(client, user):
    client.force_login(user)
    response = client.post("/alerts/channels/new/", {"kind": "email", "target": "a@example.com",
                                                     "name": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert not Channel.objects.exists()


def forged(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("raw", ["9999-12-31T23:59:59-14:00|1", "0001-01-01T00:00:00+14:00|1",
                                 "2025-01-01T00:00:00+00:00|99999999999999999999", "2025-01-01T00:00:00|1",
                                 "2025-01-01T00:00:00+00:00|²", "2025-01-01T00:00:00+00:00|-1", "x|1"])
def test_a_forged_changes_cursor_is_a_400(client, db, raw):
    response = client.get("/api/v1/changes", {"cursor": forged(raw)})
    assert shaped(response, 400, "bad_parameter")["message"] == "cursor is not one this API gave out"


@pytest.mark.parametrize("value", ["1", "99999999999", "1e10", "-1", "²⁰²⁵-01-01", "٢٠٢٥-٠١-٠١",
                                   "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
@pytest.mark.parametrize("path", ["/api/v1/models/a/b/offers?as_of=", "/api/v1/compare?models=a/b&as_of=",
                                  "/api/v1/changes?since=", "/api/v1/runs?since=", "/api/v1/models/a/b/history?until="])
def test_instants_are_iso_8601_only_and_in_range(client, db, path, value):
    from urllib.parse import quote

    error = shaped(client.get(path + quote(value)), 400, "bad_parameter")
    assert "ISO-8601" in error["message"] or "out of range" in error["message"]


def test_an_iso_instant_still_works(client, db):
    response = client.get("/api/v1/changes", {"since": "2025-01-01T00:00:00Z"})
    assert response.status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_method_an_endpoint_lacks_is_a_json_405(client, db, method):
    response = getattr(client, method)("/api/v1/models")
    shaped(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_a_404_from_the_resolver_under_the_api_is_json(client, db):
    shaped(client.get("/api/v1/docs/assets/nothing.js"), 404, "not_found")
    shaped(client.get("/api/nothing"), 404, "not_found")


def test_an_error_outside_ninja_under_the_api_is_json(client, db, settings):
    # A server error that escapes every view: Django's handler500, in our shape under /api/.
    from django.test import RequestFactory

    from pricing import errors

    request = RequestFactory().get("/api/v1/models")
    response = errors.server_error(request)
    assert response.status_code == 500 and json.loads(response.content)["error"]["code"] == "server_error"


def test_the_series_json_errors_use_the_api_shape(client, db):
    shaped(client.get("/models/a/b/series.json"), 404, "not_found")
    shaped(client.get("/models/a/b/series.json?mix=%C2%B2:1"), 400, "bad_parameter")
    shaped(client.get("/models/a/b/series.json?mix=a%00"), 400, "bad_parameter")


def test_the_api_docs_page_has_a_content_security_policy(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp and "object-src 'none'" in csp


def test_json_clients_get_the_json_shape_outside_the_api_too(client, db):
    shaped(client.get("/models/a/b/", HTTP_ACCEPT="application/json"), 404, "not_found")
    shaped(client.get("/nothing/here/", HTTP_ACCEPT="application/json"), 404, "not_found")
    shaped(client.get("/healthz?x=%00"), 400, "bad_parameter")
    page = client.get("/nothing/here/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
