"""Shared pieces of the one-request "list every model" collectors (HF router, Chutes, Together,
DeepInfra, Novita): the fetch, and small readers that turn a shape surprise into ParseError.

Parsers written on these helpers let only ParseError escape: every field is type-checked before
use, and conversion goes through :func:`price`, which also guards the arithmetic that
``to_per_million`` does not (a JSON number such as ``9e999999`` overflows Decimal's context).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Context, Decimal, DecimalException
from typing import Any

from providers.base import ParseError, ParseResult, Payload, PriceKind, Quote, SkipSource
from providers.identity import separate_side_by_side
from providers.units import MAX_PER_MILLION, Unit, loads_strict, to_decimal, to_per_million

# org/Name as Hugging Face spells repo ids: no spaces, one slash, no leading dot or dash.
_HF_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")

# Id suffixes hosts append to a Hugging Face repo id, and what each one means for an offer.
_VARIANT_SUFFIXES = {"turbo": "turbo", "free": "free", "lite": "lite", "tput": "tput", "reference": "reference"}
_FLOAT_DIGITS = Context(prec=15)
_QUANT_SUFFIXES = {
    "fp8": "fp8",
    "fp4": "fp4",
    "nvfp4": "fp4",
    "int4": "int4",
    "int8": "int8",
    "bf16": "bf16",
    "fp16": "fp16",
}


class ListingCollector:
    """Fetch one JSON listing with an optional bearer key; subclasses supply the parser."""

    slug: str = ""
    name: str = ""
    kind: str = "api"
    default_interval_minutes: int = 60
    api_key_env: str | None = None
    key_required: bool = False
    default_base_url: str = ""
    path: str = ""
    payload_kind: str = "models"  # which parser reads the one response (kept with the raw payload)

    def __init__(self, base_url: str | None = None):
        self.base_url = (base_url or self.default_base_url).rstrip("/")

    @property
    def url(self) -> str:
        return self.base_url + self.path

    def fetch(self, http: Any, api_key: str | None = None) -> Iterator[Payload]:
        # Checked before the generator starts, so a missing key is reported even if nobody iterates.
        if self.key_required and not api_key:
            raise SkipSource(f"{self.api_key_env} is not set")
        return self._fetch(http, api_key)

    def _fetch(self, http: Any, api_key: str | None) -> Iterator[Payload]:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        response = http.get(self.url, headers=headers)
        yield Payload(
            url=response.url or self.url,
            body=response.body,
            fetched_at=response.fetched_at,
            kind=self.payload_kind,
            status=response.status,
        )


def load(body: bytes | str) -> Any:
    """``loads_strict``, plus the ValueError json raises for integers over 4300 digits."""
    try:
        return loads_strict(body)
    except ParseError:
        raise
    except (ValueError, TypeError) as exc:
        raise ParseError(f"invalid JSON: {exc}") from None


def expect_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ParseError(f"{what}: expected a JSON array, got {type(value).__name__}")
    return value


def expect_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParseError(f"{what}: expected a JSON object, got {type(value).__name__}")
    return value


def item_id(item: Any, key: str = "id") -> str:
    """The item's own id; an item without one cannot be stored, so ParseError (per item)."""
    if not isinstance(item, dict):
        raise ParseError(f"item is a {type(item).__name__}, not an object")
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ParseError(f"item has no usable {key!r}: {value!r:.60}")
    return value.strip()


def label(item: Any, index: int, key: str = "id") -> str:
    """What to call an item in ``rejected`` when its id itself may be the problem."""
    if isinstance(item, dict) and isinstance(item.get(key), str) and item[key].strip():
        return item[key].strip()
    return f"#{index}"


