"""OpenRouter: its model catalogue, and every provider endpoint of every model.

Two kinds of payload:

- ``models`` (``GET /api/v1/models?output_modalities=all``, following ``links.next``): OpenRouter's
  own list price per catalogue id, one Quote with provider "openrouter" per id. That price tracks
  one endpoint and moves when providers come and go, so it is not any host's price.
- ``endpoints`` (``GET /api/v1/models/{author}/{slug}/endpoints``, one per base model): one Quote
  per host endpoint (provider from the routing ``tag``), and a PerfSample when latency, throughput
  or uptime are given (latency and throughput need an API key). One endpoint is one offer over
  time: a tag's quantization (``crusoe/bf16``) is the offer's attribute, not its key, unless one
  listing sells two quantizations side by side (see providers.identity).

Prices are stored as listed: ``pricing.prompt``/``completion`` are what a user pays, already net of
``pricing.discount``. The discount (any sign; negative is a surcharge) and the host's list price
before it, ``price / (1 - discount)``, are kept in ``extra["discount"]`` and ``extra["list_price"]``.

Completeness has a scope: a models list is complete for OpenRouter's own list prices and for
every model it does not list; one model's endpoints body is complete for that model only.

Prices are strings in USD per token. ``"-1"`` marks a router whose price is decided per request:
it becomes PriceKind.VARIABLE with no prices, never a negative number. A missing component and
``"0"`` mean the same (no separate charge): keys come and go between captures, and treating them
differently would record price changes that never happened.

A models payload that cannot be read stops the sweep before any endpoint request (``parse`` then
raises ParseError for it); a failing endpoint request is yielded as a payload with ``error`` set
and costs only that model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from providers.base import (
    PRICE_FIELDS,
    FetchError,
    ListingScope,
    ModelInfo,
    ParseError,
    ParseResult,
    Payload,
    PerfSample,
    PriceKind,
    Quote,
)
from providers.identity import discount_rate, is_quantization, list_prices, separate_side_by_side
from providers.names import provider_slug, split_tag
from providers.units import Unit, loads_strict, to_decimal, to_per_million

BASE_URL = "https://openrouter.ai"
MODELS_PATH = "/api/v1/models?output_modalities=all"
MAX_PAGES = 50

# OpenRouter pricing key -> Quote field, for prices in USD per token.
TOKEN_PRICES = {
    "prompt": "input",
    "completion": "output",
    "input_cache_read": "cached_input",
    "input_cache_write": "cache_write",
    "internal_reasoning": "reasoning",
}
# USD per request, not per token: converted with the identity unit, still held to the band.
REQUEST_PRICE = ("request", "per_request")
OVERRIDE_CONDITIONS = ("min_prompt_tokens", "utc_start", "utc_end")
PERCENTILES = ("p50", "p75", "p90", "p99")

# What may go into a URL path: author/slug with an optional :variant. Anything else is skipped.
_MODEL_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*/[A-Za-z0-9_][A-Za-z0-9_.\-]*(:[A-Za-z0-9_.\-]+)?$")
_ENDPOINTS_URL = re.compile(r"/api/v1/models/(.+)/endpoints")


def split_variant(model_id: str) -> tuple[str, str]:
    """``openai/gpt-4o:batch`` -> (``openai/gpt-4o``, ``batch``); no suffix -> (id, "")."""
    base, sep, suffix = model_id.partition(":")
    return (base, suffix.strip().lower()) if sep else (model_id, "")


def _is_variable(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        return value.strip() == "-1"
    if isinstance(value, int | Decimal):
        try:
            return Decimal(value) == -1
        except ArithmeticError:
            return False
    return False


def _per_million(value: Any, unit: Unit, *, what: str) -> Decimal:
    try:
        return to_per_million(value, unit, what=what)
    except ParseError:
        raise
    except (ArithmeticError, ValueError, TypeError) as exc:  # decimal Overflow on 1e999999 and the like
        raise ParseError(f"{what}: cannot convert {str(value)[:40]!r}: {exc.__class__.__name__}") from None


def _tidy(value: Decimal) -> Decimal:
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral() else value


def _read_prices(pricing: Any, *, where: str) -> tuple[dict[str, Any], PriceKind]:
    """Quote prices in USD per million from one ``pricing`` object. Raises ParseError."""
    if not isinstance(pricing, dict):
        raise ParseError(f"{where}: pricing is not an object")
    # Decimal or None per price field; typed Any because it is passed on as Quote(**prices).
    prices: dict[str, Any] = dict.fromkeys(PRICE_FIELDS)
    if _is_variable(pricing.get("prompt")) or _is_variable(pricing.get("completion")):
        return prices, PriceKind.VARIABLE
    if pricing.get("prompt") is None and pricing.get("completion") is None:
        return prices, PriceKind.UNKNOWN
    for key, name in TOKEN_PRICES.items():
        value = pricing.get(key)
        if value is None or _is_variable(value):
            continue
        prices[name] = _per_million(value, Unit.USD_PER_TOKEN, what=f"{where}: pricing.{key}")
    key, name = REQUEST_PRICE
    value = pricing.get(key)
    if value is not None and not _is_variable(value):
        prices[name] = _per_million(value, Unit.USD_PER_MILLION, what=f"{where}: pricing.{key}")
    # prompt and completion are what the offer costs: absent means no charge. The other parts are
    # extras: "0" means "none charged separately", which is what an absent key says too.
    for name in ("input", "output"):
        if prices[name] is None:
            prices[name] = Decimal(0)
    for name in ("cached_input", "cache_write", "reasoning", "per_request"):
        if prices[name] == 0:
            prices[name] = None
    if all(value is None or value == 0 for value in prices.values()):
        return prices, PriceKind.FREE
    return prices, PriceKind.FIXED


def _read_overrides(overrides: Any, *, where: str) -> list[dict[str, Any]]:
    """Conditional prices (long-context tiers, time windows), converted to USD/M strings."""
    if overrides is None:
        return []
    if not isinstance(overrides, list):
        raise ParseError(f"{where}: pricing.overrides is not a list")
    result = []
    for i, override in enumerate(overrides):
        if not isinstance(override, dict):
            raise ParseError(f"{where}: pricing.overrides[{i}] is not an object")
        entry: dict[str, Any] = {}
        for key in OVERRIDE_CONDITIONS:
            if key in override:
                number = _count(override[key])
                if number is None:
                    raise ParseError(f"{where}: overrides[{i}].{key} is not a whole number")
                entry[key] = number
        for key, name in (*TOKEN_PRICES.items(), REQUEST_PRICE):
            value = override.get(key)
            if value is None:
                continue
            if _is_variable(value):
                entry[name] = "variable"
                continue
            unit = Unit.USD_PER_MILLION if key == REQUEST_PRICE[0] else Unit.USD_PER_TOKEN
            entry[name] = str(_per_million(value, unit, what=f"{where}: overrides[{i}].{key}"))
        result.append(entry)
    return result


def _raw_pricing(pricing: Mapping[str, Any]) -> dict[str, str]:
    """The source's own strings, kept for audit (and for components Quote has no field for)."""
    return {
        str(key)[:64]: str(value)[:64]
        for key, value in pricing.items()
        if isinstance(value, str | int | Decimal) and not isinstance(value, bool)
    }


