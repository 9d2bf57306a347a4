"""The outbound HTTP helper against a real fault-injecting server on 127.0.0.1.

Deadlines are short (1 s) and each test carries a pytest-timeout well above it: a hang in the
client fails the test instead of assertions on elapsed time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from providers.base import FetchError
from providers.http import USER_AGENT, HttpClient
from tests.faults import FaultServer, Step

pytestmark = pytest.mark.timeout(20)


@pytest.fixture
def server():
    with FaultServer() as server:
        yield server


class SleepRecorder:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def client(**kwargs) -> HttpClient:
    kwargs.setdefault("deadline", 1.0)
    kwargs.setdefault("sleep", SleepRecorder())
    return HttpClient(**kwargs)


def test_it_returns_the_body_status_and_headers(server: FaultServer):
    server.script("/ok", Step(body=b'{"a": 1}', headers={"X-Thing": "yes"}))
    response = client().get(server.url("/ok"), params={"q": "1"})
    assert response.status == 200
    assert response.body == b'{"a": 1}'
    assert response.headers["x-thing"] == "yes"
    request = server.requests[0]
    assert request.query == {"q": ["1"]}
    assert request.headers["user-agent"] == USER_AGENT


def test_it_ends_a_one_byte_per_second_body_drip_at_the_deadline(server: FaultServer):
    server.script("/drip", Step(body=b"x" * 200, drip=1))
    with pytest.raises(FetchError, match="deadline"):
        client().get(server.url("/drip"))


def test_it_ends_a_drip_of_the_headers_at_the_deadline(server: FaultServer):
    server.script("/drip", Step(body=b"x" * 200, drip=1, drip_headers=True))
    with pytest.raises(FetchError, match="deadline"):
        client().get(server.url("/drip"))


def test_it_does_not_take_a_drip_cut_short_for_a_complete_close_delimited_body(server: FaultServer):
    server.script("/drip", Step(body=b"x" * 200, drip=50, content_length=False))
    with pytest.raises(FetchError, match="deadline"):
        client().get(server.url("/drip"))


def test_it_ends_a_server_that_accepts_and_never_answers_at_the_deadline(server: FaultServer):
    server.script("/hang", Step(hang=True))
    with pytest.raises(FetchError, match="timeout"):
        client(read_timeout=30).get(server.url("/hang"))


def test_it_refuses_a_25_mb_body_that_declares_its_length(server: FaultServer):
    server.script("/big", Step(body=b"x" * (25 * 1024 * 1024)))
    with pytest.raises(FetchError, match="cap"):
        client(deadline=10).get(server.url("/big"))


def test_it_refuses_a_25_mb_body_without_a_content_length(server: FaultServer):
    server.script("/big", Step(body=b"x" * (25 * 1024 * 1024), content_length=False))
    with pytest.raises(FetchError, match="over the 20971520-byte cap"):
        client(deadline=10).get(server.url("/big"))


def test_it_reports_a_body_shorter_than_its_content_length(server: FaultServer):
    server.script("/cut", Step(body=b'{"data": [', declared_length=100))
    with pytest.raises(FetchError, match="IncompleteRead"):
        client().get(server.url("/cut"))


def test_it_retries_a_429_after_the_retry_after_it_was_given(server: FaultServer):
    server.script("/x", Step(status=429, headers={"Retry-After": "2"}), Step(body=b"ok"))
    http = client(deadline=10)
    assert http.get(server.url("/x")).body == b"ok"
    assert http.sleep.calls == [2.0]
    assert server.count("/x") == 2


def test_it_caps_a_retry_after_of_an_hour(server: FaultServer):
    server.script("/x", Step(status=429, headers={"Retry-After": "3600"}), Step(body=b"ok"))
    http = client(deadline=10, retry_after_cap=0.25)
    assert http.get(server.url("/x")).body == b"ok"
    assert http.sleep.calls == [0.25]


def test_it_reads_a_retry_after_given_as_a_date(server: FaultServer):
    when = format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)
    server.script("/x", Step(status=503, headers={"Retry-After": when}), Step(body=b"ok"))
    http = client(deadline=10, retry_after_cap=7)
    http.get(server.url("/x"))
    assert http.sleep.calls == [7]


@pytest.mark.parametrize("value", ["nan", "-5", "soon", "inf"])
def test_it_falls_back_to_a_finite_backoff_on_a_nonsense_retry_after(server: FaultServer, value: str):
    server.script("/x", Step(status=429, headers={"Retry-After": value}), Step(body=b"ok"))
    http = client(deadline=10, backoff=0.01, retry_after_cap=3)
    http.get(server.url("/x"))
    (delay,) = http.sleep.calls
    assert 0 <= delay <= 3


def test_it_gives_up_at_once_when_the_retry_after_would_pass_the_deadline(server: FaultServer):
    server.script("/x", Step(status=429, headers={"Retry-After": "20"}))
    http = client(deadline=5, retry_after_cap=30)
    with pytest.raises(FetchError, match="would pass the deadline") as info:
        http.get(server.url("/x"))
    assert info.value.status == 429
    assert http.sleep.calls == []
    assert server.count("/x") == 1


def test_it_retries_5xx_a_few_times_then_fails_with_the_status(server: FaultServer):
    server.script("/x", Step(status=503))
    http = client(deadline=10, retries=3, backoff=0.001)
    with pytest.raises(FetchError, match="HTTP 503") as info:
        http.get(server.url("/x"))
    assert info.value.status == 503
    assert server.count("/x") == 4
    assert len(http.sleep.calls) == 3


def test_it_recovers_from_two_server_errors(server: FaultServer):
    server.script("/x", Step(status=500), Step(status=502), Step(body=b"fine"))
    http = client(deadline=10, backoff=0.001)
    assert http.get(server.url("/x")).body == b"fine"
    assert server.count("/x") == 3


def test_it_does_not_retry_a_404(server: FaultServer):
    with pytest.raises(FetchError, match="HTTP 404") as info:
        client().get(server.url("/missing"))
    assert info.value.status == 404
    assert server.count() == 1


def test_it_reports_a_refused_connection_as_a_fetch_error():
    with FaultServer() as server:
        url = server.url("/x")
    with pytest.raises(FetchError, match="cannot fetch"):
        client().get(url)


def test_it_never_runs_more_than_per_host_requests_at_once(server: FaultServer):
    server.script("/slow", Step(body=b"ok", delay=0.05))
    http = client(deadline=20, per_host=3)
    results = http.map(lambda i: http.get(server.url(f"/slow?i={i}")).body, range(24), workers=12)
    assert results == [b"ok"] * 24
    assert server.count("/slow") == 24
    # Twelve threads competed for three slots: the server saw exactly the limit, never more.
    assert server.max_in_flight == 3


def test_it_limits_each_host_on_its_own(server: FaultServer):
    server.script("/slow", Step(body=b"ok", delay=0.05))
    with FaultServer() as other:
        other.script("/slow", Step(body=b"ok", delay=0.05))
        http = client(deadline=20, per_host=2)
        urls = [host.url("/slow") for host in (server, other) for _ in range(8)]
        http.map(http.get, urls, workers=8)
        assert server.max_in_flight == 2
        assert other.max_in_flight == 2


def test_a_late_deadline_does_not_cut_the_next_request(server: FaultServer):
    server.script("/x", Step(body=b"ok"))
    http = client(deadline=0.3)
    for _ in range(20):
        assert http.get(server.url("/x")).body == b"ok"
