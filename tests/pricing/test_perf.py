"""Passive performance samples: stored per offer and source, rolled up daily, pruned after the window."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from pricing.collection.ingest import ingest
from pricing.models import PerfRollup, PerfSample
from pricing.perf import prune, rollup
from providers.base import ParseResult
from providers.base import PerfSample as Sample
from tests.pricing.factories import T0, models, quote, run, source

pytestmark = pytest.mark.django_db


def sweep(src, at, ttft, tps):
    result = ParseResult(
        quotes=[quote(i) for i in range(2)],
        samples=[Sample(provider="host", provider_model_id=f"lab/model-{i}", ttft_p50_ms=Decimal(ttft),
                        tps_p50=Decimal(tps), uptime_1d=Decimal("99.5")) for i in range(2)],
    )
    return ingest(run(src, at), result, at=at)


def test_samples_are_stored_per_offer_with_their_source_and_window():
    src = source()
    models(2)
    stats = sweep(src, T0, "500", "40")
    assert stats.samples == 2
    sample = PerfSample.objects.get(offer__model__slug="lab/model-0")
    assert (sample.ttft_p50_ms, sample.tps_p50, sample.source.slug, sample.window, sample.kind) == (
        Decimal("500"), Decimal("40"), "testsrc", "30m", "passive")


def test_the_same_run_twice_writes_no_second_sample():
    src = source()
    models(2)
    sweep(src, T0, "500", "40")
    sweep(src, T0, "500", "40")
    assert PerfSample.objects.count() == 2


def test_daily_rollups_give_median_p90_and_count():
    src = source()
    models(2)
    for hour, ttft in enumerate(["100", "200", "300", "400", "1000"]):
        sweep(src, T0 + timedelta(hours=hour), ttft, str(10 * (hour + 1)))
    assert rollup(now=T0 + timedelta(days=2)) == 2
    day = PerfRollup.objects.get(offer__model__slug="lab/model-0")
    assert (day.day, day.n_samples, day.ttft_p50_ms, day.ttft_p90_ms, day.tps_p50) == (
        T0.date(), 5, Decimal("300"), Decimal("1000"), Decimal("30"))
    assert day.uptime_mean == Decimal("99.5")
    # Recomputing the same day replaces, never duplicates.
    rollup(now=T0 + timedelta(days=2))
    assert PerfRollup.objects.count() == 2


def test_today_is_not_rolled_up_until_it_is_over():
    src = source()
    models(2)
    sweep(src, T0, "100", "10")
    assert rollup(now=T0 + timedelta(hours=5)) == 0


def test_raw_samples_past_the_window_are_rolled_up_then_pruned(settings):
    settings.PERF_RAW_RETENTION_DAYS = 30
    src = source()
    models(2)
    sweep(src, T0, "100", "10")
    sweep(src, T0 + timedelta(days=40), "200", "20")
    deleted = prune(now=T0 + timedelta(days=41))
    assert deleted == 2
    assert PerfSample.objects.count() == 2  # the recent ones stay raw
    assert PerfRollup.objects.filter(day=T0.date()).count() == 2