def quotes_from(items: list[Any], make: Callable[[Any], Quote | None], *, id_key: str = "id") -> ParseResult:
    """One quote per item through ``make``; an item it refuses goes to ``rejected`` with the
    reason and the rest still parse; ``None`` means the item has no token price to record."""
    result = ParseResult()
    for index, item in enumerate(items):
        try:
            quote = make(item)
        except ParseError as exc:
            result.rejected.append((label(item, index, id_key), str(exc)))
            continue
        if quote is not None:
            result.quotes.append(quote)
    # A host that lists one model twice, in two quantizations, sells two offers side by side.
    result.quotes, dropped = separate_side_by_side(result.quotes, fallback=lambda q: q.provider_model_id)
    result.rejected.extend((quote.provider_model_id, "a second listing of the same offer") for quote, _ in dropped)
    return result


def text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def opt_int(value: Any) -> int | None:
    """A positive integer count (context length, max output), or None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**63 else None
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value) if 0 < value < 2**63 else None
    return None


def opt_measure(value: Any) -> Decimal | None:
    """A latency or throughput: finite and non-negative, else unknown (never 0)."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | Decimal | float | str):
        return None
    try:
        result = to_decimal(value)
    except ValueError:  # ParseError, or str() of an integer past Python's digit limit
        return None
    return result if 0 <= result < Decimal("1e9") else None


def price(value: Any, unit: Unit, *, what: str) -> Decimal | None:
    """USD per million from one raw price; None when the field is absent (no charge stated)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float | str):
        raise ParseError(f"{what}: expected a number, got {type(value).__name__}")
    try:
        return to_per_million(value, unit, what=what)
    except ParseError:
        raise
    except (DecimalException, ValueError, OverflowError) as exc:
        raise ParseError(f"{what}: {value!r:.40} is out of range ({exc.__class__.__name__})") from None


def denoise(value: Decimal | None) -> Decimal | None:
    """Round a price a source computed in binary floats to 15 significant digits.

    Chutes sends 10% of 0.104 as 0.010399999999999998; a double holds about 15.9 significant
    digits, so the tail is float noise, and keeping it would make the stored price unreadable.
    """
    if value is None or len(value.as_tuple().digits) <= 15:
        return value
    result = _FLOAT_DIGITS.plus(value).normalize()
    return result.quantize(Decimal(1)) if result == result.to_integral_value() else result


def scaled(base: Decimal | None, factor: Decimal, *, what: str) -> Decimal | None:
    """``base * factor`` for multipliers and discounts, held to the same band as a raw price."""
    if base is None:
        return None
    try:
        result = (base * factor).normalize()
    except DecimalException as exc:
        raise ParseError(f"{what}: out of range ({exc.__class__.__name__})") from None
    if result < 0:
        raise ParseError(f"{what}: negative price {result}")
    if result > MAX_PER_MILLION:
        raise ParseError(f"{what}: {result} USD/M is above the {MAX_PER_MILLION} USD/M band")
    return result.quantize(Decimal(1)) if result == result.to_integral_value() else result


def kind_of(input_price: Decimal | None, output_price: Decimal | None, *others: Decimal | None) -> PriceKind:
    """UNKNOWN without an input or output price, FREE when every stated price is 0, else FIXED."""
    if input_price is None and output_price is None:
        return PriceKind.UNKNOWN
    stated = [p for p in (input_price, output_price, *others) if p is not None]
    return PriceKind.FREE if all(p == 0 for p in stated) else PriceKind.FIXED


def split_suffixes(model_id: str) -> tuple[str, list[str], str]:
    """``org/Llama-3.3-70B-Instruct-Turbo-FP8`` -> (``org/Llama-3.3-70B-Instruct``, [turbo], fp8).

    Peels known offer suffixes off the end of an id; the rest is usually the Hugging Face repo.
    """
    base = model_id
    variants: list[str] = []
    quantization = ""
    while True:
        head, dash, tail = base.rpartition("-")
        key = tail.lower()
        if not dash or "/" in tail or not head or head.endswith("/"):
            break
        if key in _VARIANT_SUFFIXES:
            variants.insert(0, _VARIANT_SUFFIXES[key])
        elif key in _QUANT_SUFFIXES and not quantization:
            quantization = _QUANT_SUFFIXES[key]
        else:
            break
        base = head
    return base, variants, quantization


def hf_id_of(model_id: str) -> str:
    return model_id if _HF_ID.match(model_id) else ""
