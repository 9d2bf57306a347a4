"""What every read shares: the error for a user's bad parameter, the token mix and the blend."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DEFAULT_MIX = (3, 1)


class QueryError(ValueError):
    """A bad parameter from a user (an unknown basis, a malformed mix): a 400, never a 500."""


def parse_mix(text: str | None) -> tuple[int, int]:
    """``"3:1"`` -> (3, 1): input tokens to output tokens."""
    if not text:
        return DEFAULT_MIX
    parts = text.split(":")
    # ASCII digits only: str.isdigit() accepts "²", which int() then refuses.
    if len(parts) != 2 or not all(p.strip().isascii() and p.strip().isdigit() for p in parts):
        raise QueryError(f"mix must look like 3:1 (input:output tokens), not {text[:20]!r}")
    a, b = (int(p) for p in parts)
    if a + b == 0 or a > 1_000_000 or b > 1_000_000:
        raise QueryError("mix needs at least one non-zero side, each at most 1000000")
    return a, b


def blended(input: Decimal | None, output: Decimal | None, mix: tuple[int, int] = DEFAULT_MIX) -> Decimal | None:
    """The price of a token in the given input:output mix, USD per million tokens."""
    if input is None or output is None:
        return None
    a, b = mix
    return ((input * a + output * b) / Decimal(a + b)).quantize(Decimal("0.000001"), ROUND_HALF_UP).normalize()


def parse_flag(text: str | None, name: str, default: bool) -> bool:
    """A yes/no query parameter: 1/0, true/false, yes/no, on/off. Checkbox forms send a hidden 0
    before the box's 1, so the last value wins (QueryDict.get gives the last)."""
    if text is None or text == "":
        return default
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise QueryError(f"{name} must be 1 or 0 (true or false), not {text[:20]!r}")
