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
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from pricing.models import ChangeEvent
from pricing.queries import QueryError, parse_id
from pricing.queries.freshness import sources_with_freshness

from . import rules as rule_logic
from .deadline import send_deadline
from .models import Attempt, Channel, Delivery, Evaluation, Message, Rule
from .transports import Content, TransportError, get_transport

log = logging.getLogger(__name__)

# Seconds to wait before attempt n+1 (index n = attempts made so far). Eight attempts in all.
SCHEDULE = [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
MAX_ATTEMPTS = len(SCHEDULE)
JITTER = 0.1  # +-10% on scheduled delays, so a recovering receiver is not hit by a thundering herd
RETRY_AFTER_CAP = 900  # a receiver may ask us to wait, but not for hours
LEASE = timedelta(seconds=120)  # at least 3x the total send deadline (see lease())
SEND_BUDGET = 300.0  # seconds one send_due() call may keep claiming; under the task's soft limit (540 s)
CONFIRM_PREFIX = "confirm:"
BATCH = 500
SIGNER_SALT = "ratecard.alerts.unsubscribe"
CONFIRM_SALT = "ratecard.alerts.confirm"


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
                if channel.can_receive and _record(rule, channel, f"event:{event.id}", summary, data, now, event=event):
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
                if channel.can_receive and _record(rule, channel, key, summary, data, now):
                    made += 1
    return made


# ---- sending -------------------------------------------------------------------------------

def unsubscribe_token(channel: Channel) -> str:
    return signing.dumps({"c": channel.id}, salt=SIGNER_SALT, compress=True)


def unsubscribe_url(channel: Channel) -> str:
    # A fixed path, not reverse(): messages are rendered in workers and under other URLconfs too.
    return f"{settings.SITE_URL}/alerts/unsubscribe/{unsubscribe_token(channel)}/"


def confirm_token(channel: Channel) -> str:
    # The address is signed too: a token confirms this address for this channel, nothing else.
    return signing.dumps({"c": channel.id, "t": channel.target}, salt=CONFIRM_SALT, compress=True)


def confirm_url(channel: Channel) -> str:
    return f"{settings.SITE_URL}/alerts/confirm/{confirm_token(channel)}/"


def check_confirm_token(token: str) -> Channel | None:
    """The channel a confirmation link names, if the link is genuine, unexpired and still matches."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=timedelta(days=settings.ALERTS_CONFIRM_DAYS))
        return Channel.objects.get(pk=parse_id(data["c"], "channel"), kind=Channel.Kind.EMAIL, target=data["t"])
    except (signing.BadSignature, KeyError, TypeError, QueryError, Channel.DoesNotExist):
        return None


def request_confirmation(channel: Channel) -> Message:
    """Queue the one message an unconfirmed email channel may receive: its confirmation link."""
    now = timezone.now()
    return Message.objects.create(channel=channel, key=f"{CONFIRM_PREFIX}{channel.id}:{uuid.uuid4()}", created=now,
                                  next_attempt_at=now)


def render(message: Message) -> Content:
    deliveries = list(message.deliveries.select_related("rule").order_by("id"))
    channel = message.channel
    alerts_url = settings.SITE_URL + "/alerts/"
    if message.key.startswith(CONFIRM_PREFIX):
        content = Content(subject="Confirm your address for Ratecard alerts", kind="confirm", lines=[
            "Someone (hopefully you) asked Ratecard to send price alerts to this address.",
            f"To confirm, open this link within {settings.ALERTS_CONFIRM_DAYS} days: {confirm_url(channel)}",
            "If it was not you, ignore this message: nothing more will be sent here.",
        ], items=[{"kind": "confirm"}])
    elif message.is_test:
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


def lease() -> timedelta:
    """How long a claim holds: at least three send deadlines, so a live send never outlasts it."""
    return max(LEASE, timedelta(seconds=3 * send_deadline()))


def claim(message_id: int, now: datetime) -> bool:
    return claim_token(message_id, now) is not None


def claim_token(message_id: int, now: datetime) -> uuid.UUID | None:
    """Claim a due message for one send. Returns the claim's token, or None if another holds it.

    Every write that ends the send is conditional on this token (``_finish``): a finisher whose
    claim was taken over cannot overwrite the new holder's state.
    """
    token = uuid.uuid4()
    won = Message.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk=message_id, status=Message.Status.PENDING, next_attempt_at__lte=now,
    ).update(claimed_until=now + lease(), claim_token=token)
    return token if won == 1 else None


def _finish(message: Message, token: uuid.UUID | None, **fields) -> bool:
    """End a send: release the claim and write its outcome, only if the claim is still ours."""
    fields.update(claimed_until=None, claim_token=None)
    query = Message.objects.filter(pk=message.pk)
    if token is not None:
        query = query.filter(claim_token=token)
    done = query.update(**fields) == 1
    if not done:
        log.warning("alert message %s: claim lost before the send finished; its outcome is not written", message.pk)
    return done


def _retry_fields(attempts: int, error: str, delay: float | None, now: datetime) -> dict:
    fields: dict = {"attempts": attempts, "last_error": error[:1000]}
    if delay is None:
        fields["status"] = Message.Status.FAILED
    else:
        fields["next_attempt_at"] = now + timedelta(seconds=delay)
    return fields


def disable_channel(channel: Channel, reason: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    Channel.objects.filter(pk=channel.pk, enabled=True).update(enabled=False, disabled_at=now,
                                                               disabled_reason=reason[:500])
    # Nothing more goes to it: its queued messages are cancelled, not retried forever.
    Message.objects.filter(channel=channel, status=Message.Status.PENDING).update(
        status=Message.Status.CANCELLED, last_error=f"channel disabled: {reason}"[:1000]
    )


def send_one(message: Message, now: datetime | None = None, token: uuid.UUID | None = None) -> bool:
    """Send a claimed message once and record the attempt. True if delivered."""
    now = now or timezone.now()
    channel = message.channel
    if not channel.enabled:
        _finish(message, token, status=Message.Status.CANCELLED, last_error="channel disabled")
        return False
    if channel.needs_confirmation and not message.key.startswith(CONFIRM_PREFIX):
        # Double opt-in: an unconfirmed address gets its confirmation and nothing else.
        _finish(message, token, status=Message.Status.CANCELLED, last_error="the address is not confirmed yet")
        return False
    content = render(message)
    if not (message.is_test or message.key.startswith(CONFIRM_PREFIX)) and not content.items:
        _finish(message, token, status=Message.Status.CANCELLED, last_error="nothing to send")
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
        _finish(message, token, **_retry_fields(attempts, str(exc), delay, now))
        if exc.disable:
            disable_channel(channel, str(exc), now)
        return False
    except Exception as exc:  # a bug in rendering or a transport: retry later, keep the worker alive
        log.exception("alert message %s failed unexpectedly", message.pk)
        delay = next_delay(attempts, None)
        Attempt.objects.create(message=message, at=now, outcome=Attempt.Outcome.RETRY if delay is not None
                               else Attempt.Outcome.FAILED, error=f"{exc.__class__.__name__}: {exc}"[:1000])
        _finish(message, token, **_retry_fields(attempts, str(exc), delay, now))
        return False
    Attempt.objects.create(message=message, at=now, outcome=Attempt.Outcome.OK, status_code=sent.status_code,
                           duration_ms=sent.duration_ms, response=sent.response[:1000])
    _finish(message, token, status=Message.Status.SENT, attempts=attempts, sent_at=now, last_error="")
    return True


def send_claimed(message_id: int, now: datetime | None = None) -> bool | None:
    """Claim one message and send it. None if it was not due or another dispatcher holds it."""
    at = now or timezone.now()
    token = claim_token(message_id, at)
    if token is None:
        return None
    message = Message.objects.select_related("channel").get(pk=message_id)
    return send_one(message, now or timezone.now(), token)


def send_due(now: datetime | None = None, limit: int = 200, budget: float = SEND_BUDGET) -> int:
    """Send what is due. Each claim is taken at the time it is made (not the batch's start), and no
    new claim is taken after ``budget`` seconds, so one call stays inside the task's time limit."""
    started = time.monotonic()
    at = now or timezone.now()
    due = list(
        Message.objects.filter(status=Message.Status.PENDING, next_attempt_at__lte=at)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=at))
        .order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit]
    )
    sent = 0
    for message_id in due:
        if time.monotonic() - started > budget:
            break  # the rest is still due: the next dispatch (beat, every 30 s) takes it
        if send_claimed(message_id, now):
            sent += 1
    return sent


