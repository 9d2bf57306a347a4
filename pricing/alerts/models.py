"""Alert rules, channels, and the outbox.

A rule matched against a change event gives a Delivery: unique per (rule, event, channel), so
repeated ingestion, two workers or two beats can never make a second one. Deliveries are sent in
Messages (one per delivery, or one per digest window), the outbox rows that workers claim with a
conditional UPDATE and retry on a schedule; every attempt is kept.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


def new_webhook_secret() -> str:
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class Channel(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", "email"
        WEBHOOK = "webhook", "webhook (signed)"
        SLACK = "slack", "Slack"
        DISCORD = "discord", "Discord"
        FEED = "feed", "Atom feed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_channels")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=100, blank=True)
    # An email address or a URL; empty for a feed.
    target = models.CharField(max_length=2000, blank=True)
    # whsec_... for signed webhooks; the private token in a feed's URL.
    secret = models.CharField(max_length=100, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # Email channels are double opt-in: until the signed link in the confirmation is followed, the
    # address gets that confirmation and nothing else. Other kinds need no confirmation.
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["secret"], condition=Q(kind="feed"), name="alerts_channel_feed_secret"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.get_kind_display()} {self.display_target}"

    @property
    def needs_confirmation(self) -> bool:
        return self.kind == self.Kind.EMAIL and self.confirmed_at is None

    @property
    def can_receive(self) -> bool:
        """Alerts and tests may go to it: enabled, and confirmed if it is an address."""
        return self.enabled and not self.needs_confirmation

    @property
    def display_target(self) -> str:
        if self.kind == self.Kind.FEED:
            from django.urls import reverse

            return reverse("alerts:feed", args=[self.secret])
        if self.kind in (self.Kind.SLACK, self.Kind.DISCORD, self.Kind.WEBHOOK):
            # Slack and Discord URLs carry their secret in the path.
            from urllib.parse import urlsplit

            parts = urlsplit(self.target)
            return f"{parts.scheme}://{parts.netloc}/…"
        return self.target


class Rule(models.Model):
    class Condition(models.TextChoices):
        CHANGE = "change", "any price change"
        DROP = "drop", "price drops by at least N%"
        RISE = "rise", "price rises by at least N%"
        BELOW = "below", "price crosses below"
        ABOVE = "above", "price crosses above"
        CHEAPEST = "cheapest", "cheapest offer of the model changes"
        NEW_HOST = "new_host", "a new host for the model"
        REMOVED = "removed", "an offer is removed"
        # The value stays "silent" (API and stored rules); it fires whether or not the price moved
        # in the same run, and its message says which.
        SILENT = "silent", "quantization, context or status changes"
        STALE = "stale", "a source goes stale"

    class Field(models.TextChoices):
        INPUT = "input", "input"
        OUTPUT = "output", "output"
        BLENDED = "blended", "blended"

    class Attribute(models.TextChoices):
        ANY = "", "any of them"
        QUANTIZATION = "quantization", "quantization"
        CONTEXT = "context_length", "context length"
        STATUS = "status", "status"

    class Digest(models.TextChoices):
        IMMEDIATE = "immediate", "immediately"
        HOURLY = "hourly", "hourly digest"
        DAILY = "daily", "daily digest"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(max_length=200, blank=True)
    # Scope: an offer; or a model and/or a provider (model alone = any offer of the model).
    model = models.ForeignKey("pricing.Model", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey("pricing.Provider", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    offer = models.ForeignKey("pricing.Offer", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey("pricing.Source", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                               help_text="for stale alerts: which source (empty: any)")
    condition = models.CharField(max_length=16, choices=Condition.choices, default=Condition.CHANGE)
    percent = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    threshold = models.DecimalField(max_digits=18, decimal_places=10, null=True, blank=True,
                                    help_text="USD per million tokens")
    price_field = models.CharField(max_length=16, choices=Field.choices, default=Field.BLENDED)
    # For attribute rules: which attribute (empty: any).
    attribute = models.CharField(max_length=32, choices=Attribute.choices, default="", blank=True)
    mix_input = models.PositiveIntegerField(default=3)
    mix_output = models.PositiveIntegerField(default=1)
    stale_hours = models.PositiveIntegerField(null=True, blank=True)
    digest = models.CharField(max_length=16, choices=Digest.choices, default=Digest.IMMEDIATE)
    channels = models.ManyToManyField(Channel, related_name="rules")
    paused = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The dispatcher loads every live rule once per batch.
            models.Index(fields=["paused", "condition"], name="alerts_rule_live"),
        ]

    def __str__(self) -> str:
        return self.name or self.describe()

    @property
    def mix(self) -> tuple[int, int]:
        return (self.mix_input, self.mix_output)

    def describe(self) -> str:
        """The rule in words, with units: "deepseek/deepseek-r1: blended 3:1 below $1.00 / M"."""
        from pricing.money import amount, plain

        if self.offer_id:
            scope = str(self.offer)
        else:
            parts = [self.model.slug if self.model_id else "", f"at {self.provider.slug}" if self.provider_id else ""]
            scope = " ".join(p for p in parts if p) or "everything"
        if self.condition == self.Condition.STALE:
            return f"{self.source.slug if self.source_id else 'any source'} stale for {self.stale_hours} h"
        watched = f"blended {self.mix_input}:{self.mix_output}" if self.price_field == self.Field.BLENDED else (
            self.price_field)
        what = self.get_condition_display()
        if self.condition == self.Condition.CHANGE:
            what = "any price change"
        elif self.condition in (self.Condition.DROP, self.Condition.RISE):
            what = f"{watched} {self.condition}s {plain(self.percent)}% or more"
        elif self.condition in (self.Condition.BELOW, self.Condition.ABOVE):
            what = f"{watched} {self.condition} {amount(self.threshold, zero='$0.00')} / M"
        elif self.condition == self.Condition.CHEAPEST:
            what = f"cheapest offer changes (blended {self.mix_input}:{self.mix_output})"
        elif self.condition == self.Condition.SILENT and self.attribute:
            what = f"{self.get_attribute_display()} changes"
        return f"{scope}: {what}"


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or 'token'})"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user, name: str = "") -> tuple[ApiToken, str]:
        token = "rc_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, prefix=token[:8], digest=cls.hash(token)), token


class Evaluation(models.Model):
    """A change event that a dispatcher has matched against the rules. Inserting this row inside
    the evaluating transaction is the claim: a second dispatcher skips or collides on it."""

    event = models.OneToOneField("pricing.ChangeEvent", on_delete=models.CASCADE, primary_key=True, related_name="+")
    at = models.DateTimeField()
    n_deliveries = models.PositiveIntegerField(default=0)


class Message(models.Model):
    """One outgoing message to one channel: the outbox row. Claimed with a conditional UPDATE."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"
        CANCELLED = "cancelled", "cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="messages")
    # d:<delivery id>, digest:<channel>:<period>:<window start>, test:<uuid>
    key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Set with each claim; a send's closing write is conditional on it (fencing), so a finisher
    # whose claim expired and was taken over cannot overwrite the new holder's outcome.
    claim_token = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)
    is_test = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The sender: WHERE status='pending' AND next_attempt_at <= now ORDER BY next_attempt_at.
            models.Index(fields=["status", "next_attempt_at"], name="alerts_message_due"),
            # The feed: a channel's sent messages, newest first.
            models.Index(fields=["channel", "status", "-sent_at"], name="alerts_message_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.status}"


class Delivery(models.Model):
    """A rule matched: this event (or, for a stale source, this staleness) goes to this channel."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("pricing.ChangeEvent", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    # event:<id>, or stale:<source id>:<last complete run id>
    key = models.CharField(max_length=100)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    created = models.DateTimeField()
    # Rendered when matched: what the event meant for this rule (e.g. "input dropped 80%").
    summary = models.CharField(max_length=1000, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "event", "channel"], name="alerts_delivery_once"),
            models.UniqueConstraint(fields=["rule", "channel", "key"], name="alerts_delivery_key_once"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.key}/{self.channel_id}"


class Attempt(models.Model):
    """One try at sending a message, kept whatever happened."""

    class Outcome(models.TextChoices):
        OK = "ok", "delivered"
        RETRY = "retry", "failed, will retry"
        FAILED = "failed", "failed permanently"
        BLOCKED = "blocked", "blocked address"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response = models.CharField(max_length=1000, blank=True)
    error = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["message", "at"], name="alerts_attempt_message")]
