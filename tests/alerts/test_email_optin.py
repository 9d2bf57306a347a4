"""Email channels are double opt-in (issue 11, item 5): until the signed, time-limited link in the
confirmation email is followed, the address receives that confirmation and nothing else. Test
and confirmation mails are limited per user. Real SMTP on loopback (aiosmtpd)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from pricing.alerts import outbox
from pricing.alerts.models import ApiToken, Channel, Delivery
from tests.alerts.helpers import T0, baseline, hours, rule, sweep

pytestmark = pytest.mark.django_db


def link(mail: dict) -> str:
    match = re.search(r"http://\S+/alerts/confirm/(\S+)/", mail["data"].replace("=\n", ""))
    assert match, mail["data"]
    return f"/alerts/confirm/{match[1]}/"


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def test_a_new_email_channel_gets_its_confirmation_and_nothing_else(logged_in, user, smtp):
    logged_in.post("/alerts/channels/new/", {"kind": "email", "target": "ops@example.com"})
    channel = Channel.objects.get(kind="email")
    assert channel.needs_confirmation
    assert len(smtp.messages) == 1 and smtp.messages[0]["to"] == ["ops@example.com"]
    assert "Confirm your address" in smtp.messages[0]["data"]
    # A matching price change makes no delivery for it, and a test press is refused.
    baseline(1)
    rule(user, [channel], condition="change")
    sweep(T0 + hours(2), {0: ("0.5", "2")})
    outbox.dispatch_due(T0 + hours(2))
    assert not Delivery.objects.exists()
    page = logged_in.post(f"/alerts/channels/{channel.pk}/test/", follow=True).content.decode()
    assert "not confirmed yet" in page
    assert len(smtp.messages) == 1


def test_following_the_link_confirms_and_then_alerts_flow(client, logged_in, user, smtp):
    logged_in.post("/alerts/channels/new/", {"kind": "email", "target": "ops@example.com"})
    url = link(smtp.messages[0])
    client.logout()  # the link works from any browser: it is the token that proves the address
    page = client.get(url)
    assert page.status_code == 200 and "Confirm this address" in page.content.decode()
    assert Channel.objects.get().needs_confirmation  # a GET (a mail scanner) confirms nothing
    assert "Confirmed" in client.post(url).content.decode()
    channel = Channel.objects.get()
    assert not channel.needs_confirmation
    client.force_login(user)
    assert "Test sent" in client.post(f"/alerts/channels/{channel.pk}/test/", follow=True).content.decode()
    assert len(smtp.messages) == 2 and "This is a test" in smtp.messages[1]["data"]


def test_an_expired_or_tampered_link_confirms_nothing(client, logged_in, smtp, settings):
    logged_in.post("/alerts/channels/new/", {"kind": "email", "target": "ops@example.com"})
    url = link(smtp.messages[0])
    assert client.post(url[:-3] + "xx/").status_code == 400
    with time_machine.travel(timezone.now() + timedelta(days=settings.ALERTS_CONFIRM_DAYS, hours=1)):
        response = client.post(url)
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert Channel.objects.get().needs_confirmation


def test_a_link_for_another_address_does_not_confirm_this_one(client, user, smtp):
    first = Channel.objects.create(user=user, kind="email", target="a@example.com")
    token = outbox.confirm_token(first)
    Channel.objects.filter(pk=first.pk).update(target="b@example.com")
    assert client.post(f"/alerts/confirm/{token}/").status_code == 400
    assert Channel.objects.get().needs_confirmation


def test_the_api_creates_unconfirmed_email_channels_and_mails_the_link(client, user, smtp):
    _, token = ApiToken.issue(user, "t")
    response = client.post("/api/v1/alerts/channels", json.dumps({"kind": "email", "target": "ops@example.com"}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 201 and response.json()["confirmed"] is False
    assert len(smtp.messages) == 1 and "/alerts/confirm/" in smtp.messages[0]["data"]
    test = client.post(f"/api/v1/alerts/channels/{response.json()['id']}/test", "{}",
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert test.status_code == 429 and "not confirmed" in test.json()["error"]["message"]
    assert len(smtp.messages) == 1


def test_confirmation_and_test_mails_are_limited_per_user(logged_in, user, smtp, settings):
    settings.ALERTS_TEST_SENDS_PER_HOUR = 3
    for i in range(5):
        logged_in.post("/alerts/channels/new/", {"kind": "email", "target": f"victim{i}@example.com"})
    assert len(smtp.messages) == 3
    assert Channel.objects.count() == 3
    channel = Channel.objects.first()
    page = logged_in.post(f"/alerts/channels/{channel.pk}/confirm/", follow=True).content.decode()
    assert "less than ten minutes ago" in page
    assert len(smtp.messages) == 3


def test_resending_a_confirmation_after_ten_minutes_works(logged_in, user, smtp):
    logged_in.post("/alerts/channels/new/", {"kind": "email", "target": "ops@example.com"})
    channel = Channel.objects.get()
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        logged_in.post(f"/alerts/channels/{channel.pk}/confirm/")
    assert len(smtp.messages) == 2


def test_one_address_gets_only_a_few_confirmations_a_day_whichever_accounts_ask(client, django_user_model, smtp):
    for i in range(5):
        someone = django_user_model.objects.create_user(f"u{i}", f"u{i}@example.com", "a-long-enough-pass-1")
        client.force_login(someone)
        client.post("/alerts/channels/new/", {"kind": "email", "target": "Victim@example.com"})
    assert len(smtp.messages) == outbox.CONFIRMATIONS_PER_ADDRESS_PER_DAY
    page = client.post("/alerts/channels/new/", {"kind": "email", "target": "victim@example.com"}).content.decode()
    assert "enough confirmation emails today" in page
