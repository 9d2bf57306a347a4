"""What makes an offer one offer over time, and what a discount says about its price.

One endpoint of a host is one offer for as long as it is listed: its quantization (fp8 -> bf16)
and its status are attributes that change, with events, not parts of its key. Only when a host
sells two quantizations of one model side by side, in one listing, are they two offers at once;
then the quantization (or, failing that, another label the source gives) tells them apart.

Discounts: a price a source states after a discount is what a user pays. The discount and the
host's list price before it are kept beside the price (``extra["discount"]``,
``extra["list_price"]``), so pages can say "25% off" or "20% surcharge" without touching it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from providers.base import ParseError, Quote
from providers.units import MAX_PER_MILLION

# OpenRouter's quantization enum (its OpenAPI spec), and the spellings hosts put in ids.
QUANTIZATIONS = frozenset(
    {"int4", "int8", "fp4", "mxfp4", "nvfp4", "fp6", "fp8", "mxfp8", "fp16", "bf16", "fp32", "unknown"}
)
# Ten places is what a stored price keeps (NUMERIC(18, 10)).
_PLACES = Decimal("1e-10")


def is_quantization(label: str) -> bool:
    return label.strip().lower() in QUANTIZATIONS


def _join(*parts: str) -> str:
    return "-".join(part for part in parts if part)[:100]


def separate_side_by_side(
    quotes: list[Quote], *, fallback: Callable[[Quote], str] | None = None
) -> tuple[list[Quote], list[tuple[Quote, str]]]:
    """Give quotes that would share one offer key in one listing a variant each.

    Quotes of one provider, model and variant listed together are distinct offers only if
    something tells them apart: the quantization first, then ``fallback`` (e.g. the routing tag).
    Returns the quotes (renamed where needed, in the original order) and the duplicates that
    nothing separates, each with the reason, for ``rejected``.
    """
    groups: dict[tuple[str, str, str, str], list[int]] = {}
    for index, quote in enumerate(quotes):
        key = (quote.provider, quote.canonical_hint or quote.provider_model_id, quote.hf_id, quote.variant)
        groups.setdefault(key, []).append(index)
    out: list[Quote | None] = list(quotes)
    dropped: list[tuple[Quote, str]] = []
    for indexes in groups.values():
        if len(indexes) == 1:
            continue
        group = [quotes[i] for i in indexes]
        labellers: list[Callable[[Quote], str]] = [lambda q: q.quantization]
        if fallback is not None:
            labellers.append(fallback)
        for label in labellers:
            labels = [label(q) for q in group]
            if all(labels) and len(set(labels)) == len(labels):
                for i, quote, text in zip(indexes, group, labels, strict=True):
                    out[i] = replace(quote, variant=_join(quote.variant, text))
                break
        else:
            for i in indexes[1:]:
                dropped.append((quotes[i], "endpoint listed twice"))
                out[i] = None
    return [quote for quote in out if quote is not None], dropped


def discount_rate(value: Any, *, what: str) -> Decimal:
    """A discount as a fraction below 1: 0.25 is 25% off, -0.2 a 20% surcharge. Raises ParseError."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ParseError(f"{what}: expected a number, got {type(value).__name__}")
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        raise ParseError(f"{what}: {str(value)[:40]!r} is not a number") from None
    if not rate.is_finite() or not -10 < rate < 1:
        raise ParseError(f"{what}: {rate} is not a discount (a fraction below 1, or a surcharge above -10)")
    return rate


def list_prices(net: Mapping[str, Decimal | None], rate: Decimal, *, what: str) -> dict[str, str]:
    """The host's list prices before ``rate``, from the prices as paid: net / (1 - rate)."""
    out: dict[str, str] = {}
    for name, value in net.items():
        if value is None:
            continue
        listed = (value / (1 - rate)).quantize(_PLACES).normalize()
        if listed > MAX_PER_MILLION:
            raise ParseError(f"{what}: list {name} {listed} USD/M is above the {MAX_PER_MILLION} USD/M band")
        if listed == listed.to_integral_value():
            listed = listed.quantize(Decimal(1))
        out[name] = format(listed, "f")
    return out


def describe_discount(extra: Mapping[str, Any] | None) -> str:
    """ "25% off", "20% surcharge", or "" for a price without a stated discount."""
    if not extra or extra.get("discount") in (None, ""):
        return ""
    try:
        rate = Decimal(str(extra["discount"]))
    except InvalidOperation:
        return ""
    if not rate.is_finite() or rate == 0:
        return ""
    percent = (abs(rate) * 100).normalize()
    text = format(percent.quantize(Decimal(1)) if percent == percent.to_integral_value() else percent, "f")
    return f"{text}% off" if rate > 0 else f"{text}% surcharge"
