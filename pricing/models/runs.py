"""Collection runs and the raw payloads they received."""

from __future__ import annotations

import gzip
import hashlib

from django.db import models

from pricing.models.querysets import CollectionRunQuerySet


class CollectionRun(models.Model):
    """One sweep of one source for one schedule slot. ``(source, slot)`` is unique, so a second
    beat, a redelivered message or a reconciler retry can never make a second run."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        RUNNING = "running", "running"
        COMPLETE = "complete", "complete"
        PARTIAL = "partial", "partial"
        FAILED = "failed", "failed"
        REFUSED = "refused", "refused"
        SKIPPED = "skipped", "skipped"

    FINISHED = (Status.COMPLETE, Status.PARTIAL, Status.FAILED, Status.REFUSED, Status.SKIPPED)

    source = models.ForeignKey("pricing.Source", on_delete=models.CASCADE, related_name="runs")
    slot = models.DateTimeField(help_text="start of the schedule slot this run fills")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    # A worker holds the run until then; past it, the reconciler may hand it to another worker.
    lease_expires = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    trigger = models.CharField(max_length=32, blank=True, help_text="beat, command, reconciler, file, snapshot")
    n_seen = models.PositiveIntegerField(default=0)
    n_changed = models.PositiveIntegerField(default=0)
    n_new = models.PositiveIntegerField(default=0)
    n_rejected = models.PositiveIntegerField(default=0)
    n_pending = models.PositiveIntegerField(default=0)
    n_unmatched = models.PositiveIntegerField(default=0)
    n_removed = models.PositiveIntegerField(default=0)
    n_samples = models.PositiveIntegerField(default=0)
    n_held = models.PositiveIntegerField(default=0, help_text="new models/offers held over the per-run cap")
    error = models.TextField(blank=True)

    objects = CollectionRunQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "slot"], name="pricing_run_unique_slot")]
        indexes = [
            # Freshness: the last complete run per source; the reconciler: unfinished runs.
            models.Index(fields=["source", "status", "-slot"], name="pricing_run_source_status"),
            models.Index(fields=["status", "lease_expires"], name="pricing_run_unfinished"),
        ]
        ordering = ["-slot"]

    def __str__(self) -> str:
        return f"{self.source_id} {self.slot:%Y-%m-%d %H:%M} {self.status}"


class RawPayload(models.Model):
    """A response body exactly as received, gzip-compressed. Identical bodies are stored once."""

    sha256 = models.CharField(max_length=64, unique=True)
    body_gz = models.BinaryField()
    size = models.PositiveIntegerField()
    first_url = models.URLField(max_length=2000)
    first_fetched_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.size} bytes)"

    @property
    def body(self) -> bytes:
        return gzip.decompress(bytes(self.body_gz))

    @staticmethod
    def digest(body: bytes) -> str:
        return hashlib.sha256(body).hexdigest()


class RunPayload(models.Model):
    """Which payloads a run received, from which URL, when, and how the parser took them."""

    run = models.ForeignKey(CollectionRun, on_delete=models.CASCADE, related_name="payloads")
    payload = models.ForeignKey(RawPayload, null=True, blank=True, on_delete=models.PROTECT, related_name="uses")
    url = models.URLField(max_length=2000)
    kind = models.CharField(max_length=32, blank=True)
    fetched_at = models.DateTimeField()
    status = models.PositiveSmallIntegerField(default=200)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["run"], name="pricing_runpayload_run")]


class QuoteRejection(models.Model):
    """A quote that a guard refused, with the reason, so a person can see what was not stored."""

    run = models.ForeignKey(CollectionRun, on_delete=models.CASCADE, related_name="rejections")
    provider_model_id = models.CharField(max_length=300)
    provider = models.CharField(max_length=64, blank=True)
    reason = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["run"], name="pricing_rejection_run")]


class HeldQuote(models.Model):
    """A quote that would have created a model or an offer beyond the per-run cap
    (INGEST_MAX_NEW_MODELS / INGEST_MAX_NEW_OFFERS): kept, not applied, until a person confirms it
    in the admin. A source's later run replaces its unconfirmed held quotes with its own."""

    run = models.ForeignKey(CollectionRun, on_delete=models.CASCADE, related_name="held")
    source = models.ForeignKey("pricing.Source", on_delete=models.CASCADE, related_name="+")
    provider_model_id = models.CharField(max_length=300)
    provider = models.CharField(max_length=64, blank=True)
    reason = models.TextField()
    quote = models.JSONField(help_text="the normalised quote, as ingestion would apply it")
    created = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["source", "confirmed_at"], name="pricing_held_source_open")]

    def __str__(self) -> str:
        return f"{self.provider}/{self.provider_model_id} (held)"
