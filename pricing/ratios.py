"""Ratios between models (or hosts): the o1 against R1 gap, at any date, for any token mix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from pricing.models import Model
from pricing.queries import DEFAULT_MIX, OfferRow, QueryError, Reference, check_basis, offers_for_models, reference

MAX_MODELS = 12


def ratio(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    """a / b to two decimals; None when either is unknown or b is free."""
    if a is None or b is None or b == 0:
        return None
    return (a / b).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass
class Pair:
    a: str
    b: str
    input: Decimal | None
    output: Decimal | None
    blended: Decimal | None


def resolve_models(slugs: list[str]) -> list[Model]:
    if not slugs:
        raise QueryError("name at least one model, e.g. models=openai/o1,deepseek/deepseek-r1")
    if len(slugs) > MAX_MODELS:
        raise QueryError(f"at most {MAX_MODELS} models at once")
    found = {m.slug: m for m in Model.objects.filter(slug__in=slugs).select_related("first_party")}
    missing = [s for s in slugs if s not in found]
    if missing:
        raise LookupError(f"unknown model(s): {', '.join(missing)}")
    return [found[s] for s in slugs]


def references(
    models: list[Model], *, basis: str | list[str] = "cheapest", mix: tuple[int, int] = DEFAULT_MIX,
    as_of: datetime | None = None,
) -> list[Reference]:
    """One reference price per model; ``basis`` may differ per model (a host for each)."""
    bases = basis if isinstance(basis, list) else [basis] * len(models)
    for item in bases:
        check_basis(item)
    rows = offers_for_models(models, as_of=as_of, mix=mix, perf=False)
    return [reference(model, rows[model.id], b, mix) for model, b in zip(models, bases, strict=True)]


def pairs(refs: list[Reference]) -> list[Pair]:
    """Every ordered pair (a, b) with a before b: how many times dearer a is than b."""
    out = []
    for i, a in enumerate(refs):
        for b in refs[i + 1 :]:
            out.append(Pair(a.model_slug, b.model_slug, ratio(a.input, b.input), ratio(a.output, b.output),
                            ratio(a.blended, b.blended)))
    return out


def matrix(refs: list[Reference], field: str = "blended") -> list[list[Decimal | None]]:
    """Square matrix of ratios row / column for a heatmap."""
    return [[ratio(getattr(a, field), getattr(b, field)) for b in refs] for a in refs]


@dataclass
class HostPair:
    """One host that serves both models: its price of each and the ratio a / b."""

    provider_slug: str
    provider_name: str
    provider_kind: str
    a: OfferRow
    b: OfferRow
    input: Decimal | None
    output: Decimal | None
    blended: Decimal | None


def _list_price(rows: list[OfferRow]) -> dict[str, OfferRow]:
    """Per provider, the offer that stands for its list price: paid and fixed, the default
    variant before named ones (batch, turbo, free are not the list price)."""
    out: dict[str, OfferRow] = {}
    for row in sorted(rows, key=lambda r: (r.variant != "", r.variant)):
        if row.is_priced and row.price_kind == "fixed":
            out.setdefault(row.provider_slug, row)
    return out


def host_pairs(a_rows: list[OfferRow], b_rows: list[OfferRow]) -> list[HostPair]:
    """Host by host: every provider pricing both models, cheapest for b first. The ratio at one
    host is free of the host's margin and hardware, which the cross-host ratio is not."""
    a_by, b_by = _list_price(a_rows), _list_price(b_rows)
    out = []
    for slug in a_by.keys() & b_by.keys():
        a, b = a_by[slug], b_by[slug]
        out.append(HostPair(slug, a.provider_name, a.provider_kind, a, b, ratio(a.input, b.input),
                            ratio(a.output, b.output), ratio(a.blended, b.blended)))
    out.sort(key=lambda p: (p.b.blended, p.provider_slug))
    return out
