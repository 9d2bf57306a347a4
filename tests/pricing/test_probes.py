"""Our own probes, end to end against a real streaming server on 127.0.0.1."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pricing import probe_runs as probes
from pricing.models import PerfSample
from tests.pricing.factories import T0, models, quote, result, run, source
from tests.streamserver import StreamServer, StreamSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer_at_together():
    from pricing.collection.ingest import ingest

    models(1)
    ingest(run(source(), T0), result([quote(0, provider="together", input="0.88", output="0.88")]), at=T0)
    from pricing.models import Offer

    return Offer.objects.get()


def test_a_probe_is_stored_as_our_own_sample_with_its_cost(offer_at_together, monkeypatch, settings):
    settings.PROBE_MODELS = ["lab/model-0"]
    monkeypatch.setenv("TOGETHER_API_KEY", "test-key")
    with StreamServer(StreamSettings(first_token_delay=0.05, rate=200, tokens=40)) as server:
        monkeypatch.setitem(probes.BASE_URLS, "together", server.base_url)
        planned = probes.plan(workloads=("short",))
        assert [(p.offer, p.workload) for p in planned] == [(offer_at_together, "short")]
        outcomes = probes.execute(planned, budget=Decimal("1"))
        assert {k.lower(): v for k, v in server.received[0].headers.items()}["authorization"] == "Bearer test-key"
    assert outcomes[0].result.ok
    sample = PerfSample.objects.get()
    assert (sample.kind, sample.source.slug, sample.window) == ("probe", "probe", "probe-short")
    # The server counts its 50 ms from when the request reached it, a moment before our clock starts.
    assert sample.ttft_p50_ms is not None and sample.ttft_p50_ms >= Decimal("40")
    assert Decimal(sample.extra["cost_usd"]) == probes._estimated_cost(offer_at_together, "short") > 0


def test_providers_without_a_key_are_not_probed(offer_at_together, monkeypatch, settings):
    settings.PROBE_MODELS = ["lab/model-0"]
    monkeypatch.delenv("TOGETHER_API_KEY", raising=False)
    assert probes.plan() == []


def test_the_daily_budget_caps_probes(offer_at_together, monkeypatch, settings):
    settings.PROBE_MODELS = ["lab/model-0"]
    monkeypatch.setenv("TOGETHER_API_KEY", "k")
    with StreamServer(StreamSettings(first_token_delay=0.01, rate=500, tokens=10)) as server:
        monkeypatch.setitem(probes.BASE_URLS, "together", server.base_url)
        planned = probes.plan()
        one = planned[0].cost
        outcomes = probes.execute(planned, budget=one)  # room for the short one only
    assert [o.result is not None for o in outcomes] == [True, False]
    assert "budget" in outcomes[1].skipped
    assert PerfSample.objects.count() == 1


def test_a_failed_probe_is_recorded_once_and_not_retried(offer_at_together, monkeypatch, settings):
    settings.PROBE_MODELS = ["lab/model-0"]
    monkeypatch.setenv("TOGETHER_API_KEY", "k")
    with StreamServer(StreamSettings(fault="429")) as server:
        monkeypatch.setitem(probes.BASE_URLS, "together", server.base_url)
        probes.execute(probes.plan(workloads=("short",)), budget=Decimal("1"))
        assert len(server.received) == 1
    sample = PerfSample.objects.get()
    assert sample.extra["error"] == "http_429" and sample.ttft_p50_ms is None


def test_the_probe_command_measures_any_openai_compatible_server(offer_at_together):
    out = StringIO()
    with StreamServer(StreamSettings(first_token_delay=0.05, rate=100, tokens=30)) as server:
        call_command("probe", "--model", "lab/model-0", "--base-url", server.base_url, "--workload", "short",
                     stdout=out)
    text = out.getvalue()
    assert "self-hosted" in text and "yes" in text
    sample = PerfSample.objects.get(offer__provider__slug="self-hosted")
    assert sample.kind == "probe"


def test_the_probe_command_rejects_bad_input(offer_at_together):
    with pytest.raises(CommandError, match="needs --model"):
        call_command("probe", "--base-url", "http://127.0.0.1:1/v1")
    with pytest.raises(CommandError, match="unknown model"):
        call_command("probe", "--model", "nope/nope", "--base-url", "http://127.0.0.1:1/v1")
    with pytest.raises(CommandError, match="http"):
        call_command("probe", "--model", "lab/model-0", "--base-url", "ftp://x")


def test_scheduled_probes_do_nothing_unless_enabled(settings):
    settings.PROBES_ENABLED = False
    assert probes.run_scheduled_probes() == 0
