"""Freshness per source, said once: its last fresh run (complete or partial), its newest run,
the failures since, and whether it is stale. Pages, the API and the stale-source alert read this."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from pricing.models import Source
from pricing.models.querysets import is_stale, staleness_limit


def sources_with_freshness(enabled_only: bool = False) -> list[Source]:
    """Every source annotated by ``Source.objects.with_freshness()`` (one query)."""
    sources = Source.objects.with_freshness().order_by("slug")
    if enabled_only:
        sources = sources.filter(enabled=True)
    return list(sources)


def freshness(now: datetime | None = None) -> list[dict]:
    """Per source, what the home page and the providers index show about it (one query)."""
    now = now or timezone.now()
    out = []
    for s in sources_with_freshness():
        out.append({"source": s, "last_complete": s.last_fresh, "last_status": s.last_status,
                    "last_slot": s.last_slot, "last_error": s.last_error, "failed_since": s.failed_since,
                    "stale": is_stale(s, now), "limit": staleness_limit(s.slug), "curated": s.kind == "curated"})
    return out
