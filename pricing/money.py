"""Money and ratios as text. One format everywhere a person reads a number (pages, feeds, alert
texts, change lines, chart hovers); machines get ``plain`` (exact, no exponent) in JSON and CSV.

Amounts: two decimals from $0.10 up ("$0.45", "$2.60", "$15.00"), three significant digits below
("$0.0593", "$0.039"): a cent is noise on $15 but half the price of a $0.02 embedding.
Ratios: "0.30x", "2.65x", "27.3x", "133x" (three significant figures, at least two decimals
below 10).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DIME = Decimal("0.10")
CENT = Decimal("0.01")
UNIT = " / M tokens"


def plain(value: Decimal | None) -> str | None:
    """``Decimal('1.5000000000')`` -> ``'1.5'``; ``Decimal('1E+1')`` -> ``'10'``; None stays None."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


def to_decimal(value: object) -> Decimal | None:
    """A stored value (Decimal, str from JSON, int) as a finite Decimal, or None."""
    if value is None or value == "":
        return None
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def _digits(value: Decimal) -> str:
    """The number without the dollar sign, by the rule above."""
    if value >= DIME:
        return f"{value.quantize(CENT, ROUND_HALF_UP):,}"
    # Three significant digits: the exponent of the leading digit decides the quantum.
    quantum = Decimal(1).scaleb(value.adjusted() - 2)
    rounded = value.quantize(quantum, ROUND_HALF_UP)
    if rounded >= DIME:  # 0.09996 rounds up to 0.100: show it as the dime it now is
        return f"{rounded.quantize(CENT)}"
    return format(rounded.normalize(), "f")


def amount(value: object, *, unit: str = "", zero: str = "free", none: str = "—") -> str:
    """"$0.45", "$0.0593", "$1,250.00"; ``unit`` is appended (" / M tokens"); 0 reads ``zero``."""
    number = to_decimal(value)
    if number is None:
        return none
    if number == 0:
        return zero
    sign = "-" if number < 0 else ""
    return f"{sign}${_digits(abs(number))}{unit}"


def usd(value: object, *, unit: str = UNIT) -> str:
    """Human form with its unit: ``$0.55 / M tokens``."""
    return amount(value, unit=unit)


def times(value: object, *, none: str = "—") -> str:
    """A ratio a / b: "0.30x", "2.65x", "27.3x", "133x"."""
    number = to_decimal(value)
    if number is None:
        return none
    size = abs(number)
    places = 2 if size < 10 else 1 if size < 100 else 0
    return f"{number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP):,}x"


def ratio_words(value: object) -> str:
    """A ratio as a person says it: "27.3x (dearer)", "0.30x (3.33x cheaper)", "1.00x (same price)"."""
    number = to_decimal(value)
    if number is None:
        return "—"
    if number == 1:
        return "1.00x (same price)"
    if number > 1:
        return f"{times(number)} (dearer)"
    return f"{times(number)} ({times(1 / number)} cheaper)" if number else "0x"


def mix_text(mix: tuple[int, int]) -> str:
    return f"{mix[0]}:{mix[1]}"
