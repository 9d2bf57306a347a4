"""A receiver that drips its answer one byte at a time (issue 11, item 1).

It answers ``200`` with ``Content-Length: 100000`` and then one byte every fraction of a second, so
a per-read timeout never fires. Before: a send lasted as long as the drip, the outbox lease ran
out under it, a second dispatcher sent the same message again, and a "send test" press held a web
worker for as long. After: a total deadline per send, a lease of at least three deadlines, a claim
token that a late finisher cannot overwrite, and test sends queued to the worker.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from pricing.alerts import outbox, tasks
from pricing.alerts.models import Attempt, Message
from tests.alerts.helpers import webhook_channel
from tests.alerts.receiver import DripReceiver

DEADLINE = 1.0
# Without a total deadline these tests would wait on the drip: fail them quickly instead.
pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def drip(settings):
    settings.ALERTS_SEND_DEADLINE_SECONDS = DEADLINE
    receiver = DripReceiver(interval=0.2).start()
    yield receiver
    receiver.stop()


@pytest.mark.django_db
def test_a_send_to_a_slow_drip_receiver_ends_within_its_deadline(user, drip):
    channel = webhook_channel(user, drip.url())
    started = time.monotonic()
    message = outbox.send_test(channel)
    took = time.monotonic() - started
    # The drip would last 100000 x 0.2 s; the send ends at its deadline (margin for a loaded machine).
    assert took < DEADLINE + 5, took
    assert len(drip.ids) == 1
    attempt = Attempt.objects.get(message=message)
    assert attempt.outcome == Attempt.Outcome.RETRY
    assert "deadline exceeded" in attempt.error
    assert DEADLINE * 1000 * 0.9 <= attempt.duration_ms
    assert message.status == Message.Status.PENDING and message.attempts == 1 and message.claimed_until is None


def test_the_lease_is_at_least_three_deadlines(settings):
    settings.ALERTS_SEND_DEADLINE_SECONDS = 100
    assert outbox.lease() >= timedelta(seconds=300)
    settings.ALERTS_SEND_DEADLINE_SECONDS = 20
    assert outbox.lease() == outbox.LEASE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_never_deliver_one_message_twice(user, drip, monkeypatch):
    # A short lease (three deadlines: 3 s) so that, without a deadline, the drip would outlast it.
    monkeypatch.setattr(outbox, "LEASE", timedelta(seconds=1))
    channel = webhook_channel(user, drip.url())
    message = outbox.new_test(channel)
    first = threading.Thread(target=outbox.send_due)
    first.start()
    while not drip.ids:
        time.sleep(0.02)
    # A second dispatcher keeps looking for due messages while the first one's send is live, and
    # for longer than the lease would last if the send were not cut at its deadline.
    stop_at = time.monotonic() + 4.0
    while time.monotonic() < stop_at:
        outbox.send_due()
        time.sleep(0.1)
    first.join(timeout=30)
    assert drip.ids == [f"msg_{message.public_id.hex}"]
    message.refresh_from_db()
    assert message.attempts == 1
    assert Attempt.objects.filter(message=message).count() == 1


@pytest.mark.django_db
def test_a_late_finisher_cannot_overwrite_the_claim_that_replaced_it(user, receiver):
    channel = webhook_channel(user, receiver.url())
    message = outbox.new_test(channel)
    now = timezone.now()
    stale = outbox.claim_token(message.pk, now)
    # The first claim is (somehow) past its lease; a second dispatcher takes the message over.
    later = now + outbox.lease() + timedelta(seconds=1)
    fresh = outbox.claim_token(message.pk, later)
    assert stale and fresh and stale != fresh
    # The first dispatcher finishes late: its outcome must not clear the second one's claim.
    outbox.send_one(Message.objects.select_related("channel").get(pk=message.pk), later, stale)
    message.refresh_from_db()
    assert message.claim_token == fresh and message.claimed_until is not None
    assert message.status == Message.Status.PENDING and message.attempts == 0


@pytest.mark.django_db(transaction=True)
def test_send_test_is_queued_and_the_web_stays_responsive_while_it_is_pending(client, user, drip, eager_celery):
    eager_celery.conf.task_always_eager = False  # a real worker would take it; here a thread plays one
    queued = []
    original = tasks.send_message.delay
    tasks.send_message.delay = lambda message_id: queued.append(message_id)
    try:
        channel = webhook_channel(user, drip.url())
        client.force_login(user)
        response = client.post(f"/alerts/channels/{channel.pk}/test/", follow=True)
        assert response.status_code == 200
        assert "Test queued" in response.content.decode()
        assert drip.ids == [] and len(queued) == 1  # nothing was sent inside the web request
        worker = threading.Thread(target=tasks.send_message, args=(queued[0],))
        worker.start()
        while not drip.ids:
            time.sleep(0.02)
        # The send is live (the receiver is dripping): pages and health answer meanwhile.
        assert client.get("/healthz").status_code == 200
        page = client.get("/alerts/").content.decode()
        assert "on its way" in page and 'http-equiv="refresh"' in page
        assert worker.is_alive()
        worker.join(timeout=30)
        # A reload shows the stored result.
        page = client.get("/alerts/").content.decode()
        assert "deadline exceeded" in page and 'http-equiv="refresh"' not in page
    finally:
        tasks.send_message.delay = original


@pytest.mark.django_db
def test_test_sends_are_throttled_per_user(client, user, receiver, settings):
    settings.ALERTS_TEST_SENDS_PER_HOUR = 3
    channel = webhook_channel(user, receiver.url())
    client.force_login(user)
    pages = [client.post(f"/alerts/channels/{channel.pk}/test/", follow=True).content.decode() for _ in range(5)]
    assert len(receiver.requests) == 3
    assert "At most 3 test" in pages[3] and "At most 3 test" in pages[4]
    # Another user is not affected.
    from django.contrib.auth import get_user_model

    other = get_user_model().objects.create_user("bob", "bob@example.com", "another-long-pass-2")
    client.force_login(other)
    client.post(f"/alerts/channels/{webhook_channel(other, receiver.url()).pk}/test/")
    assert len(receiver.requests) == 4


@pytest.mark.django_db
def test_the_api_test_endpoint_is_throttled_and_reports_the_last_result(client, user, receiver, settings):
    import json

    from pricing.alerts.models import ApiToken

    settings.ALERTS_TEST_SENDS_PER_HOUR = 1
    _, token = ApiToken.issue(user, "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    channel = webhook_channel(user, receiver.url())
    url = f"/api/v1/alerts/channels/{channel.pk}/test"
    assert client.get(url, **auth).json() == {"status": "none", "error": ""}
    assert client.post(url, "{}", content_type="application/json", **auth).json()["status"] == "sent"
    refused = client.post(url, "{}", content_type="application/json", **auth)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "throttled"
    assert json.loads(client.get(url, **auth).content) == {"status": "sent", "error": ""}
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_an_smtp_server_that_drips_its_greeting_is_cut_at_the_deadline(user, settings):
    from tests.alerts.helpers import email_channel
    from tests.alerts.receiver import DripSMTP

    settings.ALERTS_SEND_DEADLINE_SECONDS = DEADLINE
    server = DripSMTP(interval=0.05).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", server.port, False
    try:
        started = time.monotonic()
        message = outbox.send_test(email_channel(user))
        took = time.monotonic() - started
    finally:
        server.stop()
    assert took < DEADLINE + 5, took
    assert server.ids == ["connection"]
    assert message.attempts == 1 and "deadline exceeded" in message.last_error
