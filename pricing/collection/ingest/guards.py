"""Step 1 of ingestion: which quotes may be stored at all, and whether the run may be applied.

A quote with a price that is not a finite, non-negative Decimal inside the band is rejected with a
reason (a QuoteRejection row); the rest go on. A complete listing that lost more than half of the
source's open offers is refused whole, keeping the last good prices.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from pricing.models import CollectionRun, PricePeriod, QuoteRejection, Source
from pricing.models.history import PRICE_FIELDS, PRICE_MAX, PRICE_MIN_POSITIVE, PRICE_STEP, PriceKind
from providers.base import ParseResult, Quote

# Below this many open offers the "lost more than half" rule would refuse ordinary churn.
REFUSE_MIN_OPEN = 4
PRICE_KINDS = frozenset(PriceKind.values)

# The id shapes the sources document (see PROVIDER_APIS.md). OpenRouter: ``author/slug`` with an
# optional ``:variant``, lowercase letters, digits, ``.``, ``_`` and ``-`` (router aliases start
# with ``~``). Every other source: its own id, letters, digits and ``. _ - : / + @ ~`` only, no
# spaces or markup. A provider is a lowercase slug. Anything else is rejected with a reason.
ID_SHAPES = {
    "openrouter": (re.compile(r"~?[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._-]*(:[a-z0-9._-]+)?\Z"),
                   "author/slug[:variant] in lowercase letters, digits, '.', '_' and '-'"),
}
ANY_SOURCE_ID = (re.compile(r"[A-Za-z0-9~][A-Za-z0-9._:/+@~-]*\Z"),
                 "letters, digits and '. _ - : / + @ ~' only")
PROVIDER_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")
MAX_ID_LENGTH = 200


def id_shape(source_slug: str) -> tuple[re.Pattern[str], str]:
    return ID_SHAPES.get(source_slug, ANY_SOURCE_ID)


def id_problem(model_id: str, source_slug: str, what: str = "model id") -> str:
    """Why ``model_id`` is not an id of the shape ``source_slug`` documents, or ""."""
    pattern, described = id_shape(source_slug)
    if len(model_id) > MAX_ID_LENGTH or not pattern.match(model_id):
        return f"{what} {model_id[:80]!r} is not the shape {source_slug} documents ({described})"
    return ""


class IdCheck:
    """Ids and provider slugs checked against their source's shape, each distinct one once (a
    sweep names each model once per host and each host once per model)."""

    def __init__(self, source_slug: str) -> None:
        self.source_slug = source_slug
        self.seen: dict[tuple[str, str], str] = {}

    def _check(self, what: str, text: str) -> str:
        problem = self.seen.get((what, text))
        if problem is None:
            if what == "provider":
                problem = "" if len(text) <= 64 and PROVIDER_SLUG.match(text) else (
                    f"provider {text[:80]!r} is not a slug (lowercase letters, digits, '.', '_', '-')")
            else:
                problem = id_problem(text, self.source_slug, what)
            self.seen[(what, text)] = problem
        return problem

    def problem(self, quote: Quote) -> str:
        return (self._check("model id", quote.provider_model_id)
                or (quote.canonical_hint and self._check("canonical id", quote.canonical_hint))
                or self._check("provider", quote.provider))


def _price_problem(name: str, value: object) -> str:
    if value.__class__ is not Decimal:
        return f"{name} is a {type(value).__name__}, not a Decimal"
    assert isinstance(value, Decimal)
    if not value.is_finite():
        return f"{name} is {value}, not a finite number"
    if value < 0:
        return f"{name} is negative ({value})"
    if value > PRICE_MAX:
        return f"{name} = {value} USD/M is above the {PRICE_MAX} USD/M band (a unit slip?)"
    return f"{name} = {value} USD/M is below the {PRICE_MIN_POSITIVE} USD/M floor (a unit slip?)"


def check_prices(quote: Quote) -> tuple[str, Quote]:
    """Why this quote's prices cannot be stored ("" if they can), and the quote in its stored
    form: prices rounded (half even) to the stored 10 places, so the period, the pending price and
    the change event all carry the same number."""
    if getattr(quote.price_kind, "_value_", None) not in PRICE_KINDS:
        return f"unknown price kind {quote.price_kind!r}", quote
    rounded: dict[str, Any] = {}  # name -> rounded Decimal, passed on as replace(quote, **rounded)
    for name, value in zip(PRICE_FIELDS, (quote.input, quote.output, quote.cached_input, quote.cache_write,
                                          quote.reasoning, quote.per_request), strict=True):
        if value is None:
            continue
        # One test for the usual case (a finite Decimal, free or inside the band), reasons after.
        if value.__class__ is Decimal and value.is_finite() and (not value or PRICE_MIN_POSITIVE <= value <= PRICE_MAX):
            stored = value.quantize(PRICE_STEP, rounding=ROUND_HALF_EVEN)
            if stored != value:
                rounded[name] = stored
            continue
        return _price_problem(name, value), quote
    return "", replace(quote, **rounded) if rounded else quote


def storable(text: str, limit: int) -> str:
    """Provider-supplied text as a database column can hold it (PostgreSQL refuses NUL)."""
    return text[:limit].replace("\x00", "\ufffd")


def rejection(run: CollectionRun, quote: Quote, reason: str) -> QuoteRejection:
    return QuoteRejection(run=run, provider_model_id=storable(quote.provider_model_id, 300),
                          provider=storable(quote.provider, 64), reason=storable(reason, 2000))


def screen(run: CollectionRun, source_slug: str, result: ParseResult, payload_ids: dict[int, int],
           quotes: list[Quote] | None = None, positions: dict[int, int] | None = None,
           ) -> tuple[list[Quote], list[QuoteRejection]]:
    """The ``quotes`` (default: the result's) that pass the guards, in their stored form, and a
    rejection for each item that did not (the parser's own per-item rejections first).
    ``payload_ids`` and ``positions`` (keyed by id(quote)) follow a quote that had to be rounded."""
    rejections = [QuoteRejection(run=run, provider_model_id=storable(pmid, 300), reason=storable(reason, 2000))
                  for pmid, reason in result.rejected]
    valid: list[Quote] = []
    ids = IdCheck(source_slug)
    for quote in result.quotes if quotes is None else quotes:
        reason, stored = check_prices(quote)
        reason = reason or ids.problem(quote)
        if reason:
            rejections.append(rejection(run, quote, reason))
            continue
        if stored is not quote:
            for follow in (payload_ids, positions or {}):
                if id(quote) in follow:
                    follow[id(stored)] = follow[id(quote)]
        valid.append(stored)
    return valid, rejections


def refusal(source: Source, result: ParseResult, n_valid: int, in_scope: frozenset[int] | None = None,
            n_open: int | None = None) -> str:
    """Why the whole run must be refused ("" if it may be applied): a complete listing that lost
    more than half of the open offers it speaks for (``in_scope``: those period ids; None: all of
    the source's, ``n_open`` of them if the caller has counted) is a broken response, not a market event."""
    if not result.complete:
        return ""
    if in_scope is None and n_open is not None:
        open_count = n_open
    elif in_scope is None:
        open_count = PricePeriod.objects.filter(source=source, valid_to__isnull=True).count()
    else:
        open_count = len(in_scope)
    if open_count >= REFUSE_MIN_OPEN and n_valid < open_count / 2:
        where = "open offers" if in_scope is None else "open offers in its scope"
        return (
            f"refused: the listing has {n_valid} valid quotes against {open_count} {where} "
            f"(lost more than half); last good prices kept"
        )
    return ""
