"""Unit conversion at the collector edge, and the strict JSON reader every parser uses.

Every source declares the unit its prices come in; :func:`to_per_million` turns a raw value in
that unit into ``Decimal`` USD per million tokens. Floats never pass through: values are read with
``Decimal(str(value))`` and JSON numbers are parsed straight to ``Decimal``.
"""

from __future__ import annotations

import enum
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from providers.base import ParseError

# Anything above this in USD per million tokens is a unit slip, not a price (o1-pro, the dearest
# listed model, charges $600/M output).
MAX_PER_MILLION = Decimal("5000")


class Unit(enum.Enum):
    USD_PER_TOKEN = Decimal("1000000")  # OpenRouter, litellm, SambaNova
    CENTS_PER_TOKEN = Decimal("10000")  # DeepInfra, Portkey
    TEN_THOUSANDTHS_USD_PER_MILLION = Decimal("0.0001")  # Novita *_price_per_m
    USD_PER_MILLION = Decimal("1")  # Together, HF router, Chutes, genai-prices, llm-prices


def to_decimal(value: Any, *, what: str = "value") -> Decimal:
    """A finite Decimal from a JSON number or numeric string; ParseError otherwise."""
    if isinstance(value, bool) or value is None:
        raise ParseError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, float, str)):
        text = str(value).strip()
        try:
            result = Decimal(text)
        except (InvalidOperation, ValueError):
            raise ParseError(f"{what}: not a number: {text[:40]!r}") from None
    else:
        raise ParseError(f"{what}: expected a number, got {type(value).__name__}")
    if not result.is_finite():
        raise ParseError(f"{what}: not a finite number: {value!r}")
    return result


def to_per_million(value: Any, unit: Unit, *, what: str = "price") -> Decimal:
    """Convert one raw price to USD per million tokens, rejecting negatives and unit slips."""
    raw = to_decimal(value, what=what)
    if raw < 0:
        raise ParseError(f"{what}: negative price {value!r}")
    try:
        result = (raw * unit.value).normalize()
    except ArithmeticError:  # decimal.Overflow on values like 1e999999
        raise ParseError(f"{what}: {str(value)[:40]!r} is out of range") from None
    if result > MAX_PER_MILLION:
        raise ParseError(
            f"{what}: {result} USD/M is above the {MAX_PER_MILLION} USD/M band "
            f"(raw {value!r} in {unit.name}); a unit slip?"
        )
    # normalize() turns 10 into 1E+1; keep a plain exponent for readability and storage.
    return result.quantize(Decimal(1)) if result == result.to_integral() else result


def _reject_constant(name: str) -> Any:
    raise ParseError(f"JSON contains {name}, which is not a number")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ParseError(f"JSON object has the key {key!r} twice")
        result[key] = value
    return result


def loads_strict(body: bytes | str) -> Any:
    """``json.loads`` that refuses NaN, Infinity and duplicate keys, and reads numbers as Decimal.

    Python's json accepts all three silently; a price source that sends them is broken, and a
    silently chosen value would become a wrong price.
    """
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(f"response is not UTF-8: {exc}") from None
    stripped = body.lstrip()
    if stripped[:1] == "<":
        raise ParseError("response is HTML, not JSON (an error page or a login wall?)")
    try:
        return json.loads(
            body,
            parse_float=Decimal,
            parse_int=int,
            parse_constant=_reject_constant,
            object_pairs_hook=_no_duplicate_keys,
        )
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {exc}") from None
    except ValueError as exc:  # e.g. an integer over Python's 4300-digit conversion limit
        raise ParseError(f"invalid JSON: {exc}") from None
    except RecursionError:
        raise ParseError("JSON nested too deeply") from None
