"""Matching change events against rules, and saying what matched in words.

Pure functions over rows already loaded: the dispatcher loads a batch of events and every live
rule once, then asks ``match(rule, event, ctx)`` for each pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from pricing.models import ChangeEvent, Offer
from pricing.money import amount, mix_text, to_decimal
from pricing.queries import blended, comparable, offers_for_models

from .models import Rule

C = Rule.Condition
PRICE_KINDS = {ChangeEvent.Kind.PRICE}


_dec = to_decimal


def usd(value: Decimal | None) -> str:
    """A price in an alert text: "$0.85" ("$0.00", not "free", for a zero threshold)."""
    return amount(value, zero="$0.00")


def watched(rule: Rule) -> str:
    """What a price rule watches, in words: "input", "blended 3:1"."""
    if rule.price_field == Rule.Field.BLENDED:
        return f"blended {mix_text(rule.mix)}"
    return str(rule.price_field)


def price_of(state: dict | None, rule: Rule) -> Decimal | None:
    """The watched price (input, output or blended at the rule's mix) of a state JSON."""
    if not state:
        return None
    if rule.price_field == Rule.Field.BLENDED:
        return blended(_dec(state.get("input")), _dec(state.get("output")), rule.mix)
    return _dec(state.get(rule.price_field))


def pct_change(old: Decimal | None, new: Decimal | None) -> Decimal | None:
    if old is None or new is None or old == 0:
        return None
    return ((new - old) / old * 100).quantize(Decimal("0.1"))


@dataclass
class Context:
    """What evaluating one batch needs beyond the rows: which offers changed price in which run
    (for "silent" changes), and memoised cheapest-offer look-ups."""

    priced_runs: set[tuple[int, int | None]] = field(default_factory=set)
    cheapest_memo: dict[tuple[int, datetime, tuple[int, int]], tuple] = field(default_factory=dict)
    fired_cheapest: set[tuple[int, int, datetime]] = field(default_factory=set)

    @classmethod
    def for_events(cls, events: list[ChangeEvent]) -> Context:
        ctx = cls()
        for event in events:
            if event.kind == ChangeEvent.Kind.PRICE:
                ctx.priced_runs.add((event.offer_id, event.run_id))
        return ctx

    def cheapest(self, model, at: datetime, mix: tuple[int, int]) -> tuple:
        key = (model.id, at, mix)
        if key not in self.cheapest_memo:
            rows = offers_for_models([model], as_of=at, mix=mix, perf=False).get(model.id, [])
            priced = comparable(rows)  # current host offers at a fixed price, as every figure uses
            best = min(priced, key=lambda r: (r.blended, r.provider_slug), default=None)
            self.cheapest_memo[key] = (best.offer_id, best.blended, best.provider_slug) if best else (None, None, "")
        return self.cheapest_memo[key]


def in_scope(rule: Rule, offer: Offer) -> bool:
    if rule.offer_id:
        return offer.id == rule.offer_id
    if rule.model_id and offer.model_id != rule.model_id:
        return False
    if rule.provider_id and offer.provider_id != rule.provider_id:
        return False
    return True


def match(rule: Rule, event: ChangeEvent, ctx: Context) -> str | None:
    """A one-line summary if the event fires the rule, else None."""
    offer = event.offer
    if rule.condition == C.STALE or not in_scope(rule, offer):
        return None
    label = offer_label(offer)
    if rule.condition in (C.CHANGE, C.DROP, C.RISE, C.BELOW, C.ABOVE):
        if event.kind == ChangeEvent.Kind.NEW_OFFER and rule.condition in (C.BELOW, C.ABOVE):
            new = price_of(event.new, rule)
            if new is None or rule.threshold is None:
                return None
            hit = new < rule.threshold if rule.condition == C.BELOW else new > rule.threshold
            return (f"{label}: new offer, {watched(rule)} {usd(new)} / M ({rule.condition} {usd(rule.threshold)})"
                    if hit else None)
        if event.kind not in PRICE_KINDS:
            return None
        old, new = price_of(event.old, rule), price_of(event.new, rule)
        change = price_summary(event)
        if rule.condition == C.CHANGE:
            return f"{label}: {change}"
        if rule.condition in (C.DROP, C.RISE):
            pct = pct_change(old, new)
            if pct is None or rule.percent is None:
                return None
            hit = pct <= -rule.percent if rule.condition == C.DROP else pct >= rule.percent
            return f"{label}: {watched(rule)} {usd(old)} → {usd(new)} / M ({pct:+}%)" if hit else None
        if old is None or new is None or rule.threshold is None:
            return None
        if rule.condition == C.BELOW:
            hit = old >= rule.threshold > new
        else:
            hit = old <= rule.threshold < new
        word = "below" if rule.condition == C.BELOW else "above"
        return f"{label}: {watched(rule)} {usd(old)} → {usd(new)} / M, {word} {usd(rule.threshold)}" if hit else None
    if rule.condition == C.NEW_HOST:
        if event.kind in (ChangeEvent.Kind.NEW_OFFER, ChangeEvent.Kind.RETURNED):
            return f"{label}: new host for {offer.model.slug} ({price_summary(event)})"
        return None
    if rule.condition == C.REMOVED:
        return f"{label}: offer removed" if event.kind == ChangeEvent.Kind.REMOVED else None
    if rule.condition == C.SILENT:
        # Fires whether or not the price moved in the same run: a host that re-quantizes and
        # reprices at once has changed what the money buys, the price alert alone would hide that.
        if event.kind != ChangeEvent.Kind.ATTRIBUTE or (rule.attribute and event.field != rule.attribute):
            return None
        old = (event.old or {}).get(event.field)
        new = (event.new or {}).get(event.field)
        priced = (event.offer_id, event.run_id) in ctx.priced_runs
        name = event.field.replace("_", " ")
        return f"{label}: {name} {old} → {new}, {'price changed too' if priced else 'price unchanged'}"
    if rule.condition == C.CHEAPEST:
        if event.kind not in (ChangeEvent.Kind.PRICE, ChangeEvent.Kind.NEW_OFFER, ChangeEvent.Kind.REMOVED,
                              ChangeEvent.Kind.RETURNED):
            return None
        # One instant can hold several events of one model (a whole sweep): judge it once.
        once = (rule.id, offer.model_id, event.at)
        if once in ctx.fired_cheapest:
            return None
        before = ctx.cheapest(offer.model, event.at - timedelta(microseconds=1), rule.mix)
        after = ctx.cheapest(offer.model, event.at, rule.mix)
        if before[0] == after[0] or after[0] is None:
            return None
        ctx.fired_cheapest.add(once)
        was = f"{before[2]} at {usd(before[1])}" if before[0] else "none"
        return (f"{offer.model.slug}: cheapest is now {after[2]} at {usd(after[1])} / M blended {mix_text(rule.mix)}"
                f" (was {was})")
    return None


def offer_label(offer: Offer) -> str:
    variant = f" [{offer.variant}]" if offer.variant else ""
    return f"{offer.model.slug} @ {offer.provider.slug}{variant}"


def price_summary(event: ChangeEvent) -> str:
    old, new = event.old or {}, event.new or {}
    parts = []
    for key, name in (("input", "input"), ("output", "output"), ("cached_input", "cached input")):
        a, b = _dec(old.get(key)), _dec(new.get(key))
        if event.kind == ChangeEvent.Kind.PRICE:
            if a == b:
                continue
            pct = pct_change(a, b)
            parts.append(f"{name} {usd(a)} → {usd(b)}" + (f" ({pct:+}%)" if pct is not None else ""))
        elif b is not None:
            parts.append(f"{name} {usd(b)}")
    if not parts and old.get("price_kind") != new.get("price_kind"):
        parts.append(f"price kind {old.get('price_kind')} → {new.get('price_kind')}")
    return ", ".join(parts) + " / M tokens" if parts else "price changed"
