"""The latency probe against a real streaming server on 127.0.0.1 (tests/streamserver.py).

The accuracy tests compare measured values with what a deterministic local server was told to do
(first token after D seconds, then R tokens per second); they are not speed assertions.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from dataclasses import replace
from datetime import UTC
from decimal import Decimal

import pytest

from providers.base import PerfSample
from providers.probe import WORKLOADS, ProbeResult, Workload, estimate_cost, probe
from tests.streamserver import StreamServer, StreamSettings

KEY = "sk-test-not-a-real-key"


def run(settings: StreamSettings, workload: str = "short", **kwargs) -> tuple[ProbeResult, StreamServer]:
    with StreamServer(settings) as server:
        result = probe(server.base_url, KEY, "test/model", workload, **kwargs)
    return result, server


def relative_error(measured: Decimal, expected: float) -> float:
    return abs(float(measured) - expected) / expected


def assert_ttft_within_10ms(result: ProbeResult, server: StreamServer, delay: float) -> None:
    """The server never sends early, but on a loaded machine its thread can wake late: 12-18 ms was
    seen with both cores busy, and no tolerance absorbs that. Its own record of when it had written
    the first token excuses exactly that lateness and nothing else; idle, it is ~0.2 ms, so the bound
    is the plain 10 ms. A probe that counts the empty role chunk or stamps a buffer fill instead of
    the arrival still fails, and so does a probe thread that is itself starved."""
    received = server.received[0]
    server_late_ms = max(0.0, (received.sent_at[0] - received.started - delay) * 1000)
    error_ms = float(result.ttft_ms) - delay * 1000
    why = f"TTFT off by {error_ms:+.3f} ms; the server sent {server_late_ms:.3f} ms late"
    assert -10 <= error_ms <= 10 + server_late_ms, why


# Observed on the 2-core box, idle: TTFT off by +0.04..1.4 ms, throughput by < 0.05%; with both cores
# saturated, TTFT up to ~20 ms (almost all of it the server waking late), throughput < 0.2%.
@pytest.mark.slow
@pytest.mark.parametrize(
    ("delay", "rate", "tokens"),
    [(0.2, 50.0, 100), (0.5, 100.0, 200), (0.05, 20.0, 60)],
    ids=["200ms-50tps", "500ms-100tps", "50ms-20tps"],
)
def test_it_measures_ttft_within_10ms_and_throughput_within_5_percent(delay, rate, tokens):
    result, server = run(StreamSettings(first_token_delay=delay, rate=rate, tokens=tokens))

    assert result.ok, (result.error, result.detail)
    assert result.error == ""
    assert result.status == 200
    assert_ttft_within_10ms(result, server, delay)
    assert relative_error(result.tps, rate) <= 0.05, result.tps
    assert result.completion_tokens == tokens
    assert result.prompt_tokens == 111
    assert result.usage_missing is False
    assert result.token_events == tokens
    # Total covers the whole stream: first token plus (tokens - 1) gaps.
    # The server schedules from when the request reached its socket, a moment before our clock
    # starts (after the write returns), so the same 10 ms tolerance applies below.
    assert float(result.total_ms) >= (delay + (tokens - 1) / rate) * 1000 - 10
    assert len(server.received) == 1


def test_it_starts_the_clock_at_the_first_reasoning_token():
    settings = StreamSettings(first_token_delay=0.15, rate=100, tokens=40, reasoning_tokens=20)
    result, server = run(settings)

    assert result.ok
    assert_ttft_within_10ms(result, server, 0.15)
    assert result.completion_tokens == 40
    assert result.token_events == 40


def test_it_reads_openrouters_reasoning_field_too():
    settings = StreamSettings(
        first_token_delay=0.1, rate=100, tokens=30, reasoning_tokens=30, reasoning_field="reasoning"
    )
    result, server = run(settings)

    assert result.ok
    assert_ttft_within_10ms(result, server, 0.1)
    assert result.token_events == 30


def test_it_does_not_count_the_empty_role_chunk_as_the_first_token():
    # The server sends ": PROCESSING" and {"role": "assistant", "content": ""} at once; a probe
    # that took either as a token would report a TTFT near zero.
    result, _ = run(StreamSettings(first_token_delay=0.3, rate=100, tokens=20))

    assert result.ok
    assert float(result.ttft_ms) >= 290


def test_it_trusts_the_providers_usage_over_the_event_count():
    # 50 events at 50/s but the host says 150 tokens (it batched three per event).
    settings = StreamSettings(first_token_delay=0.05, rate=50, tokens=50, usage_completion_tokens=150)
    result, _ = run(settings)

    assert result.ok
    assert result.completion_tokens == 150
    assert result.token_events == 50
    assert result.usage_missing is False
    expected_tps = 149 / (49 / 50)
    assert relative_error(result.tps, expected_tps) <= 0.05


def test_it_estimates_tokens_from_events_and_says_so_when_usage_is_missing():
    result, _ = run(StreamSettings(first_token_delay=0.05, rate=50, tokens=40, include_usage=False))

    assert result.ok
    assert result.usage_missing is True
    assert result.completion_tokens == 40
    assert result.prompt_tokens is None
    assert relative_error(result.tps, 50) <= 0.05


def test_it_sends_the_published_workload_with_a_fresh_nonce_each_run():
    with StreamServer(StreamSettings(first_token_delay=0.01, rate=500, tokens=5)) as server:
        first = probe(server.base_url, KEY, "org/model-x", "long")
        second = probe(server.base_url, KEY, "org/model-x", "long")

    assert first.ok and second.ok
    one, two = server.received
    assert one.path == "/v1/chat/completions"
    assert one.headers["Authorization"] == f"Bearer {KEY}"
    assert one.headers["Accept"] == "text/event-stream"
    body = one.body
    assert body["model"] == "org/model-x"
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["temperature"] == 0
    assert body["max_tokens"] == 256
    text_one = body["messages"][0]["content"]
    text_two = two.body["messages"][0]["content"]
    assert text_one != text_two
    # Only the nonce line differs; the rest is the published template.
    assert text_one.split("\n", 1)[1] == text_two.split("\n", 1)[1] == WORKLOADS["long"].template
    assert first.workload == "long"
    assert first.workload_fingerprint == WORKLOADS["long"].fingerprint
    assert first.started_at.tzinfo is UTC


def test_it_ignores_proxy_settings_so_the_key_goes_only_to_the_named_host(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    result, server = run(StreamSettings(first_token_delay=0.01, rate=500, tokens=5))

    assert result.ok
    assert len(server.received) == 1


def test_it_reads_a_stream_ended_by_closing_the_connection():
    result, _ = run(StreamSettings(first_token_delay=0.05, rate=100, tokens=20, chunked=False))

    assert result.ok
    assert result.completion_tokens == 20


def test_it_records_a_malformed_line_as_malformed_stream():
    result, _ = run(StreamSettings(first_token_delay=0.02, rate=200, tokens=30, fault="malformed", fault_at=10))

    assert result.ok is False
    assert result.error == "malformed_stream"
    assert result.status == 200
    assert result.token_events == 10
    assert "invalid JSON" in result.detail


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "close-delimited"])
def test_it_records_a_connection_closed_before_done_as_stream_cut(chunked):
    settings = StreamSettings(first_token_delay=0.02, rate=200, tokens=30, fault="cut", fault_at=12, chunked=chunked)
    result, _ = run(settings)

    assert result.ok is False
    assert result.error == "stream_cut"
    assert result.token_events == 12
    # Partial timings are kept on the result for diagnosis ...
    assert result.ttft_ms is not None
    # ... but a failed probe gives no figures to the percentiles.
    sample = result.to_perf_sample("deepinfra", "org/model-x")
    assert sample.ttft_p50_ms is None
    assert sample.tps_p50 is None
    assert sample.extra["error"] == "stream_cut"


def test_it_records_a_429_with_retry_after_and_does_not_retry():
    result, server = run(StreamSettings(fault="429", retry_after="30"))

    assert result.ok is False
    assert result.error == "http_429"
    assert result.status == 429
    assert result.retry_after == "30"
    assert "rate limited" in result.detail
    assert result.ttft_ms is None
    assert len(server.received) == 1


def test_it_keeps_the_deadline_when_the_server_hangs_after_the_headers():
    # The read timeout (30 s) is far beyond the deadline: only the watchdog can end this.
    began = time.monotonic()
    result, _ = run(StreamSettings(fault="hang"), deadline=2.0, timeout=30.0)
    elapsed = time.monotonic() - began

    assert result.ok is False
    assert result.error == "timeout"
    assert result.status == 200
    assert 1.9 <= elapsed < 3.5, elapsed
    assert 1900 <= float(result.total_ms) < 3500


def test_it_keeps_the_deadline_against_a_slow_drip():
    # A byte every 50 ms never trips a 1 s read timeout; the 2 s deadline must end it.
    began = time.monotonic()
    result, _ = run(StreamSettings(fault="drip", drip_interval=0.05), deadline=2.0, timeout=1.0)
    elapsed = time.monotonic() - began

    assert result.error == "timeout"
    assert "deadline" in result.detail
    assert 1.9 <= elapsed < 3.5, elapsed


def test_it_records_a_read_timeout_when_no_bytes_come():
    result, _ = run(StreamSettings(fault="hang"), deadline=20.0, timeout=0.5)

    assert result.error == "timeout"
    assert "no bytes" in result.detail
    assert float(result.total_ms) < 5000


def test_it_records_no_tokens_when_the_stream_has_none():
    result, _ = run(StreamSettings(tokens=0, first_token_delay=0.0))

    assert result.ok is False
    assert result.error == "no_tokens"
    assert result.ttft_ms is None
    assert result.tps is None


def test_it_records_a_refused_connection():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, not listening: connecting is refused
        port = sock.getsockname()[1]
        result = probe(f"http://127.0.0.1:{port}/v1", KEY, "m", "short", deadline=5)

    assert result.ok is False
    assert result.error == "connect_error"
    assert KEY not in result.detail


def test_it_rejects_a_base_url_that_is_not_http():
    result = probe("file:///etc/passwd", KEY, "m", "short")

    assert result.error == "bad_url"
    assert result.status is None


def test_it_turns_a_result_into_a_probe_window_perf_sample():
    result, _ = run(StreamSettings(first_token_delay=0.05, rate=200, tokens=20))

    sample = result.to_perf_sample("together", "meta-llama/Llama-3.3-70B", variant="turbo")

    assert isinstance(sample, PerfSample)
    assert sample.provider == "together"
    assert sample.provider_model_id == "meta-llama/Llama-3.3-70B"
    assert sample.variant == "turbo"
    assert sample.window == "probe"
    assert sample.ttft_p50_ms == result.ttft_ms
    assert isinstance(sample.ttft_p50_ms, Decimal)
    assert sample.tps_p50 == result.tps
    assert sample.n_requests == 1
    assert sample.extra["workload"] == "short"
    assert sample.extra["kind"] == "probe"
    assert sample.extra["ok"] is True


def test_it_estimates_the_cost_of_one_probe_from_the_workload():
    # Template of 300 characters: with the 44-character nonce line, 344 characters -> ceil(344/3) =
    # 115 tokens, plus 32 of chat overhead = 147 input tokens; 100 output tokens at most.
    workload = Workload(name="t", template="a" * 300, max_tokens=100)

    assert workload.max_input_tokens == 147
    assert estimate_cost(Decimal("3"), Decimal("15"), workload) == Decimal("0.001941")
    # 147 * 0.1 + 100 * 0.1 = 24.7 millionths of a dollar, rounded up, never down.
    assert estimate_cost(Decimal("0.1"), Decimal("0.1"), workload) == Decimal("0.000025")
    assert estimate_cost(Decimal("0"), Decimal("0"), workload) == Decimal("0")


def test_it_estimates_more_for_the_long_workload():
    short = estimate_cost(Decimal("0.60"), Decimal("2.40"), "short")
    long = estimate_cost(Decimal("0.60"), Decimal("2.40"), "long")
    expected_short = (Decimal(WORKLOADS["short"].max_input_tokens) * Decimal("0.60") + 256 * Decimal("2.40")) / 10**6

    assert short >= expected_short
    assert short - expected_short < Decimal("0.000001")
    assert long > short
    assert 900 <= WORKLOADS["long"].approx_input_tokens <= 1100
    assert 80 <= WORKLOADS["short"].approx_input_tokens <= 120


@pytest.mark.parametrize(
    ("price_in", "price_out", "error"),
    [
        (Decimal("-1"), Decimal("1"), ValueError),
        (Decimal("NaN"), Decimal("1"), ValueError),
        (0.5, Decimal("1"), TypeError),
    ],
)
def test_it_refuses_prices_it_cannot_cap_a_budget_with(price_in, price_out, error):
    with pytest.raises(error):
        estimate_cost(price_in, price_out, "short")


def test_it_refuses_an_unknown_workload():
    with pytest.raises(ValueError, match="unknown workload"):
        estimate_cost(Decimal("1"), Decimal("1"), "huge")


def test_the_settings_of_a_server_can_change_between_requests():
    with StreamServer(StreamSettings(fault="429")) as server:
        limited = probe(server.base_url, KEY, "m", "short")
        server.settings = replace(server.settings, fault=None, first_token_delay=0.01, rate=500, tokens=5)
        served = probe(server.base_url, KEY, "m", "short")

    assert limited.error == "http_429"
    assert served.ok


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory):
    """A throwaway self-signed certificate for 127.0.0.1: (server context, client context)."""
    ssl = pytest.importorskip("ssl")
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client


def test_it_measures_over_tls_with_a_private_ca(tls_pair):
    server_tls, client_tls = tls_pair
    with StreamServer(StreamSettings(first_token_delay=0.1, rate=100, tokens=30), tls=server_tls) as server:
        result = probe(server.base_url, KEY, "m", "short", ssl_context=client_tls)

    assert server.base_url.startswith("https://")
    assert result.ok, (result.error, result.detail)
    assert result.completion_tokens == 30
    assert result.connect_ms is not None


def test_it_refuses_a_certificate_it_cannot_verify(tls_pair):
    server_tls, _ = tls_pair
    with StreamServer(StreamSettings(), tls=server_tls) as server:
        result = probe(server.base_url, KEY, "m", "short", deadline=5)

    assert result.ok is False
    assert result.error == "tls_error"
    assert server.received == []


def test_it_keeps_the_deadline_over_tls_when_the_server_hangs(tls_pair):
    server_tls, client_tls = tls_pair
    before = threading.active_count()
    began = time.monotonic()
    with StreamServer(StreamSettings(fault="hang"), tls=server_tls) as server:
        result = probe(server.base_url, KEY, "m", "short", deadline=2.0, timeout=30.0, ssl_context=client_tls)
    elapsed = time.monotonic() - began

    assert result.error == "timeout"
    assert 1.9 <= elapsed < 3.5, elapsed
    # The server joined its handler threads and the probe's watchdog is gone.
    assert threading.active_count() == before


def test_it_keeps_the_key_out_of_an_error_body_that_echoes_it():
    body = b'{"error": {"message": "key ' + KEY.encode() + b' is over its limit"}}'
    result, _ = run(StreamSettings(fault="429", error_body=body))

    assert result.error == "http_429"
    assert KEY not in result.detail
    assert "*** is over its limit" in result.detail
