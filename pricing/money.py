"""Money as text: plain decimal strings, never exponents (1.4e-8 helps nobody)."""

from __future__ import annotations

from decimal import Decimal


def plain(value: Decimal | None) -> str | None:
    """``Decimal('1.5000000000')`` -> ``'1.5'``; ``Decimal('1E+1')`` -> ``'10'``; None stays None."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


def usd(value: Decimal | None, *, unit: str = " / M tokens") -> str:
    """Human form: ``$0.55 / M tokens``; two decimals unless more are needed to show the value."""
    if value is None:
        return "—"
    if value == 0:
        return "free"
    normalized = value.normalize()
    exponent = normalized.as_tuple().exponent
    places = max(2, min(6, -exponent if isinstance(exponent, int) else 2))
    return f"${value:,.{places}f}{unit}"
