"""Filters over a model's (or a host's) offers: quantization, speed, context, current, hosts.

The same parameters on pages and in the API, read from the query string so a filtered view is a
shareable link. Bad values raise QueryError (a 400 with the message at the field).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from pricing.queries.base import QueryError, parse_flag

# Bits per weight, the documented precision order ("at least fp8" keeps fp8, int8 and anything
# wider). Names as OpenRouter and the hosts state them; "unknown" and '' never pass a minimum.
PRECISION_BITS = {
    "fp32": 32, "bf16": 16, "fp16": 16, "fp8": 8, "int8": 8, "fp6": 6, "int6": 6, "fp4": 4, "int4": 4, "nf4": 4,
    "mxfp4": 4, "nvfp4": 4,
}
QUANTIZATIONS = (*PRECISION_BITS, "unknown")
MAX_TTFT_MS = Decimal(10_000_000)
MAX_TPS = Decimal(1_000_000)
MAX_CONTEXT = 100_000_000


def _number(text: str | None, name: str, ceiling: Decimal) -> Decimal | None:
    if text is None or text.strip() == "":
        return None
    value = text.strip()
    try:
        if not value.isascii():
            raise InvalidOperation
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        raise QueryError(f"{name} must be a number such as 1000, not {text[:20]!r}") from None
    if not number.is_finite() or number < 0 or number > ceiling:
        raise QueryError(f"{name} must be between 0 and {ceiling}")
    return number


def _quantizations(text: str | None) -> frozenset[str]:
    if not text:
        return frozenset()
    names = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = sorted(n for n in names if n not in QUANTIZATIONS)
    if unknown:
        raise QueryError(f"quantization must be among {', '.join(QUANTIZATIONS)}, not {unknown[0][:20]!r}")
    return frozenset(names)


def _precision(text: str | None) -> str:
    if not text:
        return ""
    value = text.strip().lower()
    if value not in PRECISION_BITS:
        raise QueryError(f"min_precision must be one of {', '.join(PRECISION_BITS)}, not {text[:20]!r}")
    return value


@dataclass(frozen=True)
class OfferFilter:
    """Which offers to show and count. The defaults are what every figure uses: current offers
    of hosts (labs selling their own model count as hosts), aggregators aside."""

    quantizations: frozenset[str] = frozenset()
    min_precision: str = ""
    max_ttft_ms: Decimal | None = None
    min_tps: Decimal | None = None
    min_context: int | None = None
    current_only: bool = True
    hosts_only: bool = True

    PARAMS = ("quantization", "min_precision", "max_ttft_ms", "min_tps", "min_context", "current_only", "hosts_only")

    @classmethod
    def parse(cls, params: Mapping[str, str | None]) -> OfferFilter:
        context = _number(params.get("min_context"), "min_context", Decimal(MAX_CONTEXT))
        return cls(
            quantizations=_quantizations(params.get("quantization")),
            min_precision=_precision(params.get("min_precision")),
            max_ttft_ms=_number(params.get("max_ttft_ms"), "max_ttft_ms", MAX_TTFT_MS),
            min_tps=_number(params.get("min_tps"), "min_tps", MAX_TPS),
            min_context=int(context) if context is not None else None,
            current_only=parse_flag(params.get("current_only"), "current_only", True),
            hosts_only=parse_flag(params.get("hosts_only"), "hosts_only", True),
        )

    @property
    def narrows(self) -> bool:
        """Whether anything beyond the defaults is asked (pages say so above the table)."""
        return bool(self.quantizations or self.min_precision or self.max_ttft_ms is not None
                    or self.min_tps is not None or self.min_context is not None)

    def keeps(self, row) -> bool:
        if self.current_only and not row.current:
            return False
        if self.hosts_only and not row.is_host:
            return False
        quant = (row.quantization or "unknown").lower()
        if self.quantizations and quant not in self.quantizations:
            return False
        if self.min_precision and PRECISION_BITS.get(quant, 0) < PRECISION_BITS[self.min_precision]:
            return False
        if self.max_ttft_ms is not None and (row.ttft_ms is None or row.ttft_ms > self.max_ttft_ms):
            return False
        if self.min_tps is not None and (row.tps is None or row.tps < self.min_tps):
            return False
        if self.min_context is not None and (row.context_length or 0) < self.min_context:
            return False
        return True

    def apply(self, rows: list) -> list:
        return [r for r in rows if self.keeps(r)]

    def query(self) -> dict[str, str]:
        """The filter as query parameters (only what differs from the defaults), for links."""
        out: dict[str, str] = {}
        if self.quantizations:
            out["quantization"] = ",".join(sorted(self.quantizations))
        if self.min_precision:
            out["min_precision"] = self.min_precision
        for name in ("max_ttft_ms", "min_tps", "min_context"):
            value = getattr(self, name)
            if value is not None:
                out[name] = str(value)
        if not self.current_only:
            out["current_only"] = "0"
        if not self.hosts_only:
            out["hosts_only"] = "0"
        return out

    def urlencode(self, **extra: str) -> str:
        return urlencode({**self.query(), **{k: v for k, v in extra.items() if v}})
