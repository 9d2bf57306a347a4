"""The contract between collectors and the rest of Ratecard.

A collector turns one source's responses into :class:`Quote` and :class:`PerfSample` objects:
prices are ``Decimal`` USD per million tokens, datetimes are timezone-aware UTC, ids are the
source's own. ``parse`` is pure (bytes in, objects out) and raises only :class:`ParseError`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol


class ParseError(ValueError):
    """A response that cannot be read as the source's documented shape."""


class FetchError(RuntimeError):
    """A response that could not be fetched (timeout, status, size cap, ...)."""

    def __init__(self, message: str, *, status: int | None = None, url: str = ""):
        super().__init__(message)
        self.status = status
        self.url = url


class SkipSource(RuntimeError):
    """The source cannot run here (for example its API key is not set). Not an error."""


class PriceKind(str, enum.Enum):
    FIXED = "fixed"
    FREE = "free"  # every token component is 0
    VARIABLE = "variable"  # OpenRouter's "-1": decided per request by a router
    UNKNOWN = "unknown"  # the source gives no token price


PRICE_FIELDS = ("input", "output", "cached_input", "cache_write", "reasoning", "per_request")


@dataclass(frozen=True)
class Quote:
    """One price observation of one offer, as a source states it, normalised.

    ``provider`` is the slug of the company that serves the tokens (``deepinfra``), not the source
    that reported it (``openrouter``). ``variant`` separates offers of the same provider and model
    (``fp8``, ``turbo``, ``free``, ``batch``); "" is the default offer.
    """

    provider: str
    provider_model_id: str
    input: Decimal | None = None
    output: Decimal | None = None
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    reasoning: Decimal | None = None
    per_request: Decimal | None = None  # USD per request, not per million tokens
    price_kind: PriceKind = PriceKind.FIXED
    variant: str = ""
    provider_name: str = ""  # display name, provider-supplied: escape it
    model_name: str = ""  # display name, provider-supplied: escape it
    # Hints for matching the source's id to a canonical model (OpenRouter slug, HF id).
    canonical_hint: str = ""
    hf_id: str = ""
    quantization: str = ""
    context_length: int | None = None
    max_output: int | None = None
    status: str = ""
    # When the price held, for dated curated data; None means "at fetch time".
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    # Conditional prices (long-context tiers, time-of-day windows) and anything else worth keeping.
    extra: dict[str, Any] = field(default_factory=dict)

    def prices(self) -> dict[str, Decimal | None]:
        return {name: getattr(self, name) for name in PRICE_FIELDS}


@dataclass(frozen=True)
class PerfSample:
    """Latency and throughput of one offer over a window, as a source (or our probe) measured it."""

    provider: str
    provider_model_id: str
    variant: str = ""
    window: str = "30m"
    ttft_p50_ms: Decimal | None = None
    ttft_p75_ms: Decimal | None = None
    ttft_p90_ms: Decimal | None = None
    ttft_p99_ms: Decimal | None = None
    tps_p50: Decimal | None = None
    tps_p75: Decimal | None = None
    tps_p90: Decimal | None = None
    tps_p99: Decimal | None = None
    uptime_5m: Decimal | None = None  # percent, 0-100
    uptime_30m: Decimal | None = None
    uptime_1d: Decimal | None = None
    n_requests: int | None = None
    canonical_hint: str = ""
    hf_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelInfo:
    """What a source says about a model itself (OpenRouter's catalogue)."""

    source_id: str
    canonical_slug: str = ""
    name: str = ""
    hf_id: str = ""
    context_length: int | None = None
    created: datetime | None = None
    expiration_date: str = ""


@dataclass
class Payload:
    """One response body as received. Stored raw (gzip + sha256) before anything is parsed."""

    url: str
    body: bytes
    fetched_at: datetime
    kind: str = ""  # which parser reads it, e.g. "models" or "endpoints" for OpenRouter
    status: int = 200
    error: str = ""  # a per-request failure kept with the run ("timeout", "HTTP 500")


@dataclass(frozen=True)
class ListingScope:
    """What a complete listing is complete for, when it is not the whole source.

    An offer is in scope when its source id (``Quote.provider_model_id``) is in ``ids`` and its
    provider is not in ``ids_except`` (OpenRouter's endpoints body lists hosts, not OpenRouter's
    own list price of the same id), or its provider is in ``providers``, or ``catalogue`` is set
    and its source id is not in it (a catalogue that no longer lists a model says that model has
    no offers left). Removal counting, the "lost more than half" guard and "returned" events only
    look at offers in scope.
    """

    ids: frozenset[str] = frozenset()
    providers: frozenset[str] = frozenset()
    catalogue: frozenset[str] | None = None
    ids_except: frozenset[str] = frozenset()

    def covers(self, provider: str, provider_model_id: str) -> bool:
        return (
            (provider_model_id in self.ids and provider not in self.ids_except)
            or provider in self.providers
            or (self.catalogue is not None and provider_model_id not in self.catalogue)
        )

    def union(self, other: ListingScope) -> ListingScope:
        """Both listings together (never claiming more than either did)."""
        if self.catalogue is None or other.catalogue is None:
            catalogue = self.catalogue if other.catalogue is None else other.catalogue
        else:  # "not in A" or "not in B" is "not in both"
            catalogue = self.catalogue & other.catalogue
        return ListingScope(self.ids | other.ids, self.providers | other.providers, catalogue,
                            self.ids_except | other.ids_except)


@dataclass
class ParseResult:
    quotes: list[Quote] = field(default_factory=list)
    samples: list[PerfSample] = field(default_factory=list)
    models: list[ModelInfo] = field(default_factory=list)
    # Per-item problems that did not fail the whole payload: (provider_model_id, reason).
    rejected: list[tuple[str, str]] = field(default_factory=list)
    # True when the payload is a full listing (enables "offer removed" logic) of the whole source,
    # or, when ``scope`` is set, of that scope only.
    complete: bool = True
    scope: ListingScope | None = None
    # Set on the first extend(): an empty result is not a listing of anything yet.
    _merged: bool = field(default=False, repr=False, compare=False)

    def extend(self, other: ParseResult) -> None:
        self.quotes.extend(other.quotes)
        self.samples.extend(other.samples)
        self.models.extend(other.models)
        self.rejected.extend(other.rejected)
        self.complete = self.complete and other.complete
        if not self._merged:
            self.scope = other.scope
        elif self.scope is not None:
            self.scope = None if other.scope is None else self.scope.union(other.scope)
        self._merged = True


class Collector(Protocol):
    slug: str
    name: str
    kind: str  # "api" (the host's own), "aggregator", or "curated"
    default_interval_minutes: int
    api_key_env: str | None  # required key's environment variable, or None

    def fetch(self, http: Any, *, api_key: str | None = None) -> Iterator[Payload]:
        """Yield every response needed for one sweep. Per-request failures are yielded as
        payloads with ``error`` set; a failure of the whole source raises FetchError."""
        ...

    def parse(self, payload: Payload) -> ParseResult:
        """Pure: read one payload. Raises ParseError and nothing else."""
        ...