def _count(value: Any) -> int | None:
    """A token count: a non-negative integer, or None for anything else (null, "", 1.5)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        if not value.is_finite() or value.adjusted() > 15 or value != value.to_integral():
            return None
        value = int(value)
    if isinstance(value, int) and 0 <= value < 10**12:
        return value
    return None


def _metric(value: Any, *, upper: Decimal | None = None) -> Decimal | None:
    """A measured value: finite, non-negative (and at most ``upper``), else unknown. Never 0 for null."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = to_decimal(value)
    except ParseError:
        return None
    if number < 0 or number > Decimal("1e9") or (upper is not None and number > upper):
        return None
    try:
        return _tidy(number)
    except ArithmeticError:
        return None


def _text(value: Any, limit: int = 500) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _created(value: Any) -> datetime | None:
    seconds = _count(value)
    if seconds is None or not 0 < seconds < 4_102_444_800:  # before 2100
        return None
    return datetime.fromtimestamp(seconds, UTC)


def _tag_label(quote: Quote) -> str:
    """What a routing tag adds to the provider: ``fp8`` in ``deepinfra/fp8``, ``turbo`` in
    ``sambanova-turbo``; "" when the tag is the bare provider."""
    tag = str(quote.extra.get("tag", "")).strip().lower()
    head, _, rest = tag.partition("/")
    if rest:
        return rest[:100]
    return head[len(quote.provider) + 1 :][:100] if head.startswith(quote.provider + "-") else ""


