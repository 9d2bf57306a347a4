"""Step 5 of ingestion: performance samples (latency, throughput, uptime) of the run's offers."""

from __future__ import annotations

from datetime import datetime

from pricing.collection.ingest.catalog import OfferKey
from pricing.collection.matching import Matcher
from pricing.models import CollectionRun, PerfSample, Source
from providers.base import PerfSample as PerfQuote


def store_samples(samples: list[PerfQuote], matcher: Matcher, provider_ids: dict[str, int],
                  offer_ids: dict[OfferKey, int], source: Source, run: CollectionRun, at: datetime) -> int:
    """Keep each sample of an offer this run priced; samples of unknown offers are dropped."""
    rows: list[PerfSample] = []
    for sample in samples:
        model_id = matcher.match(sample.provider_model_id, sample.canonical_hint, sample.hf_id)
        provider_id = provider_ids.get(sample.provider)
        if model_id is None or provider_id is None:
            continue
        offer_id = offer_ids.get(OfferKey(provider_id, model_id, sample.variant))
        if offer_id is None:
            continue
        uptime = sample.uptime_1d
        rows.append(
            PerfSample(
                offer_id=offer_id, source=source, observed_at=at, window=sample.window[:16],
                kind=PerfSample.Kind.PROBE if sample.window == "probe" else PerfSample.Kind.PASSIVE,
                ttft_p50_ms=sample.ttft_p50_ms, ttft_p75_ms=sample.ttft_p75_ms, ttft_p90_ms=sample.ttft_p90_ms,
                ttft_p99_ms=sample.ttft_p99_ms, tps_p50=sample.tps_p50, tps_p75=sample.tps_p75,
                tps_p90=sample.tps_p90, tps_p99=sample.tps_p99, uptime_5m=sample.uptime_5m,
                uptime_30m=sample.uptime_30m, uptime_1d=uptime if uptime is None or 0 <= uptime <= 100 else None,
                n_requests=sample.n_requests, run=run, extra=sample.extra or {},
            )
        )
    if rows:
        PerfSample.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)
