from __future__ import annotations

from decimal import Decimal

import pytest

from pricing.alerts import outbox
from pricing.alerts.models import ApiToken, Channel, Rule
from pricing.models import Model
from tests.alerts.helpers import email_channel, rule, webhook_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def test_signing_up_logs_in_and_lands_on_the_alerts_page(client, django_user_model):
    response = client.post("/accounts/signup/", {"username": "bob", "email": "bob@example.com",
                                                 "password1": "correct-horse-9", "password2": "correct-horse-9"})
    assert response.status_code == 302 and response["Location"] == "/alerts/"
    assert django_user_model.objects.filter(username="bob").exists()
    assert client.get("/alerts/").status_code == 200


def test_signup_rejects_mismatched_passwords_with_a_message(client):
    response = client.post("/accounts/signup/", {"username": "bob", "password1": "correct-horse-9",
                                                 "password2": "other-horse-9"})
    assert response.status_code == 400
    assert "didn’t match" in response.content.decode() or "didn't match" in response.content.decode()


def test_login_and_logout_by_post(client, user):
    response = client.post("/accounts/login/", {"username": "ada", "password": "a-long-enough-pass-1"})
    assert response.status_code == 302 and response["Location"] == "/alerts/"
    assert client.get("/alerts/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert client.get("/alerts/")["Location"].startswith("/accounts/login/")


def test_the_alerts_page_needs_a_login(client):
    assert client.get("/alerts/").status_code == 302


def test_creating_a_drop_rule_through_the_form(logged_in, user):
    Model.objects.create(slug="deepseek/deepseek-r1", name="R1", author="deepseek")
    mail = email_channel(user)
    response = logged_in.post("/alerts/rules/new/", {"model": "deepseek/deepseek-r1", "condition": "drop",
                                                     "percent": "20", "price_field": "blended", "mix": "3:1",
                                                     "digest": "immediate", "channels": [mail.pk]})
    assert response.status_code == 302
    created = Rule.objects.get()
    assert (created.model.slug, created.condition, str(created.percent), created.user) == (
        "deepseek/deepseek-r1", "drop", "20.00", user)
    assert list(created.channels.all()) == [mail]
    assert "deepseek/deepseek-r1" in logged_in.get("/alerts/").content.decode()


@pytest.mark.parametrize("data, message", [
    ({"condition": "drop"}, "needs a percentage"),
    ({"condition": "below"}, "needs a price threshold"),
    ({"condition": "below", "threshold": "-1"}, "greater than or equal to 0"),
    ({"condition": "change", "model": "nope/none"}, "No model with the slug"),
    ({"condition": "change", "mix": "3-1"}, "mix must look like 3:1"),
    ({"condition": "cheapest"}, "watches one model"),
    ({"condition": "stale"}, "needs a number of hours"),
    ({"condition": "change", "percent": "abc"}, "Enter a number"),
])
def test_the_rule_form_rejects_bad_input_with_a_message(logged_in, user, data, message):
    mail = email_channel(user)
    payload = {"price_field": "blended", "digest": "immediate", "channels": [mail.pk], **data}
    response = logged_in.post("/alerts/rules/new/", payload)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Rule.objects.exists()


def test_a_rule_needs_one_of_ones_own_channels(logged_in, user, django_user_model):
    other = django_user_model.objects.create_user("eve", password="x-long-pass-22")
    theirs = email_channel(other, "eve@example.com")
    response = logged_in.post("/alerts/rules/new/", {"condition": "change", "price_field": "blended",
                                                     "digest": "immediate", "channels": [theirs.pk]})
    assert response.status_code == 400 and not Rule.objects.exists()


def test_editing_pausing_and_deleting_a_rule(logged_in, user):
    mail = email_channel(user)
    r = rule(user, [mail], condition="change")
    response = logged_in.post(f"/alerts/rules/{r.pk}/", {"condition": "rise", "percent": "15", "price_field": "input",
                                                         "digest": "daily", "channels": [mail.pk], "mix": "3:1"})
    assert response.status_code == 302
    r.refresh_from_db()
    assert (r.condition, str(r.percent), r.price_field, r.digest) == ("rise", "15.00", "input", "daily")
    logged_in.post(f"/alerts/rules/{r.pk}/pause/")
    r.refresh_from_db()
    assert r.paused
    logged_in.post(f"/alerts/rules/{r.pk}/delete/")
    assert not Rule.objects.exists()


def test_another_users_rule_is_not_found(logged_in, django_user_model):
    other = django_user_model.objects.create_user("eve", password="x-long-pass-22")
    theirs = rule(other, [], condition="change")
    assert logged_in.get(f"/alerts/rules/{theirs.pk}/").status_code == 404
    assert logged_in.post(f"/alerts/rules/{theirs.pk}/delete/").status_code == 404
    assert Rule.objects.filter(pk=theirs.pk).exists()


def test_adding_a_webhook_shows_its_secret_once(logged_in, user):
    response = logged_in.post("/alerts/channels/new/", {"kind": "webhook", "target": "https://hooks.example.com/x"})
    channel = Channel.objects.get()
    assert channel.secret.startswith("whsec_") and channel.secret in response.content.decode()
    assert channel.secret not in logged_in.get("/alerts/").content.decode()


@pytest.mark.parametrize("data, message", [
    ({"kind": "email", "target": "not-an-address"}, "Enter a valid email address"),
    ({"kind": "webhook", "target": "ftp://x"}, "only http"),
    ({"kind": "webhook", "target": "http://169.254.169.254/"}, "not a public address"),
    ({"kind": "slack", "target": "http://user@hooks.slack.com/x"}, "user@host"),
])
def test_the_channel_form_rejects_bad_targets(logged_in, settings, data, message):
    settings.ALERTS_ALLOW_PRIVATE_WEBHOOKS = False
    response = logged_in.post("/alerts/channels/new/", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Channel.objects.exists()


def test_send_test_button_reaches_the_receiver(logged_in, user, receiver):
    hook = webhook_channel(user, receiver.url())
    response = logged_in.post(f"/alerts/channels/{hook.pk}/test/", follow=True)
    assert "Test sent" in response.content.decode()
    assert len(receiver.requests) == 1 and b'"ratecard.test"' in receiver.requests[0].body


def test_send_test_reports_a_failure(logged_in, user, receiver):
    receiver.answer(500)
    hook = webhook_channel(user, receiver.url())
    response = logged_in.post(f"/alerts/channels/{hook.pk}/test/", follow=True)
    assert "failed: HTTP 500" in response.content.decode()


def test_a_feed_channel_gets_a_private_url(logged_in, user):
    logged_in.post("/alerts/channels/new/", {"kind": "feed"})
    feed = Channel.objects.get(kind="feed")
    assert len(feed.secret) >= 24
    assert logged_in.get(f"/alerts/feed/{feed.secret}.atom").status_code == 200
    response = logged_in.post("/alerts/channels/new/", {"kind": "feed"})
    assert "already have a feed" in response.content.decode()


def test_an_api_token_is_shown_once_and_stored_hashed(logged_in, user):
    response = logged_in.post("/alerts/tokens/new/", {"name": "ci"})
    token = ApiToken.objects.get()
    text = response.content.decode()
    secret = text.split('<pre class="secret">')[1].split("</pre>")[0]
    assert secret.startswith("rc_") and token.digest == ApiToken.hash(secret)
    assert secret not in logged_in.get("/alerts/").content.decode()


def test_the_unsubscribe_link_works_without_login(client, user):
    mail = email_channel(user)
    token = outbox.unsubscribe_token(mail)
    page = client.get(f"/alerts/unsubscribe/{token}/")
    assert page.status_code == 200 and "ada@example.com" in page.content.decode()
    client.post(f"/alerts/unsubscribe/{token}/")
    mail.refresh_from_db()
    assert not mail.enabled and "unsubscribed" in mail.disabled_reason
    assert client.get(f"/alerts/unsubscribe/{token}x/").status_code == 400


def test_provider_strings_are_escaped_on_the_alerts_page(logged_in, user):
    Model.objects.create(slug="lab/<img src=x onerror=alert(1)>", name="x", author="lab")
    rule(user, [email_channel(user)], condition="change", model=Model.objects.get())
    text = logged_in.get("/alerts/").content.decode()
    assert "<img src=x" not in text and "&lt;img src=x" in text


def test_alert_me_prefills_the_rule_form_with_the_model_picked_by_name(logged_in):
    Model.objects.create(slug="deepseek/deepseek-r1", name="DeepSeek R1", author="deepseek")
    response = logged_in.get("/alerts/rules/new/?model=deepseek/deepseek-r1&provider=together")
    assert response.status_code == 200
    body = response.content.decode()
    # A list of names, the slug underneath, this model chosen: no slug to type.
    assert '<select name="model"' in body
    assert '<option value="deepseek/deepseek-r1" selected>DeepSeek R1 (deepseek/deepseek-r1)</option>' in body


def test_a_first_rule_can_bring_its_own_feed_channel(logged_in, user):
    Model.objects.create(slug="deepseek/deepseek-r1", name="DeepSeek R1", author="deepseek")
    response = logged_in.post("/alerts/rules/new/", {
        "model": "deepseek/deepseek-r1", "condition": "below", "threshold": "1", "price_field": "blended",
        "mix": "3:1", "digest": "immediate", "quick_channel": "feed"})
    assert response.status_code == 302
    created = Rule.objects.get()
    assert [c.kind for c in created.channels.all()] == ["feed"]
    assert created.describe() == "deepseek/deepseek-r1: blended 3:1 below $1.00 / M"
    assert "blended 3:1 below $1.00 / M" in logged_in.get("/alerts/").content.decode()


def test_a_rejected_first_rule_leaves_no_channel_behind(logged_in, user):
    response = logged_in.post("/alerts/rules/new/", {"condition": "below", "price_field": "blended", "mix": "3:1",
                                                     "digest": "immediate", "quick_channel": "feed"})
    assert response.status_code == 400
    assert "needs a price threshold" in response.content.decode()
    assert not Channel.objects.exists() and not Rule.objects.exists()


@pytest.mark.parametrize("fields,words", [
    ({"condition": "drop", "percent": Decimal("12.5"), "price_field": "input"}, "input drops 12.5% or more"),
    ({"condition": "above", "threshold": Decimal("0.039"), "mix_input": 1, "mix_output": 3}, "blended 1:3 above $0.039 / M"),
    ({"condition": "silent", "attribute": "quantization"}, "quantization changes"),
    ({"condition": "cheapest"}, "cheapest offer changes (blended 3:1)"),
])
def test_rule_summaries_carry_their_units(user, fields, words):
    model = Model.objects.create(slug="deepseek/deepseek-r1", name="DeepSeek R1", author="deepseek")
    assert rule(user, [], model=model, **fields).describe() == f"deepseek/deepseek-r1: {words}"


def test_signing_up_from_alert_me_comes_back_to_the_prefilled_form(client):
    target = "/alerts/rules/new/?model=deepseek/deepseek-r1"
    response = client.post(f"/accounts/signup/?next={target}", {
        "username": "bob", "password1": "correct-horse-9", "password2": "correct-horse-9", "next": target})
    assert response.status_code == 302 and response["Location"] == target
    evil = client.post("/accounts/signup/", {"username": "eve", "password1": "correct-horse-9",
                                             "password2": "correct-horse-9", "next": "https://evil.example/"})
    assert evil["Location"] == "/alerts/"
