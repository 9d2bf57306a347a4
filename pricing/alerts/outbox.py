"""The alert outbox: evaluate new change events, create deliveries once, send what is due.

``dispatch_due()`` is what the Celery task (on ingest commit and every 30 s from beat) calls:

1. ``evaluate()``: take a batch of unevaluated events (notify=True) and claim them by inserting
   their Evaluation rows in the same transaction (PostgreSQL: the events are locked with SKIP
   LOCKED first, so a second dispatcher takes other events or none). Each match is a Delivery,
   unique per (rule, event, channel): even a double evaluation cannot make a second one.
2. ``check_stale()``: a source with no complete run for longer than a rule's N hours gives one
   delivery per staleness episode (keyed by the last complete run).
3. ``send_due()``: claim each due Message with a conditional UPDATE, send it, store the attempt,
   and schedule a retry (growing schedule with jitter, Retry-After honoured but capped) or give up.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from pricing.models import ChangeEvent
from pricing.queries.freshness import sources_with_freshness

from . import rules as rule_logic
from .models import Attempt, Channel, Delivery, Evaluation, Message, Rule
from .transports import Content, TransportError, get_transport

log = logging.getLogger(__name__)

# Seconds to wait before attempt n+1 (index n = attempts made so far). Eight attempts in all.
SCHEDULE = [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
MAX_ATTEMPTS = len(SCHEDULE)
JITTER = 0.1  # +-10% on scheduled delays, so a recovering receiver is not hit by a thundering herd
RETRY_AFTER_CAP = 900  # a receiver may ask us to wait, but not for hours
LEASE = timedelta(seconds=120)  # longer than one send can take (connect + read timeouts)
BATCH = 500
SIGNER_SALT = "ratecard.alerts.unsubscribe"


# ---- evaluation -------------------------------------------------------------------------

def _live_rules() -> list[Rule]:
    return list(
        Rule.objects.filter(paused=False)
        .exclude(condition=Rule.Condition.STALE)
        .select_related("offer__model", "offer__provider", "model", "provider")
        .prefetch_related("channels")
    )


def _claim_events(now: datetime) -> list[ChangeEvent]:
    """Inside a transaction: lock and claim a batch of unevaluated events."""
    query = ChangeEvent.objects.filter(notify=True).exclude(
        pk__in=Evaluation.objects.values("event_id")
    ).order_by("id")
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True, of=("self",))
    events = list(query[:BATCH])
    if events:
        # The claim: a dispatcher whose snapshot missed our commit collides here and retries.
        Evaluation.objects.bulk_create([Evaluation(event_id=e.id, at=now) for e in events])
    return events


def evaluate(now: datetime | None = None) -> int:
    """Match new events against rules. Returns the number of deliveries created."""
    now = now or timezone.now()
    created_total = 0
    for _ in range(20):  # batches; bounded so one call cannot run forever
        try:
            with transaction.atomic():
                events = _claim_events(now)
                if not events:
                    return created_total
                full = {
                    e.id: e
                    for e in ChangeEvent.objects.filter(pk__in=[e.id for e in events]).select_related(
                        "offer__model", "offer__provider"
                    )
                }
                created_total += _match_and_record([full[e.id] for e in events], now)
        except IntegrityError:
            # Another dispatcher evaluated some of these first; its deliveries stand. Try again.
            log.info("alert evaluation collided with another dispatcher; retrying")
            continue
    return created_total


def _match_and_record(events: list[ChangeEvent], now: datetime) -> int:
    rules = _live_rules()
    if not rules:
        return 0
    ctx = rule_logic.Context.for_events(events)
    made = 0
    for event in events:
        for rule in rules:
            summary = rule_logic.match(rule, event, ctx)
            if summary is None:
                continue
            data = _event_data(event)
            for channel in rule.channels.all():
                if channel.enabled and _record(rule, channel, f"event:{event.id}", summary, data, now, event=event):
                    made += 1
    return made


def _event_data(event: ChangeEvent) -> dict:
    offer = event.offer
    return {
        "event_id": str(event.public_id),
        "kind": event.kind,
        "model": offer.model.slug,
        "provider": offer.provider.slug,
        "variant": offer.variant,
        "field": event.field,
        "old": event.old,
        "new": event.new,
        "at": event.at.isoformat(),
    }


def _window(rule: Rule, now: datetime) -> tuple[datetime, datetime]:
    if rule.digest == Rule.Digest.HOURLY:
        start = now.replace(minute=0, second=0, microsecond=0)
        return start, start + timedelta(hours=1)
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def _digest_message(rule: Rule, channel: Channel, now: datetime) -> Message:
    start, end = _window(rule, now)
    for _ in range(3):
        key = f"digest:{channel.id}:{rule.digest}:{start.isoformat()}"
        message = Message.objects.filter(key=key).first()
        if message is None:
            try:
                with transaction.atomic():
                    return Message.objects.create(channel=channel, key=key, created=now, next_attempt_at=end)
            except IntegrityError:
                message = Message.objects.get(key=key)
        if message.status == Message.Status.PENDING and message.attempts == 0 and not _claimed(message, now):
            return message
        # That window's digest is already on its way: this event goes in the next one.
        start, end = end, end + (end - start)
    raise RuntimeError("no digest window available")  # pragma: no cover


def _claimed(message: Message, now: datetime) -> bool:
    return message.claimed_until is not None and message.claimed_until > now


def _record(rule: Rule, channel: Channel, key: str, summary: str, data: dict, now: datetime,
            event: ChangeEvent | None = None) -> bool:
    """Create the delivery (and its message) unless it exists. True if created."""
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(rule=rule, event=event, channel=channel, key=key, created=now,
                                               summary=summary[:1000], data=data)
    except IntegrityError:
        return False
    if rule.digest == Rule.Digest.IMMEDIATE:
        message = Message.objects.create(channel=channel, key=f"d:{delivery.id}", created=now, next_attempt_at=now)
    else:
        message = _digest_message(rule, channel, now)
    Delivery.objects.filter(pk=delivery.pk).update(message=message)
    return True


# ---- stale sources ------------------------------------------------------------------------

def check_stale(now: datetime | None = None) -> int:
    """One delivery per staleness episode of a source, judged by the one freshness definition
    (``pricing.queries.freshness``: the last complete or partial run) against the rule's hours."""
    now = now or timezone.now()
    stale_rules = list(
        Rule.objects.filter(paused=False, condition=Rule.Condition.STALE, stale_hours__isnull=False)
        .select_related("source").prefetch_related("channels")
    )
    if not stale_rules:
        return 0
    made = 0
    sources = {s.id: s for s in sources_with_freshness()}
    for rule in stale_rules:
        # A rule naming a source watches it; a rule for any source watches the enabled ones.
        targets = [sources[rule.source_id]] if rule.source_id else [s for s in sources.values() if s.enabled]
        for source in targets:
            # Never fresh: stale since the rule was made, not since the epoch.
            seen = source.last_fresh or rule.created
            if now - seen <= timedelta(hours=rule.stale_hours):
                continue
            hours = int((now - seen).total_seconds() // 3600)
            summary = f"{source.slug}: no complete run for {hours} h (last: {seen:%Y-%m-%d %H:%M} UTC)"
            data = {"kind": "stale", "source": source.slug, "last_complete": seen.isoformat()}
            key = f"stale:{source.id}:{source.last_fresh_id or 0}"
            for channel in rule.channels.all():
                if channel.enabled and _record(rule, channel, key, summary, data, now):
                    made += 1
    return made


# ---- sending -------------------------------------------------------------------------------

def unsubscribe_token(channel: Channel) -> str:
    return signing.dumps({"c": channel.id}, salt=SIGNER_SALT, compress=True)


def unsubscribe_url(channel: Channel) -> str:
    # A fixed path, not reverse(): messages are rendered in workers and under other URLconfs too.
    return f"{settings.SITE_URL}/alerts/unsubscribe/{unsubscribe_token(channel)}/"


def render(message: Message) -> Content:
    deliveries = list(message.deliveries.select_related("rule").order_by("id"))
    channel = message.channel
    alerts_url = settings.SITE_URL + "/alerts/"
    if message.is_test:
        content = Content(subject="Test alert from Ratecard", lines=["This is a test: the channel works."],
                          items=[{"kind": "test"}], kind="test")
    else:
        lines = [d.summary for d in deliveries]
        items = [{"rule_id": d.rule_id, "rule": str(d.rule), "summary": d.summary, **d.data} for d in deliveries]
        if message.key.startswith("digest:"):
            subject = f"{len(deliveries)} price change{'s' if len(deliveries) != 1 else ''} ({deliveries[0].rule.get_digest_display() if deliveries else 'digest'})"
            content = Content(subject=subject, lines=lines, items=items, kind="digest")
        else:
            content = Content(subject=lines[0] if lines else "Ratecard alert", lines=lines, items=items)
    content.alerts_url = alerts_url
    if channel.kind == Channel.Kind.EMAIL:
        content.unsubscribe_url = unsubscribe_url(channel)
    return content


def next_delay(attempts: int, retry_after: float | None) -> float | None:
    """Seconds until the next attempt after ``attempts`` failed ones, or None to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    delay = SCHEDULE[attempts] * (1 + random.uniform(-JITTER, JITTER))
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP))
    return delay


def claim(message_id: int, now: datetime) -> bool:
    return (
        Message.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            pk=message_id, status=Message.Status.PENDING, next_attempt_at__lte=now,
        ).update(claimed_until=now + LEASE)
        == 1
    )


def disable_channel(channel: Channel, reason: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    Channel.objects.filter(pk=channel.pk, enabled=True).update(enabled=False, disabled_at=now,
                                                               disabled_reason=reason[:500])
    # Nothing more goes to it: its queued messages are cancelled, not retried forever.
    Message.objects.filter(channel=channel, status=Message.Status.PENDING).update(
        status=Message.Status.CANCELLED, last_error=f"channel disabled: {reason}"[:1000]
    )


def send_one(message: Message, now: datetime | None = None) -> bool:
    """Send a claimed message once and record the attempt. True if delivered."""
    now = now or timezone.now()
    channel = message.channel
    if not channel.enabled:
        Message.objects.filter(pk=message.pk).update(status=Message.Status.CANCELLED, claimed_until=None,
                                                     last_error="channel disabled")
        return False
    content = render(message)
    if not message.is_test and not content.items:
        Message.objects.filter(pk=message.pk).update(status=Message.Status.CANCELLED, claimed_until=None,
                                                     last_error="nothing to send")
        return False
    attempts = message.attempts + 1
    try:
        sent = get_transport(channel.kind).send(channel, content, f"msg_{message.public_id.hex}")
    except TransportError as exc:
        outcome = Attempt.Outcome.BLOCKED if exc.blocked else (
            Attempt.Outcome.FAILED if exc.permanent else Attempt.Outcome.RETRY)
        delay = None if exc.permanent else next_delay(attempts, exc.retry_after)
        if delay is None and outcome == Attempt.Outcome.RETRY:
            outcome = Attempt.Outcome.FAILED
        Attempt.objects.create(message=message, at=now, outcome=outcome, status_code=exc.status_code,
                               duration_ms=exc.duration_ms, response=exc.response[:1000], error=str(exc)[:1000])
        fields = {"attempts": attempts, "claimed_until": None, "last_error": str(exc)[:1000]}
        if delay is None:
            fields["status"] = Message.Status.FAILED
        else:
            fields["next_attempt_at"] = now + timedelta(seconds=delay)
        Message.objects.filter(pk=message.pk).update(**fields)
        if exc.disable:
            disable_channel(channel, str(exc), now)
        return False
    except Exception as exc:  # a bug in rendering or a transport: retry later, keep the worker alive
        log.exception("alert message %s failed unexpectedly", message.pk)
        delay = next_delay(attempts, None)
        Attempt.objects.create(message=message, at=now, outcome=Attempt.Outcome.RETRY if delay is not None
                               else Attempt.Outcome.FAILED, error=f"{exc.__class__.__name__}: {exc}"[:1000])
        fields = {"attempts": attempts, "claimed_until": None, "last_error": str(exc)[:1000]}
        if delay is None:
            fields["status"] = Message.Status.FAILED
        else:
            fields["next_attempt_at"] = now + timedelta(seconds=delay)
        Message.objects.filter(pk=message.pk).update(**fields)
        return False
    Attempt.objects.create(message=message, at=now, outcome=Attempt.Outcome.OK, status_code=sent.status_code,
                           duration_ms=sent.duration_ms, response=sent.response[:1000])
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENT, attempts=attempts, sent_at=now,
                                                 claimed_until=None, last_error="")
    return True


def send_due(now: datetime | None = None, limit: int = 200) -> int:
    now = now or timezone.now()
    due = list(
        Message.objects.filter(status=Message.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit]
    )
    sent = 0
    for message_id in due:
        if not claim(message_id, now):
            continue  # another dispatcher has it
        message = Message.objects.select_related("channel").get(pk=message_id)
        if send_one(message, now):
            sent += 1
    return sent


def send_test(channel: Channel) -> Message:
    """The "send test" button: a message of its own, sent now, through the same path."""
    now = timezone.now()
    message = Message.objects.create(channel=channel, key=f"test:{uuid.uuid4()}", created=now, next_attempt_at=now,
                                     is_test=True)
    if claim(message.pk, now):
        send_one(Message.objects.select_related("channel").get(pk=message.pk), now)
    message.refresh_from_db()
    return message


def dispatch_due(now: datetime | None = None) -> int:
    """Evaluate, check staleness, send what is due. Returns how many messages were sent."""
    evaluate(now)
    check_stale(now)
    return send_due(now)


def stats() -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for status in Message.objects.values_list("status", flat=True):
        counts[status] += 1
    return dict(counts)
