"""Reads the model page needs beyond its offers: sorting, price history, latency history."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from pricing.models import PerfRollup, PerfSample, PricePeriod
from pricing.queries.base import QueryError, rows_converted_once
from pricing.queries.offers import OfferRow

SORT_KEYS = {
    "provider": lambda r: (r.provider_name.lower(), r.variant),
    "quantization": lambda r: r.quantization,
    "context": lambda r: r.context_length,
    "input": lambda r: r.input,
    "output": lambda r: r.output,
    "cached": lambda r: r.cached_input,
    "blended": lambda r: r.blended,
    "ttft": lambda r: r.ttft_ms,
    "tps": lambda r: r.tps,
    "uptime": lambda r: r.uptime,
    "seen": lambda r: r.last_seen,
    "cost": lambda r: r.monthly_cost,
}


def check_sort(sort: str | None) -> str | None:
    if sort and sort.lstrip("-") not in SORT_KEYS:
        raise QueryError(f"sort must be one of {', '.join(SORT_KEYS)} (prefix - for descending), not {sort[:20]!r}")
    return sort or None


def sort_rows(rows: list[OfferRow], sort: str | None, default: str = "blended") -> tuple[list[OfferRow], str]:
    """Server-side sort; current offers before the ones no longer listed, and unknown values
    last, whichever the direction."""
    sort = check_sort(sort) or default
    get = SORT_KEYS[sort.lstrip("-")]
    out = []
    for current in (True, False):
        group = [r for r in rows if r.current is current]
        known = [r for r in group if get(r) not in (None, "")]
        unknown = [r for r in group if get(r) in (None, "")]
        known.sort(key=lambda r: (get(r), r.provider_slug, r.variant), reverse=sort.startswith("-"))
        out += known + unknown
    return out, sort


class HistoryPoint:
    """A price period as the history chart reads it: a plain object, not a model instance (a
    year of daily changes for 30 offers is 11,000 rows; instances cost a third of the page)."""

    __slots__ = ("id", "offer_id", "source_id", "input", "output", "price_kind", "valid_from", "valid_to")

    def __init__(self, *values) -> None:
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)


def price_history(offer_ids: list[int]) -> dict[int, list[HistoryPoint]]:
    """Per offer, the periods of the source whose prices the page shows (the most trusted one:
    the heaviest source, then the one with the longest record), in time order. One query."""
    # pricing_period_offer_from serves WHERE offer_id IN (…) ORDER BY valid_from.
    periods = (
        PricePeriod.objects.filter(offer_id__in=offer_ids).order_by("valid_from", "id")
        .values_list("id", "offer_id", "source_id", "input", "output", "price_kind", "valid_from", "valid_to",
                     "source__weight")
    )
    periods = rows_converted_once(periods)
    by_offer: dict[int, dict[int, list[HistoryPoint]]] = {}
    weight: dict[int, int] = {}
    for *row, source_weight in periods:
        point = HistoryPoint(*row)
        weight[point.source_id] = source_weight
        by_offer.setdefault(point.offer_id, {}).setdefault(point.source_id, []).append(point)
    out = {}
    for offer_id, per_source in by_offer.items():
        chosen = max(per_source, key=lambda sid: (weight.get(sid, 0), len(per_source[sid])))
        out[offer_id] = per_source[chosen]
    return out


PERF_RANGES = {"7d": 7, "30d": 30, "90d": 90, "1y": 365}


@dataclass
class PerfPoint:
    offer_id: int
    source: str
    kind: str
    at: date | datetime
    ttft_ms: Decimal | None
    tps: Decimal | None


@dataclass
class PerfHistory:
    points: list[PerfPoint] = field(default_factory=list)
    rollups: bool = False
    weekly: bool = False


def perf_history(offer_ids: list[int], range_key: str, now: datetime | None = None) -> PerfHistory:
    """Latency over a range: raw samples inside the raw-retention window, daily roll-ups beyond it
    (binned by week past 90 days, so a year of 30 offers stays a small payload)."""
    if range_key not in PERF_RANGES:
        raise QueryError(f"range must be one of {', '.join(PERF_RANGES)}, not {range_key[:20]!r}")
    now = now or timezone.now()
    days = PERF_RANGES[range_key]
    start = now - timedelta(days=days)
    history = PerfHistory()
    if days <= min(settings.PERF_RAW_RETENTION_DAYS, 30):
        # pricing_perf_offer_time serves WHERE offer_id IN (…) AND observed_at >= … ORDER BY observed_at.
        samples = (
            PerfSample.objects.filter(offer_id__in=offer_ids, observed_at__gte=start)
            .order_by("observed_at")
            .values_list("offer_id", "source__slug", "kind", "observed_at", "ttft_p50_ms", "tps_p50")
        )
        history.points = [PerfPoint(*row) for row in rows_converted_once(samples)]
        return history
    history.rollups = True
    rollups = (
        PerfRollup.objects.filter(offer_id__in=offer_ids, day__gte=start.date())
        .order_by("day")
        .values_list("offer_id", "source__slug", "kind", "day", "ttft_p50_ms", "tps_p50")
    )
    points = [PerfPoint(*row) for row in rows_converted_once(rollups)]
    if days > 90:
        history.weekly = True
        bins: dict[tuple, list[PerfPoint]] = {}
        for p in points:
            monday = p.at - timedelta(days=p.at.weekday())
            bins.setdefault((p.offer_id, p.source, p.kind, monday), []).append(p)
        points = []
        for (offer_id, source, kind, monday), group in sorted(bins.items(), key=lambda item: item[0][3]):
            ttfts = [p.ttft_ms for p in group if p.ttft_ms is not None]
            tpss = [p.tps for p in group if p.tps is not None]
            points.append(PerfPoint(offer_id, source, kind, monday,
                                    statistics.median(ttfts) if ttfts else None,
                                    statistics.median(tpss) if tpss else None))
    history.points = points
    return history
