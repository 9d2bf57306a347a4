"""A change event in words: only what changed, money in the one format of ``pricing.money``.

Pages (changes, provider, home), Atom feeds and alert texts all read events through here, so
"15/60 → 15/60" (a cached-input price appeared; input and output stood still) cannot come back.
"""

from __future__ import annotations

from dataclasses import dataclass

from pricing.models import ChangeEvent
from pricing.money import amount, to_decimal

PRICE_LABELS = {"input": "input", "output": "output", "cached_input": "cached input", "cache_write": "cache write",
                "reasoning": "reasoning", "per_request": "per request", "price_kind": "kind"}


@dataclass
class EventLine:
    label: str
    old: str  # empty for a new offer: there is no "before"
    new: str

    def __str__(self) -> str:
        return f"{self.label} {self.old} → {self.new}" if self.old else f"{self.label} {self.new}"


def _text(value: object) -> str:
    return "—" if value in (None, "") else str(value)


def _money(value: object) -> str:
    number = to_decimal(value)
    return _text(value) if number is None and value not in (None, "") else amount(number)


def describe(event: ChangeEvent) -> list[EventLine]:
    """What changed, as lines: ``cached input: — → $7.50``. Prices carry no unit here (the caller
    says "per M tokens" once); a price change lists only the prices that moved."""
    old = event.old if isinstance(event.old, dict) else {}
    new = event.new if isinstance(event.new, dict) else {}
    if event.kind == ChangeEvent.Kind.ATTRIBUTE:
        name = event.field or next(iter(new), "")
        return [EventLine(name.replace("_", " "), _text(old.get(name)), _text(new.get(name)))]
    is_change = event.kind == ChangeEvent.Kind.PRICE
    lines = []
    for key, label in PRICE_LABELS.items():
        a, b = old.get(key), new.get(key)
        if key == "price_kind":
            if is_change and a != b:
                lines.append(EventLine(label, _text(a), _text(b)))
            continue
        if a in (None, "") and b in (None, ""):
            continue
        # "15" and "15.00" are one price: compare numbers, not the strings JSON kept.
        if is_change and to_decimal(a) == to_decimal(b) and (to_decimal(a) is not None or a == b):
            continue
        lines.append(EventLine(label, _money(a) if is_change else "", _money(b)))
    return lines


def summary(event: ChangeEvent) -> str:
    """One line: "input $0.50 → $0.40, cached input — → $0.10 per M tokens"."""
    lines = describe(event)
    if not lines:
        return event.get_kind_display()
    unit = " per M tokens" if event.kind != ChangeEvent.Kind.ATTRIBUTE else ""
    return ", ".join(str(line) for line in lines) + unit
