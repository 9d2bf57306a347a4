"""Template filters for readable units: "$0.55 / M tokens", "27.3x", "412 ms", never 5.5e-07."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from pricing import change_text, money
from providers.identity import describe_discount

register = template.Library()


@register.filter
def usd(value: Decimal | None) -> str:
    return money.usd(value)


@register.filter
def discount(extra: dict | None) -> str:
    """ "25% off" / "20% surcharge" from a price's extra, or "" when the source states no discount."""
    return describe_discount(extra)


@register.filter
def price(value: Decimal | None) -> str:
    """A table cell under a "USD / M tokens" header: "$0.55"."""
    return money.usd(value, unit="")


@register.filter
def times(value: Decimal | None) -> str:
    return money.times(value)


@register.filter
def cheaper(value: Decimal | None) -> str:
    """Under a ratio below 1: "3.33x cheaper" (a ratio of 0.30x alone reads as a small number)."""
    number = money.to_decimal(value)
    if number is None or number <= 0 or number >= 1:
        return ""
    return f"{money.times(1 / number)} cheaper"


@register.filter
def ms(value: Decimal | None) -> str:
    return "—" if value is None else f"{Decimal(value):,.0f} ms"


@register.filter
def tps(value: Decimal | None) -> str:
    return "—" if value is None else f"{Decimal(value):,.1f} tok/s"


@register.filter
def pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{Decimal(value):.1f}%"


@register.filter
def tokens(value: int | None) -> str:
    if not value:
        return "—"
    if value >= 1000 and value % 1000 == 0 or value >= 10000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,}"


@register.filter
def ago(value: datetime | None) -> str:
    """ "seen 12 minutes ago"; the first unit only, readable at a glance."""
    if value is None:
        return "never"
    if timezone.now() - value < timedelta(minutes=1):
        return "just now"
    return f"{timesince(value, depth=1)} ago"


@register.filter
def plain(value: Decimal | None) -> str:
    return money.plain(value) or "—"


@register.filter
def sortval(value: Decimal | None) -> str:
    """A data-value for client-side sorting: plain digits, empty when unknown (sorted last)."""
    return money.plain(value) or ""


@register.filter
def what_changed(event) -> str:
    """A change event in one line, only what moved: "cached input — → $7.50 per M tokens"."""
    return change_text.summary(event)


@register.filter
def author(slug: str) -> str:
    """The first half of a model slug, for {% url 'model' slug|author slug|modelname %}."""
    return str(slug).partition("/")[0]


@register.filter
def modelname(slug: str) -> str:
    return str(slug).partition("/")[2]
