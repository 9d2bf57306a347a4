"""Point-in-time rows built in memory from periods fetched once: the ratio history a chart
draws (a sweep line over every change) and each offer's last known price."""

from __future__ import annotations

import heapq
from datetime import datetime
from types import SimpleNamespace

from pricing.models import Model, Offer, PricePeriod, Source
from pricing.models.querysets import scope_key, still_listed, trust_key
from pricing.queries.base import DEFAULT_MIX
from pricing.queries.offers import OfferRow, Reference, _row, reference


def periods_for_models(model_ids: list[int]) -> list[SimpleNamespace]:
    """Every price period of every offer of these models, the input of a sweep: three queries.

    A year of daily changes is thousands of periods; as plain tuples joined in Python to offers
    and sources fetched once, they load several times faster than model instances with three
    select_related joins each.
    """
    offers = {o.id: o for o in Offer.objects.filter(model_id__in=model_ids).select_related("provider", "model")}
    sources = {src.id: src for src in Source.objects.only("id", "slug", "kind", "weight")}
    # pricing_period_offer_from serves WHERE offer_id IN (…) ORDER BY valid_from.
    rows = (
        PricePeriod.objects.filter(offer_id__in=list(offers))
        .order_by("valid_from", "id")
        .values_list("id", "offer_id", "source_id", "input", "output", "cached_input", "cache_write", "price_kind",
                     "valid_from", "valid_to", "first_seen", "last_seen", "extra")
    )
    out = []
    for pid, offer_id, source_id, i, o, ci, cw, kind, vf, vt, fs, ls, extra in rows:
        out.append(SimpleNamespace(
            id=pid, offer_id=offer_id, offer=offers[offer_id], source_id=source_id, source=sources[source_id],
            input=i, output=o, cached_input=ci, cache_write=cw, price_kind=kind, valid_from=vf, valid_to=vt,
            first_seen=fs, last_seen=ls, extra=extra, ended=False,
        ))
    _end_unlisted(out)
    return out


def _end_unlisted(periods: list) -> None:
    """An open period that later listings of its source in scope left out ends, for the sweep,
    at the latest of those listings: from there on it is not current (see offers.py)."""
    def scope(p) -> tuple:
        return scope_key(p.source_id, p.source.kind, p.offer.model_id, p.offer.provider_id, p.offer.provider.kind)

    scope_seen: dict = {}
    for p in periods:
        if p.valid_to is None:
            scope_seen[scope(p)] = max(p.last_seen, scope_seen.get(scope(p), p.last_seen))
    for p in periods:
        if p.valid_to is None:
            seen = scope_seen[scope(p)]
            if not still_listed(p.last_seen, seen):
                p.valid_to, p.ended = seen, True


def _best(candidates: list) -> SimpleNamespace:
    # The same rule as every read (pricing.models.querysets.TRUST_ORDER).
    return max(candidates, key=lambda p: trust_key(p.source.weight, p.last_seen, p.valid_from, p.id))


def reference_sweep(
    models: list[Model], bases: list[str], periods: list, mix: tuple[int, int] = DEFAULT_MIX,
    since: datetime | None = None,
) -> list[tuple[datetime, list[Reference]]]:
    """References of each model at every instant a price started or ended (a sweep line)."""
    by_model = {m.id: m for m in models}
    model_of = {p.offer_id: p.offer.model_id for p in periods}
    times = sorted({p.valid_from for p in periods} | {p.valid_to for p in periods if p.valid_to})
    starts = sorted(periods, key=lambda p: (p.valid_from, p.id))
    ends: list[tuple] = []
    active: dict[int, dict[int, SimpleNamespace]] = {}
    out: list[tuple[datetime, list[Reference]]] = []
    rows_by_offer: dict[int, OfferRow] = {}
    i = 0
    for t in times:
        dirty: set[int] = set()
        while i < len(starts) and starts[i].valid_from <= t:
            p = starts[i]
            active.setdefault(p.offer_id, {})[p.id] = p
            dirty.add(p.offer_id)
            if p.valid_to is not None:
                heapq.heappush(ends, (p.valid_to, p.id, p))
            i += 1
        while ends and ends[0][0] <= t:
            _, pid, p = heapq.heappop(ends)
            active.get(p.offer_id, {}).pop(pid, None)
            dirty.add(p.offer_id)
        # Only offers whose periods started or ended now get a new row.
        for offer_id in dirty:
            held = active.get(offer_id)
            if held:
                best = _best(list(held.values()))
                rows_by_offer[offer_id] = _row(best.offer, best, mix)
            else:
                rows_by_offer.pop(offer_id, None)
        if since is not None and t < since:
            continue
        rows: dict[int, list[OfferRow]] = {mid: [] for mid in by_model}
        for offer_id, row in rows_by_offer.items():
            rows[model_of[offer_id]].append(row)
        out.append((t, [reference(m, rows[m.id], b, mix) for m, b in zip(models, bases, strict=True)]))
    return out


def latest_known_rows(periods: list, mix: tuple[int, int] = DEFAULT_MIX) -> dict[int, list[OfferRow]]:
    """Each offer at its last known price, open or closed: the fallback when nothing is current."""
    last: dict[int, PricePeriod] = {}
    for p in periods:
        held = last.get(p.offer_id)
        key = (p.valid_to is None, p.valid_to or p.valid_from, p.source.weight, p.valid_from)
        if held is None or key > (held.valid_to is None, held.valid_to or held.valid_from, held.source.weight,
                                  held.valid_from):
            last[p.offer_id] = p
    rows: dict[int, list[OfferRow]] = {}
    for p in last.values():
        rows.setdefault(p.offer.model_id, []).append(_row(p.offer, p, mix))
    return rows


