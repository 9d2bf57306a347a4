"""One endpoint is one offer over time: merge the offers that a quantization in the key split.

Until now an OpenRouter tag's quantization was part of the offer's key, so one host endpoint
became two offers when its tag changed (``crusoe`` in 2025, ``crusoe/bf16`` in 2026), and the
stale one stayed "current" and often "cheapest". This merges every offer whose variant is only a
quantization (and SambaNova's ``sambanova-turbo`` tag, its one endpoint) into the offer with the
empty variant, keeping all history: price periods (the older open one is closed where the newer
begins, with a price event when the price differs), change events, performance samples and
rollups, held jumps and alert rules. Offers that were listed side by side (seen at overlapping
times by one source) really are two offers and are left alone.

Self-contained on purpose: a migration must not change meaning when application code changes.
"""

from __future__ import annotations

from django.db import migrations

QUANTIZATIONS = {"int4", "int8", "fp4", "mxfp4", "nvfp4", "fp6", "fp8", "mxfp8", "fp16", "bf16", "fp32", "unknown"}
PRICES = ("input", "output", "cached_input", "cache_write", "reasoning", "per_request")


def _split(offer, PricePeriod) -> bool:
    """Was this offer split off only by a quantization (or a SambaNova "-turbo" tag head)?"""
    if offer.variant in QUANTIZATIONS:
        return True
    tags = {str((p.extra or {}).get("tag", "")) for p in PricePeriod.objects.filter(offer=offer)}
    slug = offer.provider.slug
    return bool(tags) and tags == {f"{slug}-{offer.variant}"} and slug == "sambanova"


def _side_by_side(a_periods, b_periods) -> bool:
    for a in a_periods:
        for b in b_periods:
            if a.source_id == b.source_id and a.first_seen <= b.last_seen and b.first_seen <= a.last_seen:
                return True
    return False


def _state(period) -> dict:
    out = {name: None if getattr(period, name) is None else format(getattr(period, name).normalize(), "f")
           for name in PRICES}
    out["price_kind"] = period.price_kind
    return out


def _chain(target, periods, ChangeEvent) -> None:
    """Per source, in time order: a period still running when the next begins is closed there."""
    by_source: dict[int, list] = {}
    for period in periods:
        by_source.setdefault(period.source_id, []).append(period)
    for rows in by_source.values():
        rows.sort(key=lambda p: (p.valid_from, p.id))
        for earlier, later in zip(rows, rows[1:], strict=False):
            if earlier.valid_to is None or earlier.valid_to > later.valid_from:
                _close_at(target, earlier, later, ChangeEvent)


def _move_unique(model, src, target, fields) -> None:
    """Move rows keyed by (offer, *fields) to the target; a row the target already has is dropped."""
    taken = set(model.objects.filter(offer=target).values_list(*fields))
    for row in model.objects.filter(offer=src):
        key = tuple(getattr(row, name) for name in fields)
        if key in taken:
            row.delete()
        else:
            row.offer = target
            row.save(update_fields=["offer"])
            taken.add(key)


def merge(apps, schema_editor) -> None:
    Offer = apps.get_model("pricing", "Offer")
    PricePeriod = apps.get_model("pricing", "PricePeriod")
    ChangeEvent = apps.get_model("pricing", "ChangeEvent")
    PerfSample = apps.get_model("pricing", "PerfSample")
    PerfRollup = apps.get_model("pricing", "PerfRollup")
    PendingPrice = apps.get_model("pricing", "PendingPrice")
    Rule = apps.get_model("alerts", "Rule")
    candidates = [o for o in Offer.objects.exclude(variant="").select_related("provider") if _split(o, PricePeriod)]
    groups: dict[tuple[int, int], list] = {}
    for offer in candidates:
        groups.setdefault((offer.provider_id, offer.model_id), []).append(offer)
    for (provider_id, model_id), offers in groups.items():
        target = Offer.objects.filter(provider_id=provider_id, model_id=model_id, variant="").first()
        members = ([target] if target else []) + offers
        periods = {o.id: list(PricePeriod.objects.filter(offer=o)) for o in members}
        if any(_side_by_side(periods[a.id], periods[b.id]) for i, a in enumerate(members) for b in members[i + 1:]):
            continue  # sold side by side: really two offers
        newest = max(members, key=lambda o: max((p.last_seen for p in periods[o.id]), default=o.first_seen))
        tagged = newest.variant if newest.variant in QUANTIZATIONS else ""
        if target is None:
            target = offers[0]
        for src in members:
            if src.id == target.id:
                continue
            _close_before_move(src, target, PricePeriod, ChangeEvent)
            PricePeriod.objects.filter(offer=src).update(offer=target)
            ChangeEvent.objects.filter(offer=src).update(offer=target)
            _move_unique(PerfSample, src, target, ("source_id", "kind", "observed_at", "window"))
            _move_unique(PerfRollup, src, target, ("source_id", "kind", "day"))
            _move_unique(PendingPrice, src, target, ("source_id",))
            Rule.objects.filter(offer=src).update(offer=target)
            target.first_seen = min(target.first_seen, src.first_seen)
            src.delete()
        _chain(target, list(PricePeriod.objects.filter(offer=target)), ChangeEvent)
        target.variant = ""
        for name in ("quantization", "context_length", "max_output", "status", "provider_model_id"):
            value = getattr(newest, name)
            if value not in (None, ""):
                setattr(target, name, value)
        if not newest.quantization and tagged:
            target.quantization = tagged
        best = (PricePeriod.objects.filter(offer=target, valid_to__isnull=True)
                .order_by("-source__weight", "-last_seen", "-id").first())
        target.current_period = best
        if best is not None:
            target.gone_at = None
        elif target.gone_at is None:
            last = PricePeriod.objects.filter(offer=target).order_by("-valid_to").values_list("valid_to", flat=True).first()
            target.gone_at = last
        target.save()


def _close_before_move(src, target, PricePeriod, ChangeEvent) -> None:
    """Both offers may have an open period from one source; only one may stay open once merged:
    the one that began earlier is closed where the later one begins."""
    for period in PricePeriod.objects.filter(offer=src, valid_to__isnull=True):
        other = PricePeriod.objects.filter(offer=target, source_id=period.source_id, valid_to__isnull=True).first()
        if other is not None:
            pair = sorted([other, period], key=lambda p: (p.valid_from, p.id))
            _close_at(target, pair[0], pair[1], ChangeEvent)


def _close_at(target, earlier, later, ChangeEvent) -> None:
    """End ``earlier`` where ``later`` begins; a different price there is a price change."""
    earlier.valid_to = max(later.valid_from, earlier.valid_from)
    earlier.save(update_fields=["valid_to"])
    old, new = _state(earlier), _state(later)
    if old != new:
        ChangeEvent.objects.create(kind="price", offer=target, source_id=later.source_id, at=later.valid_from,
                                   old=old, new=new, run_id=later.run_id, period=later, notify=False)


class Migration(migrations.Migration):
    dependencies = [
        ("pricing", "0002_priceperiod_state_hash"),
        ("alerts", "0001_initial"),
    ]

    operations = [migrations.RunPython(merge, migrations.RunPython.noop)]
