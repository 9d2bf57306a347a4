"""Quotes held over the per-run cap on new models and offers, for a person to confirm.

A listing that suddenly names thousands of models or offers nobody has seen is a flood (or a
broken source), not news: one run creates at most ``INGEST_MAX_NEW_MODELS`` models and
``INGEST_MAX_NEW_OFFERS`` offers (a source's first, baseline sweep the larger
``INGEST_BASELINE_MAX_*``); the quotes beyond are kept here as :class:`HeldQuote` rows, like a
price jump is held, and applied when a person confirms them in the admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime

from pricing.models import CollectionRun, HeldQuote, Source
from pricing.models.history import PRICE_FIELDS
from providers.base import PriceKind, Quote

_DATES = ("valid_from", "valid_to")
_TEXT = ("provider", "provider_model_id", "variant", "provider_name", "model_name", "canonical_hint", "hf_id",
         "quantization", "status")
_INTS = ("context_length", "max_output")


@dataclass(frozen=True)
class NewCaps:
    """How many models and offers this run may create."""

    models: int
    offers: int

    @classmethod
    def for_run(cls, *, baseline: bool, enforce: bool = True) -> NewCaps:
        if not enforce:  # a person confirmed these
            return cls(models=10**9, offers=10**9)
        if baseline:
            return cls(settings.INGEST_BASELINE_MAX_NEW_MODELS, settings.INGEST_BASELINE_MAX_NEW_OFFERS)
        return cls(settings.INGEST_MAX_NEW_MODELS, settings.INGEST_MAX_NEW_OFFERS)


def quote_to_json(quote: Quote) -> dict:
    out: dict = {name: getattr(quote, name) for name in _TEXT + _INTS}
    out.update({name: None if getattr(quote, name) is None else str(getattr(quote, name)) for name in PRICE_FIELDS})
    out.update({name: None if getattr(quote, name) is None else getattr(quote, name).isoformat() for name in _DATES})
    out["price_kind"] = quote.price_kind.value
    out["extra"] = quote.extra or {}
    return out


def quote_from_json(data: dict) -> Quote:
    values: dict[str, Any] = {name: data.get(name) or "" for name in _TEXT}
    values.update({name: data.get(name) for name in _INTS})
    values.update({name: None if data.get(name) is None else Decimal(data[name]) for name in PRICE_FIELDS})
    dates: dict[str, Any] = {
        name: parse_datetime(data[name]) if data.get(name) else None for name in _DATES
    }
    return Quote(**values, **dates, price_kind=PriceKind(data.get("price_kind", "fixed")), extra=data.get("extra") or {})


def hold(run: CollectionRun, source: Source, quotes: list[tuple[Quote, str]]) -> int:
    """Keep the held quotes (quote, reason) of this run; they replace the source's earlier
    unconfirmed ones, so a flood repeated every run is held once."""
    HeldQuote.objects.filter(source=source, confirmed_at__isnull=True).delete()
    HeldQuote.objects.bulk_create(
        [
            HeldQuote(run=run, source=source, provider_model_id=quote.provider_model_id[:300],
                      provider=quote.provider[:64], reason=reason, quote=quote_to_json(quote))
            for quote, reason in quotes
        ],
        batch_size=500,
    )
    return len(quotes)
