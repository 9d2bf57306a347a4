from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection

from pricing.alerts import outbox
from pricing.alerts.models import Attempt, Message
from tests.alerts.helpers import T0, baseline, hours, rule, sweep, webhook_channel


@pytest.fixture
def no_jitter(monkeypatch):
    monkeypatch.setattr(outbox, "JITTER", 0)


def _change(user, receiver, path="/hook"):
    baseline(1)
    hook = webhook_channel(user, receiver.url(path))
    rule(user, [hook], condition="change")
    sweep(T0 + hours(2), {0: ("0.5", "2")})
    return hook


def _at(when):
    with time_machine.travel(when, tick=False):
        return outbox.dispatch_due()


@pytest.mark.django_db
def test_500_500_200_follows_the_schedule(user, receiver, no_jitter):
    receiver.answer(500, 500, 200)
    _change(user, receiver)
    start = T0 + hours(2)
    assert _at(start) == 0
    message = Message.objects.get()
    assert message.next_attempt_at == start + timedelta(seconds=5)
    assert _at(start + timedelta(seconds=4)) == 0  # not due yet
    assert len(receiver.requests) == 1
    assert _at(start + timedelta(seconds=5)) == 0
    message.refresh_from_db()
    assert message.attempts == 2 and message.next_attempt_at == start + timedelta(seconds=5 + 300)
    assert _at(start + timedelta(seconds=305)) == 1
    message.refresh_from_db()
    assert message.status == "sent" and len(receiver.requests) == 3
    assert list(Attempt.objects.values_list("outcome", "status_code")) == [("retry", 500), ("retry", 500), ("ok", 200)]
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert len(ids) == 1  # one id across retries: the receiver can dedupe


@pytest.mark.django_db
def test_jitter_stays_within_ten_percent(monkeypatch):
    monkeypatch.setattr(outbox.random, "uniform", lambda a, b: b)
    assert outbox.next_delay(3, None) == pytest.approx(1800 * 1.1)
    monkeypatch.setattr(outbox.random, "uniform", lambda a, b: a)
    assert outbox.next_delay(3, None) == pytest.approx(1800 * 0.9)


@pytest.mark.django_db
def test_retry_after_is_honoured_but_capped(user, receiver, no_jitter):
    receiver.answer((429, {"Retry-After": "3600"}), (429, {"Retry-After": "30"}), 200)
    _change(user, receiver)
    start = T0 + hours(2)
    _at(start)
    message = Message.objects.get()
    assert message.next_attempt_at == start + timedelta(seconds=outbox.RETRY_AFTER_CAP)
    assert outbox.RETRY_AFTER_CAP < 3600
    second = start + timedelta(seconds=outbox.RETRY_AFTER_CAP)
    _at(second)
    message.refresh_from_db()
    # 30 s asked, but the schedule's own 300 s is longer: the longer wait wins.
    assert message.next_attempt_at == second + timedelta(seconds=300)


@pytest.mark.django_db
def test_410_disables_the_endpoint_and_nothing_more_is_sent(user, receiver):
    receiver.answer(410)
    hook = _change(user, receiver)
    _at(T0 + hours(2))
    hook.refresh_from_db()
    assert not hook.enabled and "410" in hook.disabled_reason
    assert Message.objects.get().status == "failed"
    sweep(T0 + hours(3), {0: ("0.4", "2")})
    _at(T0 + hours(3))
    _at(T0 + hours(30))
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_a_message_gives_up_after_the_last_scheduled_attempt(user, receiver, no_jitter):
    receiver.answer(503)
    _change(user, receiver)
    when = T0 + hours(2)
    for _ in range(20):
        _at(when)
        when += timedelta(hours=11)
    assert len(receiver.requests) == outbox.MAX_ATTEMPTS
    message = Message.objects.get()
    assert message.status == "failed" and message.attempts == outbox.MAX_ATTEMPTS


@pytest.mark.django_db
def test_a_redirect_is_not_followed(user, receiver, second_receiver):
    receiver.answer((302, {"Location": second_receiver.url()}))
    _change(user, receiver)
    _at(T0 + hours(2))
    assert second_receiver.requests == []
    attempt = Attempt.objects.get()
    assert (attempt.outcome, attempt.status_code) == ("retry", 302)
    assert "redirects are not followed" in attempt.error


@pytest.mark.django_db
def test_a_claimed_message_is_not_claimed_twice(user, receiver):
    _change(user, receiver)
    now = T0 + hours(2)
    outbox.evaluate(now)
    message = Message.objects.get()
    assert outbox.claim(message.pk, now) is True
    assert outbox.claim(message.pk, now) is False
    assert outbox.claim(message.pk, now + outbox.LEASE + timedelta(seconds=1)) is True  # a dead worker's lease ends


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_dispatchers_racing_in_several_threads_never_send_twice(user, receiver):
    baseline(6)
    hooks = [webhook_channel(user, receiver.url(f"/h{i}")) for i in range(3)]
    rule(user, hooks, condition="change")
    rule(user, hooks[:1], condition="drop", percent=10)
    sweep(T0 + hours(2), {i: ("0.5", "2") for i in range(6)})
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker():
        try:
            barrier.wait()
            for _ in range(3):
                outbox.dispatch_due()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    # 6 events x 3 channels for "change", 6 x 1 for "drop": 24 messages, each sent once.
    assert Message.objects.filter(status="sent").count() == 24
    assert len(receiver.requests) == 24
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 24
