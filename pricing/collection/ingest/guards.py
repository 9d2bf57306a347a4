"""Step 1 of ingestion: which quotes may be stored at all, and whether the run may be applied.

A quote with a price that is not a finite, non-negative Decimal inside the band is rejected with a
reason (a QuoteRejection row); the rest go on. A complete listing that lost more than half of the
source's open offers is refused whole, keeping the last good prices.
"""

from __future__ import annotations

from decimal import Decimal

from pricing.models import CollectionRun, PricePeriod, QuoteRejection, Source
from pricing.models.history import PRICE_FIELDS, PRICE_MAX, PriceKind
from providers.base import ParseResult, Quote

# Below this many open offers the "lost more than half" rule would refuse ordinary churn.
REFUSE_MIN_OPEN = 4
PRICE_KINDS = frozenset(PriceKind.values)


def reason_to_reject(quote: Quote) -> str:
    """Why this quote cannot be stored, or "" if it can."""
    if getattr(quote.price_kind, "_value_", None) not in PRICE_KINDS:
        return f"unknown price kind {quote.price_kind!r}"
    for name, value in zip(PRICE_FIELDS, (quote.input, quote.output, quote.cached_input, quote.cache_write,
                                          quote.reasoning, quote.per_request), strict=True):
        if value is None:
            continue
        if value.__class__ is not Decimal:
            return f"{name} is a {type(value).__name__}, not a Decimal"
        if not value.is_finite():
            return f"{name} is {value}, not a finite number"
        if value < 0:
            return f"{name} is negative ({value})"
        if value > PRICE_MAX:
            return f"{name} = {value} USD/M is above the {PRICE_MAX} USD/M band (a unit slip?)"
    return ""


def rejection(run: CollectionRun, quote: Quote, reason: str) -> QuoteRejection:
    return QuoteRejection(run=run, provider_model_id=quote.provider_model_id[:300], provider=quote.provider[:64],
                          reason=reason[:2000])


def screen(run: CollectionRun, result: ParseResult) -> tuple[list[Quote], list[QuoteRejection]]:
    """The quotes that pass the guards, and a rejection for each item that did not (the parser's
    own per-item rejections first)."""
    rejections = [QuoteRejection(run=run, provider_model_id=pmid[:300], reason=reason[:2000])
                  for pmid, reason in result.rejected]
    valid: list[Quote] = []
    for quote in result.quotes:
        reason = reason_to_reject(quote)
        if reason:
            rejections.append(rejection(run, quote, reason))
        else:
            valid.append(quote)
    return valid, rejections


def refusal(source: Source, result: ParseResult, n_valid: int, in_scope: frozenset[int] | None = None) -> str:
    """Why the whole run must be refused ("" if it may be applied): a complete listing that lost
    more than half of the open offers it speaks for (``in_scope``: those period ids; None: all of
    the source's) is a broken response, not a market event."""
    if not result.complete:
        return ""
    if in_scope is None:
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