def _read_json(body: bytes) -> Any:
    try:
        return loads_strict(body)
    except ParseError:
        raise
    except (ValueError, ArithmeticError, RecursionError, TypeError) as exc:
        # Python's int() refuses numbers over 4300 digits with a plain ValueError.
        raise ParseError(f"unreadable JSON: {exc.__class__.__name__}: {str(exc)[:80]}") from None


class OpenRouterCollector:
    slug = "openrouter"
    name = "OpenRouter"
    kind = "aggregator"
    default_interval_minutes = 60
    api_key_env = "OPENROUTER_API_KEY"
    # The key only unlocks latency and throughput on the endpoints API; prices are public.
    key_required = False

    def __init__(
        self,
        *,
        base_url: str = BASE_URL,
        endpoint_models: Iterable[str] | None = None,
        max_endpoint_requests: int | None = None,
    ):
        """``endpoint_models`` (ids, with or without ``:variant``) and ``max_endpoint_requests``
        narrow the endpoint sweep, for tests and benchmarks. A narrowed collector marks every
        result incomplete, so no offer is taken as removed because it was not asked for."""
        self.base_url = base_url.rstrip("/")
        self.endpoint_models = None if endpoint_models is None else set(endpoint_models)
        self.max_endpoint_requests = max_endpoint_requests
        self.partial = endpoint_models is not None or max_endpoint_requests is not None

    # fetching

    def fetch(self, http: Any, *, api_key: str | None = None) -> Iterator[Payload]:
        url = self.base_url + MODELS_PATH
        seen = {url}
        models: list[Any] = []
        for _ in range(MAX_PAGES):
            response = http.get(url)  # FetchError here fails the source
            yield Payload(
                url=url, body=response.body, fetched_at=response.fetched_at, kind="models", status=response.status
            )
            try:
                document = _read_json(response.body)
            except ParseError:
                return  # parse() reports it; without the list there is nothing to ask about
            if not isinstance(document, dict) or not isinstance(document.get("data"), list):
                return
            models.extend(document["data"])
            next_url = self._next_page(document)
            if next_url is None or next_url in seen:
                break
            url = next_url
            seen.add(url)

        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None

        def fetch_endpoints(model_id: str) -> Payload:
            target = f"{self.base_url}/api/v1/models/{quote(model_id, safe='/:')}/endpoints"
            try:
                response = http.get(target, headers=headers)
            except FetchError as exc:
                return Payload(
                    url=target,
                    body=b"",
                    fetched_at=datetime.now(UTC),
                    kind="endpoints",
                    status=exc.status or 0,
                    error=self._describe(exc),
                )
            return Payload(
                url=target,
                body=response.body,
                fetched_at=response.fetched_at,
                kind="endpoints",
                status=response.status,
            )

        yield from http.map(fetch_endpoints, self.endpoint_targets(models))

    def _next_page(self, document: dict[str, Any]) -> str | None:
        links = document.get("links")
        target = links.get("next") if isinstance(links, dict) else None
        if not isinstance(target, str) or not target.strip():
            return None
        url = urljoin(self.base_url + "/", target.strip())
        here, there = urlsplit(self.base_url), urlsplit(url)
        # A next link to another host would send our key and our sweep somewhere else.
        if (here.scheme, here.netloc) != (there.scheme, there.netloc):
            return None
        return url

    @staticmethod
    def _describe(exc: FetchError) -> str:
        if exc.status:
            return f"HTTP {exc.status}"
        message = str(exc)
        if "timeout" in message or "deadline" in message:
            return f"timeout: {message[:200]}"
        return f"failed: {message[:200]}"

    def endpoint_targets(self, models: Iterable[Any]) -> list[str]:
        """Model ids to ask for endpoints: one per base model, routers and aliases skipped."""
        models = [m for m in models if isinstance(m, dict) and isinstance(m.get("id"), str)]
        listed = {m["id"] for m in models}
        targets: list[str] = []
        seen: set[str] = set()
        for model in models:
            model_id = model["id"].strip()
            pricing = model.get("pricing")
            if model_id.startswith("~"):  # "~author/x-latest" aliases point at a model listed anyway
                continue
            if isinstance(pricing, dict) and (
                _is_variable(pricing.get("prompt")) or _is_variable(pricing.get("completion"))
            ):
                continue  # a router: no endpoints of its own
            base, variant = split_variant(model_id)
            # Endpoints are per base model; a variant listed without its base (nvidia/x:free) is
            # only reachable under its own id.
            target = base if not variant or base in listed else model_id
            if target in seen or not _MODEL_ID.match(target) or ".." in target:
                continue
            if self.endpoint_models is not None and not ({target, base, model_id} & self.endpoint_models):
                continue
            seen.add(target)
            targets.append(target)
        if self.max_endpoint_requests is not None:
            targets = targets[: max(self.max_endpoint_requests, 0)]
        return targets

    # parsing

    def parse(self, payload: Payload) -> ParseResult:
        if payload.error:
            # Nothing to read; the run keeps the reason and knows this model was not covered.
            return ParseResult(complete=False, rejected=[(self._model_of(payload.url), payload.error)])
        if payload.kind == "models":
            return self._parse_models(payload)
        if payload.kind == "endpoints":
            return self._parse_endpoints(payload)
        raise ParseError(f"unknown OpenRouter payload kind {payload.kind!r}")

    @staticmethod
    def _model_of(url: str) -> str:
        match = _ENDPOINTS_URL.search(urlsplit(url).path)
        return unquote(match.group(1)) if match else url

    def _parse_models(self, payload: Payload) -> ParseResult:
        document = _read_json(payload.body)
        if not isinstance(document, dict):
            raise ParseError(f"models: expected an object, got {type(document).__name__}")
        data = document.get("data")
        if not isinstance(data, list):
            raise ParseError("models: 'data' is missing or not a list")
        links = document.get("links")
        paged = "offset=" in urlsplit(payload.url).query or (isinstance(links, dict) and bool(links.get("next")))
        if not data and not paged:
            raise ParseError("models: the catalogue is empty")
        result = ParseResult(complete=not paged and not self.partial)
        seen: set[str] = set()
        for i, model in enumerate(data):
            if not isinstance(model, dict):
                result.rejected.append((f"data[{i}]", "model is not an object"))
                continue
            model_id = model.get("id")
            if not isinstance(model_id, str) or not model_id.strip():
                result.rejected.append((f"data[{i}]", "model has no id"))
                continue
            model_id = model_id.strip()[:200]
            if model_id in seen:
                result.rejected.append((model_id, "id listed twice"))
                continue
            seen.add(model_id)
            try:
                quote_, info = self._read_model(model, model_id)
            except ParseError as exc:
                result.rejected.append((model_id, str(exc)))
                continue
            result.quotes.append(quote_)
            result.models.append(info)
        # Complete for OpenRouter's own list prices, and for every model it no longer lists.
        result.scope = ListingScope(providers=frozenset({"openrouter"}), catalogue=frozenset(seen))
        return result

    def _read_model(self, model: dict[str, Any], model_id: str) -> tuple[Quote, ModelInfo]:
        pricing = model.get("pricing")
        prices, kind = _read_prices(pricing, where=model_id)
        assert isinstance(pricing, dict)
        base, variant = split_variant(model_id)
        top: dict[str, Any] = model["top_provider"] if isinstance(model.get("top_provider"), dict) else {}
        extra: dict[str, Any] = {"pricing": _raw_pricing(pricing)}
        overrides = _read_overrides(pricing.get("overrides"), where=model_id)
        if overrides:
            extra["overrides"] = overrides
        for key in ("canonical_slug", "expiration_date"):
            if _text(model.get(key)):
                extra[key] = _text(model.get(key))
        alias = model.get("alias_target")
        if isinstance(alias, dict) and _text(alias.get("slug")):
            extra["alias_target"] = _text(alias.get("slug"))
        context = _count(model.get("context_length"))
        quote_ = Quote(
            provider="openrouter",
            provider_model_id=model_id,
            price_kind=kind,
            variant=variant,
            provider_name="OpenRouter",
            model_name=_text(model.get("name")),
            canonical_hint=base,
            hf_id=_text(model.get("hugging_face_id")),
            context_length=context,
            max_output=_count(top.get("max_completion_tokens")),
            extra=extra,
            **prices,
        )
        info = ModelInfo(
            source_id=model_id,
            canonical_slug=_text(model.get("canonical_slug")),
            name=_text(model.get("name")),
            hf_id=_text(model.get("hugging_face_id")),
            context_length=context,
            created=_created(model.get("created")),
            expiration_date=_text(model.get("expiration_date")),
        )
        return quote_, info

    def _parse_endpoints(self, payload: Payload) -> ParseResult:
        document = _read_json(payload.body)
        data = document.get("data") if isinstance(document, dict) else None
        if not isinstance(data, dict):
            raise ParseError("endpoints: 'data' is missing or not an object")
        model_id = data.get("id")
        if not isinstance(model_id, str) or not model_id.strip():
            raise ParseError("endpoints: 'data.id' is missing")
        model_id = model_id.strip()[:200]
        endpoints = data.get("endpoints")
        if not isinstance(endpoints, list):
            raise ParseError(f"endpoints of {model_id}: 'endpoints' is missing or not a list")
        base, _ = split_variant(model_id)
        # Complete for this one model only: other models' offers are not in this body.
        scope = ListingScope(ids=frozenset({model_id}), ids_except=frozenset({"openrouter"}))
        result = ParseResult(complete=not self.partial, scope=scope)
        read: list[tuple[Quote, PerfSample | None]] = []
        for i, endpoint in enumerate(endpoints):
            where = f"{model_id} endpoints[{i}]"
            if not isinstance(endpoint, dict):
                result.rejected.append((where, "endpoint is not an object"))
                continue
            provider, variant = self._provider_of(endpoint.get("tag"), endpoint.get("provider_name"))
            if not provider:
                result.rejected.append((where, "endpoint names no provider"))
                continue
            where = f"{model_id} @ {_text(endpoint.get('tag'), 100) or provider}"
            try:
                quote_ = self._read_endpoint(endpoint, data, model_id, base, provider, variant, where)
            except ParseError as exc:
                result.rejected.append((where, str(exc)))
                continue
            read.append((quote_, self._read_sample(endpoint, model_id, base, provider, variant)))
        # Two endpoints of one host in one body are two offers only if something tells them apart.
        quotes, dropped = separate_side_by_side([q for q, _ in read], fallback=_tag_label)
        for quote_, reason in dropped:
            result.rejected.append((f"{model_id} @ {quote_.extra.get('tag') or quote_.provider}", reason))
        kept = {id(q) for q, _ in read} - {id(q) for q, _ in dropped}
        renamed = iter(quotes)
        for quote_, sample in read:
            if id(quote_) not in kept:
                continue
            final = next(renamed)
            result.quotes.append(final)
            if sample is not None:
                result.samples.append(replace(sample, variant=final.variant))
        return result

    @staticmethod
    def _provider_of(tag: Any, provider_name: Any) -> tuple[str, str]:
        """(provider, variant) of an endpoint. The part of the tag after the slash names the offer
        (``deepinfra/turbo``, ``google-vertex/us-central1``) unless it is only the quantization
        (``crusoe/bf16``): then it is an attribute, and the endpoint keeps one key when it changes."""
        if isinstance(tag, str) and tag.strip():
            provider, variant = split_tag(tag)
            if is_quantization(variant):
                variant = ""
            if provider:
                return provider[:100], variant[:100]
        if isinstance(provider_name, str) and provider_name.strip():
            return provider_slug(provider_name)[:100], ""
        return "", ""

    def _read_endpoint(
        self,
        endpoint: dict[str, Any],
        data: dict[str, Any],
        model_id: str,
        base: str,
        provider: str,
        variant: str,
        where: str,
    ) -> Quote:
        pricing = endpoint.get("pricing")
        prices, kind = _read_prices(pricing, where=where)
        assert isinstance(pricing, dict)
        extra: dict[str, Any] = {"pricing": _raw_pricing(pricing)}
        if _text(endpoint.get("tag")):
            extra["tag"] = _text(endpoint.get("tag"))
        discount = pricing.get("discount")
        if discount is not None and kind is not PriceKind.VARIABLE:
            # The prices are already what a user pays; the discount says how far below (or, when
            # negative, above) the host's own list price that is.
            rate = discount_rate(discount, what=f"{where}: pricing.discount")
            if rate:
                extra["discount"] = format(_tidy(rate), "f")
                extra["list_price"] = list_prices(prices, rate, what=f"{where}: pricing.discount")
        max_prompt = _count(endpoint.get("max_prompt_tokens"))
        if max_prompt is not None:
            extra["max_prompt_tokens"] = max_prompt
        if _text(endpoint.get("name")):
            extra["endpoint_name"] = _text(endpoint.get("name"))
        status = endpoint.get("status")
        return Quote(
            provider=provider,
            provider_model_id=model_id,
            price_kind=kind,
            variant=variant,
            provider_name=_text(endpoint.get("provider_name")),
            model_name=_text(endpoint.get("model_name")) or _text(data.get("name")),
            canonical_hint=base,
            hf_id=_text(data.get("hugging_face_id")),
            quantization=_text(endpoint.get("quantization"), 20).lower(),
            context_length=_count(endpoint.get("context_length")),
            max_output=_count(endpoint.get("max_completion_tokens")),
            status=str(status)[:20] if isinstance(status, int | str | Decimal) and not isinstance(status, bool) else "",
            extra=extra,
            **prices,
        )

    @staticmethod
    def _read_sample(
        endpoint: dict[str, Any], model_id: str, base: str, provider: str, variant: str
    ) -> PerfSample | None:
        latency = endpoint.get("latency_last_30m")
        throughput = endpoint.get("throughput_last_30m")
        latency = latency if isinstance(latency, dict) else {}
        throughput = throughput if isinstance(throughput, dict) else {}
        percent = Decimal(100)
        values: dict[str, Any] = {}  # Decimal or None per figure, passed on as PerfSample(**values)
        for p in PERCENTILES:
            values[f"ttft_{p}_ms"] = _metric(latency.get(p))
            values[f"tps_{p}"] = _metric(throughput.get(p))
        values["uptime_5m"] = _metric(endpoint.get("uptime_last_5m"), upper=percent)
        values["uptime_30m"] = _metric(endpoint.get("uptime_last_30m"), upper=percent)
        values["uptime_1d"] = _metric(endpoint.get("uptime_last_1d"), upper=percent)
        if all(value is None for value in values.values()):
            return None
        return PerfSample(
            provider=provider,
            provider_model_id=model_id,
            variant=variant,
            window="30m",
            canonical_hint=base,
            **values,
        )