def test_refusal(channel: Channel, now: datetime | None = None) -> str | None:
    """Why a "send test" press is refused now, or None: the per-user hourly limit, a test of this
    channel still on its way, or an address not yet confirmed."""
    now = now or timezone.now()
    if not channel.enabled:
        return "This channel is disabled; enable it first."
    if channel.needs_confirmation:
        return "This address is not confirmed yet: follow the link in the confirmation email first."
    pending = Message.objects.filter(channel=channel, is_test=True, status=Message.Status.PENDING, attempts=0,
                                     created__gte=now - lease())
    if pending.exists():
        return "A test of this channel is still on its way; its result shows here when it arrives."
    return confirmation_refusal(None, channel.user_id, now)


CONFIRMATIONS_PER_ADDRESS_PER_DAY = 3


def confirmation_refusal(channel: Channel | None, user_id: int | None = None, now: datetime | None = None,
                         address: str = "") -> str | None:
    """Why another confirmation email (for ``channel``, or for a new channel of the user to
    ``address``) is refused now, or None. Confirmations count against the same hourly limit as
    tests, and one address gets at most a few a day whichever accounts ask, so nobody can use the
    opt-in mail itself to flood an address."""
    now = now or timezone.now()
    if channel is not None:
        if not channel.needs_confirmation:
            return "This address is already confirmed."
        user_id, address = channel.user_id, channel.target
        recent = Message.objects.filter(channel=channel, key__startswith=CONFIRM_PREFIX,
                                        created__gte=now - timedelta(minutes=10))
        if recent.exists():
            return "A confirmation link was sent less than ten minutes ago; check the inbox (and spam folder)."
    limit = settings.ALERTS_TEST_SENDS_PER_HOUR
    sent = Message.objects.filter(channel__user_id=user_id, created__gte=now - timedelta(hours=1)).filter(
        Q(is_test=True) | Q(key__startswith=CONFIRM_PREFIX))
    if sent.count() >= limit:
        return f"At most {limit} test and confirmation emails per hour; try again later."
    if address:
        to_address = Message.objects.filter(channel__kind=Channel.Kind.EMAIL, channel__target__iexact=address,
                                            key__startswith=CONFIRM_PREFIX, created__gte=now - timedelta(days=1))
        if to_address.count() >= CONFIRMATIONS_PER_ADDRESS_PER_DAY:
            return "This address has had enough confirmation emails today; try again tomorrow."
    return None


def latest_tests(channels: list[Channel]) -> dict[int, Message]:
    """Each channel's newest test message (one query), for showing its result when it arrives."""
    newest = Message.objects.filter(channel=OuterRef("pk"), is_test=True).order_by("-id").values("id")[:1]
    ids = Channel.objects.filter(pk__in=[c.pk for c in channels]).annotate(test_id=Subquery(newest)).values_list(
        "test_id", flat=True)
    return {m.channel_id: m for m in Message.objects.filter(pk__in=[i for i in ids if i])}


def new_test(channel: Channel) -> Message:
    """The "send test" button's message: due now, sent by a worker (``queue_test``)."""
    now = timezone.now()
    return Message.objects.create(channel=channel, key=f"test:{uuid.uuid4()}", created=now, next_attempt_at=now,
                                  is_test=True)


def send_test(channel: Channel) -> Message:
    """A test message of its own, sent now, through the same path (the worker's side of the button)."""
    message = new_test(channel)
    send_claimed(message.pk)
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
