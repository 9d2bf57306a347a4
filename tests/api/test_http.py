"""Error shape, throttling per client, conditional GETs and the unknown-endpoint answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pricing.api.http import client_address

pytestmark = pytest.mark.django_db
URL = "/api/v1/models"


@pytest.fixture
def mid_minute():
    """Throttling counts per clock minute: keep a test's requests inside one."""
    import time_machine

    with time_machine.travel(datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC), tick=False):
        yield


def test_ninjas_validation_errors_are_400_in_our_shape(client, built):
    response = client.get(URL, {"limit": "many"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_parameter" and "limit" in error["message"]
    assert error["details"][0]["loc"] == ["query", "limit"]


def test_an_unknown_endpoint_is_a_json_404(client):
    response = client.get("/api/v1/prices/everything")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_an_unexpected_error_is_a_json_500_not_a_traceback(client, built, monkeypatch):
    from pricing.queries import api as queries

    def broken(**kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(queries, "models_page", broken)
    response = client.get(URL)
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "server_error", "message": "internal error; it has been logged"}}


def test_it_throttles_each_client_once_over_the_limit(client, built, settings, mid_minute):
    settings.API_THROTTLE_PER_MINUTE = 3
    statuses = [client.get(URL, REMOTE_ADDR="198.51.100.7").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get(URL, REMOTE_ADDR="198.51.100.7")
    assert limited.json()["error"]["code"] == "throttled"
    assert limited["Retry-After"] == "30"
    assert client.get(URL, REMOTE_ADDR="198.51.100.8").status_code == 200


def test_a_spoofed_forwarded_for_does_not_dodge_the_throttle(client, built, settings, mid_minute):
    settings.API_THROTTLE_PER_MINUTE = 2
    statuses = [
        client.get(URL, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_saw(client, built, settings, mid_minute):
    settings.API_THROTTLE_PER_MINUTE = 2
    settings.TRUSTED_PROXY_COUNT = 1
    # The client forges a first entry each time; the proxy appends the address it really saw.
    statuses = [
        client.get(URL, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}, 198.51.100.7").status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert client.get(URL, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 200


@pytest.mark.parametrize(("hops", "forwarded", "expected"), [
    (0, "203.0.113.1", "192.0.2.1"),
    (1, "203.0.113.1", "203.0.113.1"),
    (1, "6.6.6.6, 203.0.113.1", "203.0.113.1"),
    (2, "6.6.6.6, 203.0.113.1, 10.0.0.2", "203.0.113.1"),
    (2, "203.0.113.1", "192.0.2.1"),  # fewer hops than trusted: it came around the proxies
    (1, "not-an-address", "192.0.2.1"),
])
def test_client_address_honours_only_trusted_hops(rf, settings, hops, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = hops
    request = rf.get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_throttling_is_off_when_the_limit_is_zero(client, built, settings):
    settings.API_THROTTLE_PER_MINUTE = 0
    assert {client.get(URL).status_code for _ in range(5)} == {200}


def test_the_trivial_benchmark_view_is_hidden_unless_enabled(client, settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.delenv("RATECARD_BENCH", raising=False)
    assert client.get("/api/v1/_bench/trivial").status_code == 404
    monkeypatch.setenv("RATECARD_BENCH", "1")
    assert client.get("/api/v1/_bench/trivial").json() == {"ok": True}


def test_a_nul_in_a_parameter_is_a_400_not_a_database_error(client, built):
    response = client.get(URL, {"author": "open\x00ai"})
    assert response.status_code == 400 and "NUL" in response.json()["error"]["message"]
    assert client.get("/api/v1/providers/a%00b").status_code == 400


def test_a_web_process_sees_a_new_generation_within_the_memo_time(client, built, monkeypatch):
    from pricing.api import http
    from pricing.cache import bump_generation
    from pricing.models import Model

    now = [1000.0]
    monkeypatch.setattr(http, "_clock", lambda: now[0])
    monkeypatch.setattr(http, "GENERATION_MEMO_SECONDS", 1.0)
    first = client.get(URL)["ETag"]
    Model.objects.filter(slug="openai/o1").update(name="OpenAI o1 (renamed)")
    bump_generation()
    now[0] += 0.5
    assert client.get(URL)["ETag"] == first  # this process's copy, for under a second
    now[0] += 1.0
    assert client.get(URL)["ETag"] != first


def test_head_answers_like_get_without_a_body(client):
    from pricing.models import Model

    Model.objects.create(slug="lab/headless", name="Headless", author="lab")
    get = client.get("/api/v1/models")
    head = client.head("/api/v1/models")
    assert head.status_code == 200 and head.content == b""
    assert head["ETag"] == get["ETag"]
    assert head["Content-Length"] == str(len(get.content))
