"""CSV exports of offer tables and price history, for spreadsheets.

Prices are plain decimal numerals (USD per million tokens), times ISO-8601 UTC. Provider-supplied
text that a spreadsheet would run as a formula (=, +, -, @ first) is prefixed with a quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from pricing.models import PricePeriod
from pricing.money import plain
from pricing.queries import OfferRow

OFFER_COLUMNS = (
    "model", "provider", "provider_name", "variant", "quantization", "context_length", "status",
    "input_usd_per_m", "output_usd_per_m", "cached_input_usd_per_m", "cache_write_usd_per_m", "mix_usd_per_m",
    "mix", "price_kind", "ttft_ms", "tps", "uptime_percent", "source", "valid_from", "first_seen", "last_seen",
)
HISTORY_COLUMNS = (
    "model", "provider", "provider_name", "variant", "valid_from", "valid_to", "input_usd_per_m", "output_usd_per_m",
    "cached_input_usd_per_m", "price_kind", "source", "first_seen", "last_seen",
)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return plain(value) or ""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _write(header: Iterable[str], rows: Iterable[Iterable[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue().encode()


def offers_csv(rows: Iterable[OfferRow]) -> bytes:
    return _write(OFFER_COLUMNS, (
        (r.model_slug, r.provider_slug, r.provider_name, r.variant, r.quantization, r.context_length, r.status,
         r.input, r.output, r.cached_input, r.cache_write, r.blended, f"{r.mix[0]}:{r.mix[1]}", r.price_kind,
         r.ttft_ms, r.tps, r.uptime, r.source_slug, r.valid_from, r.first_seen, r.last_seen)
        for r in rows
    ))


def history_csv(model_slug: str, periods: Iterable[PricePeriod]) -> bytes:
    return _write(HISTORY_COLUMNS, (
        (model_slug, p.offer.provider.slug, p.offer.provider.name, p.offer.variant, p.valid_from, p.valid_to,
         p.input, p.output, p.cached_input, p.price_kind, p.source.slug, p.first_seen, p.last_seen)
        for p in periods
    ))


def rows_csv(schema, items: Iterable) -> bytes:
    """Any flat response schema as CSV: its fields, in order, as the header."""
    names = list(schema.model_fields)
    return _write(names, ([getattr(item, n) for n in names] for item in items))
