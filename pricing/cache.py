"""Chart and API caches keyed under a generation number that every ingestion bumps
(djangoproject.com's dashboard does the same), so cached series are never stale."""

from __future__ import annotations

from django.core.cache import cache

GENERATION_KEY = "ratecard:generation"


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        value = cache.get(GENERATION_KEY) or 1
    return int(value)


def bump_generation() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, timeout=None)


def on_prices_changed(sender: object, **kwargs: object) -> None:
    """Receiver of ``pricing.signals.prices_changed``: every cached series is now stale."""
    bump_generation()


def cache_key(*parts: object) -> str:
    return "ratecard:%d:%s" % (generation(), ":".join(str(p) for p in parts))
