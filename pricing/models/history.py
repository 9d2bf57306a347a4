"""History: price periods (change points, not polls), change events, performance samples."""

from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal

from django.db import models
from django.db.models import Q

from pricing.models.querysets import PricePeriodQuerySet

# A price above this (USD per million tokens) is a unit slip. Kept in step with
# providers.units.MAX_PER_MILLION; the CHECK constraints below are the database's backstop.
PRICE_MAX = Decimal("5000")
# A positive price below this (USD per million tokens, or USD per request) is a unit slip too: no
# real price is a millionth of a dollar per million tokens. Zero stays "free".
PRICE_MIN_POSITIVE = Decimal("0.000001")
# Prices are stored with 10 decimal places; ingestion rounds to this step (half even) before it
# writes a period or an event, so both always say the same number.
PRICE_STEP = Decimal("1E-10")
PRICE_FIELDS = ("input", "output", "cached_input", "cache_write", "reasoning", "per_request")


def _price_field(help_text: str) -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=10, null=True, blank=True, help_text=help_text)


def _price_checks(prefix: str) -> list[models.CheckConstraint]:
    # PostgreSQL NUMERIC accepts 'NaN' and sorts it above every number, and Infinity likewise,
    # so an upper bound rejects both along with unit slips; the lower bound rejects "-1".
    return [
        models.CheckConstraint(
            condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0, f"{name}__lte": PRICE_MAX}),
            name=f"{prefix}_{name}_in_band",
        )
        for name in PRICE_FIELDS
    ]


class PriceKind(models.TextChoices):
    FIXED = "fixed", "fixed"
    FREE = "free", "free"
    VARIABLE = "variable", "variable (set per request)"
    UNKNOWN = "unknown", "unknown"


class PriceState(models.Model):
    input = _price_field("USD per million input tokens")
    output = _price_field("USD per million output tokens")
    cached_input = _price_field("USD per million cached input tokens (cache read)")
    cache_write = _price_field("USD per million tokens written to the cache")
    reasoning = _price_field("USD per million reasoning tokens, where billed apart from output")
    per_request = _price_field("USD per request")
    price_kind = models.CharField(max_length=16, choices=PriceKind.choices, default=PriceKind.FIXED)
    # Conditional prices (long-context tiers, time-of-day windows), discounts, listed prices.
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True

    def price_tuple(self) -> tuple:
        return tuple(getattr(self, name) for name in PRICE_FIELDS) + (self.price_kind,)


def state_hash(values: tuple) -> str:
    """A short fingerprint of a price state (prices by value, then the kind), so a sweep can tell
    "unchanged" without reading and converting every stored Decimal."""
    parts = []
    for value in values[: len(PRICE_FIELDS)]:
        parts.append("" if value is None else format(value.normalize(), "f"))
    parts.append(str(values[len(PRICE_FIELDS)]))
    return hashlib.blake2b("|".join(parts).encode(), digest_size=8).hexdigest()


class PricePeriod(PriceState):
    """One price state of one offer according to one source, valid from ``valid_from`` until
    ``valid_to`` (null while current). A sweep that sees the same price moves ``last_seen``; a
    change closes this period and opens the next."""

    offer = models.ForeignKey("pricing.Offer", on_delete=models.CASCADE, related_name="periods")
    source = models.ForeignKey("pricing.Source", on_delete=models.PROTECT, related_name="periods")
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    run = models.ForeignKey("pricing.CollectionRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payload = models.ForeignKey("pricing.RawPayload", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    provider_model_id = models.CharField(max_length=300, blank=True)
    # Complete runs of this source in a row that did not list the offer; "removed" after several.
    n_missed = models.PositiveSmallIntegerField(default=0)
    state_hash = models.CharField(max_length=16, blank=True, help_text="fingerprint of the price state")

    objects = PricePeriodQuerySet.as_manager()

    class Meta:
        constraints = [
            # At most one open period per offer and source.
            models.UniqueConstraint(
                fields=["offer", "source"], condition=Q(valid_to__isnull=True), name="pricing_period_one_open"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="pricing_period_ordered",
            ),
            *_price_checks("pricing_period"),
        ]
        indexes = [
            # Ingestion and the model page read the open periods: WHERE source_id=… AND valid_to IS NULL.
            models.Index(fields=["source", "valid_to"], name="pricing_period_source_open"),
            # as_of reads and history series: WHERE offer_id IN (…) ORDER BY valid_from.
            models.Index(fields=["offer", "valid_from"], name="pricing_period_offer_from"),
        ]

    def __str__(self) -> str:
        return f"{self.offer_id}/{self.source_id} {self.input}/{self.output} from {self.valid_from:%Y-%m-%d}"

    def save(self, *args, **kwargs) -> None:
        self.state_hash = state_hash(self.price_tuple())
        super().save(*args, **kwargs)


class PendingPrice(PriceState):
    """A jump of 10x or more, held until the next run of the same source confirms it."""

    offer = models.ForeignKey("pricing.Offer", on_delete=models.CASCADE, related_name="pending")
    source = models.ForeignKey("pricing.Source", on_delete=models.CASCADE, related_name="+")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    run = models.ForeignKey("pricing.CollectionRun", null=True, on_delete=models.SET_NULL, related_name="+")
    payload = models.ForeignKey("pricing.RawPayload", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["offer", "source"], name="pricing_pending_unique"),
            *_price_checks("pricing_pending"),
        ]


