"""Workload cost: tokens per day or month in, a monthly bill per offer out. Money stays Decimal.

A month is 30 days. Cached input tokens are the ``cached_share`` of the input tokens, billed at
the offer's cached-input price where it has one and at its input price where it has none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from pricing.queries.base import QueryError

DAYS_PER_MONTH = 30
MAX_TOKENS = Decimal(10) ** 15  # a quadrillion tokens a month: beyond any real bill
MILLION = Decimal(1_000_000)
CENT = Decimal("0.01")
# "50000000", "50,000,000", "50M", "2.5B", "800k": ASCII digits only.
TOKENS = re.compile(r"^([0-9][0-9,_]*(?:\.[0-9]+)?)\s*([kKmMbB]?)$")
SUFFIX = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9}


def parse_tokens(text: str | None, name: str) -> Decimal | None:
    if text is None or str(text).strip() == "":
        return None
    match = TOKENS.match(str(text).strip())
    if not match or not str(text).isascii():
        raise QueryError(f"{name} must be a number of tokens such as 50000000 or 50M, not {str(text)[:20]!r}")
    number = Decimal(match.group(1).replace(",", "").replace("_", "")) * SUFFIX[match.group(2).lower()]
    if number > MAX_TOKENS:
        raise QueryError(f"{name} must be at most {MAX_TOKENS:,.0f} tokens")
    return number.to_integral_value(ROUND_HALF_UP)


def parse_share(text: str | None) -> Decimal:
    if text is None or str(text).strip() == "":
        return Decimal(0)
    value = str(text).strip()
    percent = value.endswith("%")
    try:
        if not value.isascii():
            raise InvalidOperation
        share = Decimal(value.rstrip("%"))
    except (InvalidOperation, ValueError):
        raise QueryError(f"cached_share must be a fraction such as 0.3 or a percentage such as 30%, not {value[:20]!r}") from None
    if percent:
        share /= 100
    if not share.is_finite() or share < 0 or share > 1:
        raise QueryError("cached_share must be between 0 and 1 (or 0% and 100%)")
    return share


@dataclass(frozen=True)
class Workload:
    """Tokens per month, and which share of the input tokens is read from the cache."""

    monthly_input: Decimal
    monthly_output: Decimal
    cached_share: Decimal = Decimal(0)

    @classmethod
    def parse(cls, params: Mapping[str, str | None]) -> Workload | None:
        """From ``monthly_input``/``monthly_output`` (or ``input_tokens``/``output_tokens`` with
        ``per`` = day or month) and ``cached_share``; None when no volume is given."""
        per = (params.get("per") or "month").strip().lower()
        if per not in ("day", "month"):
            raise QueryError(f"per must be day or month, not {per[:20]!r}")
        factor = DAYS_PER_MONTH if per == "day" else 1
        input = parse_tokens(params.get("monthly_input"), "monthly_input")
        output = parse_tokens(params.get("monthly_output"), "monthly_output")
        if input is None and output is None:
            input = parse_tokens(params.get("input_tokens"), "input_tokens")
            output = parse_tokens(params.get("output_tokens"), "output_tokens")
            input = input * factor if input is not None else None
            output = output * factor if output is not None else None
        share = parse_share(params.get("cached_share"))
        if input is None and output is None:
            return None
        return cls(input or Decimal(0), output or Decimal(0), share)

    def cost(self, input: Decimal | None, output: Decimal | None, cached_input: Decimal | None) -> Decimal | None:
        """USD per month to the cent; None when a price the workload needs is unknown."""
        if (self.monthly_input and input is None) or (self.monthly_output and output is None):
            return None
        cached = self.monthly_input * self.cached_share
        fresh = self.monthly_input - cached
        total = (fresh * (input or 0) + cached * (cached_input if cached_input is not None else input or 0)
                 + self.monthly_output * (output or 0)) / MILLION
        return total.quantize(CENT, ROUND_HALF_UP)

    def query(self) -> dict[str, str]:
        out = {"monthly_input": format(self.monthly_input, "f"), "monthly_output": format(self.monthly_output, "f")}
        if self.cached_share:
            out["cached_share"] = format(self.cached_share.normalize(), "f")
        return out
