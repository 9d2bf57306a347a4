"""Rows from the read side -> response schemas. Money goes through money.plain: strings, no exponents."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from pricing.api import schemas as s
from pricing.change_text import summary
from pricing.models import ChangeEvent, CollectionRun, PricePeriod, Provider, Source
from pricing.money import plain
from pricing.queries import OfferRow, Reference, Workload
from pricing.ratios import HostPair


def dec(value: Decimal | None) -> str | None:
    return plain(value) if value is not None else None


def ratio(value: Decimal | None) -> str | None:
    """Ratios keep their two decimals ("27.40"): they are read as figures, not amounts."""
    return format(value, "f") if value is not None else None


def mix_text(mix: tuple[int, int]) -> str:
    return f"{mix[0]}:{mix[1]}"


def discount(extra: dict | None) -> dict[str, str | None]:
    """The stated discount and the list price before it, from a period's extra (see providers.identity)."""
    extra = extra or {}
    rate = extra.get("discount")
    listed = extra.get("list_price") if isinstance(extra.get("list_price"), dict) else {}
    if rate in (None, ""):
        return {"discount": None, "list_input": None, "list_output": None}
    return {"discount": str(rate), "list_input": listed.get("input"), "list_output": listed.get("output")}


def offer(row: OfferRow) -> s.OfferOut:
    return s.OfferOut(
        model=row.model_slug,
        provider=row.provider_slug,
        provider_name=row.provider_name,
        variant=row.variant,
        quantization=row.quantization,
        context_length=row.context_length,
        status=row.status,
        input=dec(row.input),
        output=dec(row.output),
        cached_input=dec(row.cached_input),
        cache_write=dec(row.cache_write),
        mix=dec(row.blended),
        price_kind=row.price_kind,
        **discount(row.extra),
        ttft_ms=dec(row.ttft_ms),
        tps=dec(row.tps),
        uptime=dec(row.uptime),
        perf_source=row.perf_source,
        perf_at=row.perf_at,
        source=row.source_slug,
        source_kind=row.source_kind,
        valid_from=row.valid_from,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        provider_kind=row.provider_kind,
        current=row.current,
        ended_at=row.ended_at,
        stale=row.stale,
        monthly_cost=dec(row.monthly_cost),
    )


def workload(w: Workload | None) -> s.WorkloadOut | None:
    if w is None:
        return None
    return s.WorkloadOut(monthly_input=plain(w.monthly_input), monthly_output=plain(w.monthly_output),
                         cached_share=plain(w.cached_share))


def cheapest(ref: Reference, row: OfferRow | None) -> s.CheapestOut | None:
    if ref.input is None or ref.output is None:
        return None
    return s.CheapestOut(
        provider=ref.provider_slug, variant=row.variant if row else "", input=dec(ref.input), output=dec(ref.output),
        mix=dec(ref.blended), source=ref.source_slug, last_seen=ref.last_seen, stale=ref.stale,
    )


def reference(ref: Reference) -> s.ReferenceOut:
    return s.ReferenceOut(
        model=ref.model_slug, basis=ref.basis, provider=ref.provider_slug, source=ref.source_slug,
        input=dec(ref.input), output=dec(ref.output), cached_input=dec(ref.cached_input), mix=dec(ref.blended),
        n_offers=ref.n_offers,
    )


def history_groups(periods: Iterable[PricePeriod]) -> list[s.OfferHistoryOut]:
    groups: dict[int, s.OfferHistoryOut] = {}
    for period in periods:
        group = groups.get(period.offer_id)
        if group is None:
            o = period.offer
            group = groups[period.offer_id] = s.OfferHistoryOut(
                provider=o.provider.slug, provider_name=o.provider.name, variant=o.variant,
                quantization=o.quantization, context_length=o.context_length, periods=[],
            )
        group.periods.append(s.PeriodOut(
            valid_from=period.valid_from, valid_to=period.valid_to, input=dec(period.input),
            output=dec(period.output), cached_input=dec(period.cached_input), price_kind=period.price_kind,
            source=period.source.slug, first_seen=period.first_seen, last_seen=period.last_seen,
        ))
    return list(groups.values())


def provider(p: Provider, n_offers: int | None = None, n_models: int | None = None) -> s.ProviderOut:
    return s.ProviderOut(
        slug=p.slug, name=p.name, kind=p.kind, website=p.website,
        n_offers=n_offers if n_offers is not None else getattr(p, "n_offers", 0),
        n_models=n_models if n_models is not None else getattr(p, "n_models", 0),
    )


def change(event: ChangeEvent) -> s.ChangeOut:
    return s.ChangeOut(
        id=str(event.public_id), kind=event.kind, at=event.at, model=event.offer.model.slug,
        provider=event.offer.provider.slug, variant=event.offer.variant, source=event.source.slug,
        field=event.field, old=event.old if isinstance(event.old, dict) else None,
        new=event.new if isinstance(event.new, dict) else None, text=summary(event),
    )


def source_status(src: Source) -> s.SourceStatusOut:
    return s.SourceStatusOut(
        source=src.slug, name=src.name, kind=src.kind, enabled=src.enabled, last_complete=src.last_complete,
        last_slot=src.last_slot, last_status=src.last_status, n_failed=src.n_failed,
        failed_since=src.failed_since, stale=src.stale,
    )


def run(r: CollectionRun) -> s.RunOut:
    return s.RunOut(
        source=r.source.slug, slot=r.slot, status=r.status, trigger=r.trigger, started=r.started, finished=r.finished,
        n_seen=r.n_seen, n_changed=r.n_changed, n_new=r.n_new, n_rejected=r.n_rejected, n_removed=r.n_removed,
        error=r.error[:500],
    )


def host_price(row: OfferRow) -> s.HostPriceOut:
    return s.HostPriceOut(variant=row.variant, quantization=row.quantization, input=dec(row.input),
                          output=dec(row.output), mix=dec(row.blended))


def host_pair(pair: HostPair) -> s.HostPairOut:
    return s.HostPairOut(
        provider=pair.provider_slug, provider_name=pair.provider_name, provider_kind=pair.provider_kind,
        a=host_price(pair.a), b=host_price(pair.b), input=ratio(pair.input), output=ratio(pair.output),
        mix=ratio(pair.blended),
    )