class ChangeEvent(models.Model):
    """A change, written in the same transaction as the change itself (the alert outbox reads these)."""

    class Kind(models.TextChoices):
        PRICE = "price", "price changed"
        NEW_OFFER = "new_offer", "new offer"
        REMOVED = "removed", "offer removed"
        ATTRIBUTE = "attribute", "attribute changed"
        RETURNED = "returned", "offer returned"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    offer = models.ForeignKey("pricing.Offer", on_delete=models.CASCADE, related_name="events")
    source = models.ForeignKey("pricing.Source", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    field = models.CharField(max_length=32, blank=True, help_text="for attribute changes: which attribute")
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)
    run = models.ForeignKey("pricing.CollectionRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    period = models.ForeignKey(PricePeriod, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Historic events (snapshot loads, backfills) are history, not news: no alerts for them.
    notify = models.BooleanField(default=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # The changes page and feed: newest first, by id as the cursor.
            models.Index(fields=["-at", "-id"], name="pricing_event_recent"),
            models.Index(fields=["offer", "-at"], name="pricing_event_offer"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.offer_id} at {self.at:%Y-%m-%d %H:%M}"


class PerfSample(models.Model):
    """Latency and throughput of an offer over a window, from a source or our own probe."""

    class Kind(models.TextChoices):
        PASSIVE = "passive", "reported by the source"
        PROBE = "probe", "our own probe"

    offer = models.ForeignKey("pricing.Offer", on_delete=models.CASCADE, related_name="perf_samples")
    source = models.ForeignKey("pricing.Source", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PASSIVE)
    observed_at = models.DateTimeField()
    window = models.CharField(max_length=16, blank=True)
    ttft_p50_ms = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    ttft_p75_ms = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    ttft_p90_ms = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    ttft_p99_ms = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    tps_p50 = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    tps_p75 = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    tps_p90 = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    tps_p99 = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    uptime_5m = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    uptime_30m = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    uptime_1d = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    n_requests = models.PositiveIntegerField(null=True, blank=True)
    run = models.ForeignKey("pricing.CollectionRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            # Re-ingesting a run writes no second sample.
            models.UniqueConstraint(
                fields=["offer", "source", "kind", "observed_at", "window"], name="pricing_perf_unique"
            ),
            models.CheckConstraint(
                condition=Q(uptime_1d__isnull=True) | Q(uptime_1d__gte=0, uptime_1d__lte=100),
                name="pricing_perf_uptime_percent",
            ),
        ]
        indexes = [
            # The model page's latency chart: WHERE offer_id IN (…) AND observed_at >= … ORDER BY observed_at.
            models.Index(fields=["offer", "observed_at"], name="pricing_perf_offer_time"),
            # Retention deletes by age.
            models.Index(fields=["observed_at"], name="pricing_perf_time"),
        ]


class PerfRollup(models.Model):
    """One day of samples of one offer from one source: what long-range charts read."""

    offer = models.ForeignKey("pricing.Offer", on_delete=models.CASCADE, related_name="perf_rollups")
    source = models.ForeignKey("pricing.Source", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=PerfSample.Kind.choices, default=PerfSample.Kind.PASSIVE)
    day = models.DateField()
    ttft_p50_ms = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    ttft_p90_ms = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    tps_p50 = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    tps_p90 = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    uptime_mean = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    n_samples = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["offer", "source", "kind", "day"], name="pricing_rollup_unique")
        ]
        indexes = [models.Index(fields=["offer", "day"], name="pricing_rollup_offer_day")]
