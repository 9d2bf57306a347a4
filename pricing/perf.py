"""Performance history: raw samples for a window, daily roll-ups beyond it."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models.functions import TruncDate
from django.utils import timezone

from pricing.models import PerfRollup, PerfSample


def _quantile(values: list[Decimal], q: float) -> Decimal | None:
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    # Nearest-rank on the sorted values: exact for the small daily counts we have.
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def rollup(days: list[date] | None = None, *, now: datetime | None = None) -> int:
    """(Re)compute daily roll-ups from raw samples, for the given days or every day with samples."""
    now = now or timezone.now()
    query = PerfSample.objects.annotate(day=TruncDate("observed_at"))
    if days:
        query = query.filter(day__in=days)
    groups: dict[tuple, list] = defaultdict(list)
    for offer_id, source_id, kind, day, ttft, tps, uptime in query.values_list(
        "offer_id", "source_id", "kind", "day", "ttft_p50_ms", "tps_p50", "uptime_1d"
    ).iterator(chunk_size=5000):
        if day is None or day >= now.date():
            continue  # today is not over: its roll-up would change
        groups[(offer_id, source_id, kind, day)].append((ttft, tps, uptime))
    rows = []
    for (offer_id, source_id, kind, day), samples in groups.items():
        ttfts = [s[0] for s in samples if s[0] is not None]
        tpss = [s[1] for s in samples if s[1] is not None]
        uptimes = [s[2] for s in samples if s[2] is not None]
        rows.append(
            PerfRollup(
                offer_id=offer_id, source_id=source_id, kind=kind, day=day,
                ttft_p50_ms=_quantile(ttfts, 0.5), ttft_p90_ms=_quantile(ttfts, 0.9),
                tps_p50=_quantile(tpss, 0.5), tps_p90=_quantile(tpss, 0.9),
                uptime_mean=Decimal(str(round(statistics.fmean(uptimes), 3))) if uptimes else None,
                n_samples=len(samples),
            )
        )
    with transaction.atomic():
        PerfRollup.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["offer", "source", "kind", "day"],
            update_fields=["ttft_p50_ms", "ttft_p90_ms", "tps_p50", "tps_p90", "uptime_mean", "n_samples"],
            batch_size=500,
        )
    return len(rows)


def prune(*, now: datetime | None = None) -> int:
    """Delete raw samples older than the retention window, once their days are rolled up."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PERF_RAW_RETENTION_DAYS)
    old_days = sorted(
        set(PerfSample.objects.filter(observed_at__lt=cutoff).annotate(day=TruncDate("observed_at"))
            .values_list("day", flat=True))
    )
    if old_days:
        rollup(old_days, now=now)
    deleted, _ = PerfSample.objects.filter(observed_at__lt=cutoff).delete()
    return deleted


def rollup_and_prune(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    yesterday = (now - timedelta(days=1)).date()
    rollup([yesterday], now=now)
    return prune(now=now)
