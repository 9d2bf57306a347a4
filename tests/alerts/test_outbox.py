from __future__ import annotations

import email
import email.policy
import json
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from pricing.alerts import outbox
from pricing.alerts.models import Attempt, Channel, Delivery, Evaluation, Message
from pricing.models import ChangeEvent, PendingPrice
from tests.alerts.helpers import T0, baseline, email_channel, hours, offer, rule, sweep, webhook_channel

pytestmark = pytest.mark.django_db


def dispatch_at(at):
    with time_machine.travel(at, tick=False):
        return outbox.dispatch_due()


def test_a_price_change_ingested_twice_sends_exactly_one_email_and_one_webhook(user, smtp, receiver):
    baseline(2)
    hook, mail = webhook_channel(user, receiver.url()), email_channel(user)
    rule(user, [hook, mail], condition="change")
    sweep(T0 + hours(2), {0: ("0.5", "2"), 1: ("1", "2")})
    assert dispatch_at(T0 + hours(2)) == 2
    sweep(T0 + hours(2), {0: ("0.5", "2"), 1: ("1", "2")})
    sweep(T0 + hours(3), {0: ("0.5", "2"), 1: ("1", "2")})
    assert dispatch_at(T0 + hours(3)) == 0
    assert dispatch_at(T0 + hours(4)) == 0
    assert ChangeEvent.objects.filter(kind="price").count() == 1
    assert len(smtp.messages) == 1 and len(receiver.requests) == 1
    body = json.loads(receiver.requests[0].body)
    assert body["type"] == "ratecard.alert"
    item = body["data"]["items"][0]
    assert (item["model"], item["provider"], item["new"]["input"]) == ("lab/model-0", "host", "0.5")
    mail_msg = email.message_from_string(smtp.messages[0]["data"], policy=email.policy.default)
    assert "lab/model-0 @ host" in mail_msg["Subject"]
    assert "/alerts/unsubscribe/" in mail_msg.get_content()


def test_the_webhook_signature_verifies_with_standardwebhooks_and_fails_when_tampered(user, receiver):
    baseline(1)
    hook = webhook_channel(user, receiver.url())
    rule(user, [hook], condition="change")
    sweep(T0 + hours(2), {0: ("0.9", "2")})
    outbox.dispatch_due()
    request = receiver.requests[0]
    headers = {k: request.headers[k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(hook.secret).verify(request.body, headers)["data"]["items"][0]["model"] == "lab/model-0"
    with pytest.raises(WebhookVerificationError):
        Webhook(hook.secret).verify(request.body.replace(b"0.9", b"0.1"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(hook.secret).verify(request.body, {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) - 1)})
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB").verify(request.body, headers)


@pytest.mark.parametrize("body", [b"{}", b'{"a": "\\u00e9\\n<script>"}', json.dumps({"n": "x" * 5000}).encode()])
def test_signed_random_bodies_verify(body):
    from pricing.alerts.models import new_webhook_secret
    from pricing.alerts.transports.webhook import sign

    secret = new_webhook_secret()
    headers = sign(secret, "msg_1", body.decode())
    Webhook(secret).verify(body, headers)


def test_notify_false_events_and_first_sweeps_never_alert(user, receiver):
    hook = webhook_channel(user, receiver.url())
    rule(user, [hook], condition="new_host")
    baseline(3)  # a source's first sweep is its baseline: no news
    assert not ChangeEvent.objects.filter(notify=True).exists()
    from pricing.models import Model
    from tests.pricing.factories import source

    Model.objects.create(slug="lab/model-9", name="Model 9", author="lab")
    sweep(T0 + hours(2), {9: ("1", "2")}, provider="backfill", src=source("history"))  # history's first sweep
    ChangeEvent.objects.update(notify=False)
    sweep(T0 + hours(2), {9: ("1", "2")}, provider="backfill", src=source("history"))
    assert outbox.dispatch_due() == 0
    assert receiver.requests == [] and Evaluation.objects.count() == 0


def test_a_pending_price_jump_alerts_only_once_confirmed(user, receiver):
    baseline(1)
    hook = webhook_channel(user, receiver.url())
    rule(user, [hook], condition="drop", percent=Decimal("50"))
    sweep(T0 + hours(2), {0: ("0.05", "0.2")})  # a 20x cut is held as pending
    assert PendingPrice.objects.count() == 1
    assert outbox.dispatch_due() == 0 and receiver.requests == []
    sweep(T0 + hours(3), {0: ("0.05", "0.2")})  # the next run confirms it
    assert outbox.dispatch_due() == 1
    assert len(receiver.requests) == 1


def test_drop_and_rise_rules_fire_only_past_their_percentage(user, receiver):
    baseline(2)
    hook = webhook_channel(user, receiver.url())
    big = rule(user, [hook], condition="drop", percent=Decimal("50"), price_field="input")
    rise = rule(user, [hook], condition="rise", percent=Decimal("10"), price_field="output")
    sweep(T0 + hours(2), {0: ("0.4", "2"), 1: ("0.8", "2.5")})  # model-0 input -60%, model-1 input -20%, output +25%
    outbox.dispatch_due()
    fired = sorted((d.rule_id, d.event.offer.model.slug) for d in Delivery.objects.select_related("event__offer__model"))
    assert fired == [(big.id, "lab/model-0"), (rise.id, "lab/model-1")]


def test_below_fires_when_the_blended_price_crosses_the_threshold_at_the_chosen_mix(user, receiver):
    baseline(1)
    hook = webhook_channel(user, receiver.url())
    r = rule(user, [hook], condition="below", threshold=Decimal("1"), price_field="blended", mix_input=1, mix_output=1)
    sweep(T0 + hours(2), {0: ("0.8", "1.6")})  # blended 1:1 goes 1.5 -> 1.2: not below 1
    sweep(T0 + hours(3), {0: ("0.5", "1.2")})  # 1.2 -> 0.85: crosses
    sweep(T0 + hours(4), {0: ("0.4", "1.2")})  # 0.85 -> 0.8: already below, no second alert
    outbox.dispatch_due()
    assert Delivery.objects.filter(rule=r).count() == 1
    assert "blended 1:1 $1.20 → $0.85 / M, below $1.00" in Delivery.objects.get(rule=r).summary


def test_silent_attribute_changes_and_removed_offers_fire_their_rules(user, receiver, settings):
    settings.INGEST_REMOVE_AFTER_RUNS = 1
    baseline(2)
    sweep(T0 + hours(1, ), {0: ("1", "2"), 1: ("1", "2")}, quantization="bf16")
    hook = webhook_channel(user, receiver.url())
    silent = rule(user, [hook], condition="silent")
    removed = rule(user, [hook], condition="removed")
    sweep(T0 + hours(2), {0: ("1", "2")}, quantization="fp8")  # model-1 gone, model-0 quantized
    outbox.dispatch_due()
    assert Delivery.objects.filter(rule=removed).get().event.offer == offer(1)
    assert "quantization" in Delivery.objects.filter(rule=silent).get().summary


def test_new_host_and_cheapest_rules_watch_one_model(user, receiver):
    baseline(1)
    hook = webhook_channel(user, receiver.url())
    from pricing.models import Model

    model = Model.objects.get(slug="lab/model-0")
    new_host = rule(user, [hook], condition="new_host", model=model)
    cheapest = rule(user, [hook], condition="cheapest", model=model)
    from tests.pricing.factories import source

    other = source("other")
    sweep(T0, {0: ("3", "3")}, provider="dear", src=other)  # other's first sweep: baseline, no alert
    sweep(T0 + hours(2), {0: ("0.5", "1")}, provider="cheap", src=other)
    outbox.dispatch_due()
    assert Delivery.objects.filter(rule=new_host).count() == 1
    assert "cheapest is now cheap" in Delivery.objects.get(rule=cheapest).summary


def test_a_digest_gathers_several_events_into_one_message(user, smtp):
    baseline(3)
    mail = email_channel(user)
    rule(user, [mail], condition="change", digest="hourly")
    at = T0 + hours(2) + timedelta(minutes=10)
    sweep(at, {0: ("0.5", "2"), 1: ("0.6", "2"), 2: ("1", "2")})
    assert dispatch_at(at) == 0  # waits for the end of the hour
    sweep(at + timedelta(minutes=20), {0: ("0.5", "2"), 1: ("0.6", "2"), 2: ("0.7", "2")})
    assert dispatch_at(at + timedelta(minutes=25)) == 0
    assert dispatch_at(T0 + hours(3) + timedelta(seconds=1)) == 1
    assert len(smtp.messages) == 1 and Message.objects.count() == 1
    parsed = email.message_from_string(smtp.messages[0]["data"], policy=email.policy.default)
    text = parsed.get_content()
    assert all(f"lab/model-{i} @ host" in text for i in range(3))
    assert "3 price changes" in parsed["Subject"]


def test_a_refused_recipient_disables_the_email_channel_and_the_page_says_so(user, smtp, client):
    baseline(1)
    mail = email_channel(user, "gone@example.com")
    smtp.refuse.add("gone@example.com")
    rule(user, [mail], condition="change")
    sweep(T0 + hours(2), {0: ("0.5", "2")})
    outbox.dispatch_due()
    mail.refresh_from_db()
    assert not mail.enabled and "refused" in mail.disabled_reason
    assert Message.objects.get().status == Message.Status.FAILED
    client.force_login(user)
    assert "was disabled" in client.get("/alerts/").content.decode()


def test_header_injection_from_a_model_name_is_neutralised(user, smtp):
    from pricing.alerts.transports import Content
    from pricing.alerts.transports import email as email_transport

    mail = email_channel(user)
    email_transport.send(mail, Content(subject="evil\r\nBcc: victim@example.com", lines=["x"]), "msg_1")
    parsed = email.message_from_string(smtp.messages[0]["data"], policy=email.policy.default)
    assert parsed["Bcc"] is None and smtp.messages[0]["to"] == ["ada@example.com"]
    assert "\n" not in parsed["Subject"]


def test_slack_and_discord_payloads_ping_nobody():
    from pricing.alerts.transports import Content, discord, slack

    content = Content(subject="@everyone <!channel> model", lines=["@here x <@&123> & <b>"])
    s = slack.payload(content)["text"]
    assert "<!channel>" not in s and "@everyone" not in s and "@here" not in s and "&lt;b&gt;" in s
    d = discord.payload(content)
    assert d["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in d["content"] and "@here" not in d["content"] and "<@&" not in d["content"]


def test_a_stale_source_alerts_once_per_episode(user, receiver):
    from pricing.models import CollectionRun
    from tests.pricing.factories import source

    src = source("slow")
    run = CollectionRun.objects.create(source=src, slot=T0, status="complete", finished=T0)
    hook = webhook_channel(user, receiver.url())
    rule(user, [hook], condition="stale", source=src, stale_hours=6)
    assert dispatch_at(T0 + hours(5)) == 0
    assert dispatch_at(T0 + hours(7)) == 1
    assert dispatch_at(T0 + hours(9)) == 0
    CollectionRun.objects.filter(pk=run.pk).update(finished=T0)  # unchanged episode
    CollectionRun.objects.create(source=src, slot=T0 + hours(10), status="complete", finished=T0 + hours(10))
    assert dispatch_at(T0 + hours(17)) == 1
    assert len(receiver.requests) == 2


def test_a_paused_rule_and_a_disabled_channel_send_nothing(user, receiver):
    baseline(1)
    hook = webhook_channel(user, receiver.url())
    rule(user, [hook], condition="change", paused=True)
    off = Channel.objects.create(user=user, kind="webhook", target=receiver.url("/off"), secret="whsec_QUFB",
                                 enabled=False)
    rule(user, [off], condition="change")
    sweep(T0 + hours(2), {0: ("0.5", "2")})
    assert outbox.dispatch_due() == 0 and receiver.requests == []


def test_the_feed_lists_sent_alerts(user, client):
    baseline(1)
    feed = Channel.objects.create(user=user, kind="feed", secret="feed-token-123")
    rule(user, [feed], condition="change")
    sweep(T0 + hours(2), {0: ("0.5", "2")})
    assert outbox.dispatch_due() == 1
    response = client.get("/alerts/feed/feed-token-123.atom")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    assert "lab/model-0 @ host" in response.content.decode()
    assert client.get("/alerts/feed/wrong.atom").status_code == 404


def test_attempts_are_stored_with_status_and_duration(user, receiver):
    baseline(1)
    rule(user, [webhook_channel(user, receiver.url())], condition="change")
    sweep(T0 + hours(2), {0: ("0.5", "2")})
    outbox.dispatch_due()
    attempt = Attempt.objects.get()
    assert (attempt.outcome, attempt.status_code) == ("ok", 200)
    assert attempt.response == '{"ok": true}' and attempt.duration_ms >= 0


def test_evaluating_an_event_again_makes_no_second_delivery(user, receiver):
    baseline(1)
    rule(user, [webhook_channel(user, receiver.url())], condition="change")
    sweep(T0 + hours(2), {0: ("0.5", "2")})
    outbox.evaluate()
    Evaluation.objects.all().delete()  # as if a second dispatcher had missed the claim
    assert outbox.evaluate() == 0
    assert Delivery.objects.count() == 1 and Message.objects.count() == 1


@pytest.mark.parametrize("kind", ["slack", "discord"])
def test_slack_and_discord_channels_post_their_own_shape(user, receiver, kind):
    baseline(1)
    from pricing.models import Model

    channel = Channel.objects.create(user=user, kind=kind, target=receiver.url())
    rule(user, [channel], condition="change")
    sweep(T0 + hours(2), {0: ("0.5", "2")})
    Model.objects.filter(slug="lab/model-0").update(slug="lab/@everyone")  # a hostile name, as evaluated
    assert outbox.dispatch_due() == 1
    body = json.loads(receiver.requests[0].body)
    text = body["text"] if kind == "slack" else body["content"]
    assert "@everyone" not in text and "everyone" in text
    assert "webhook-signature" not in receiver.requests[0].headers
    if kind == "discord":
        assert body["allowed_mentions"] == {"parse": []}


def test_an_attribute_rule_fires_when_the_quantization_changes_with_the_price_in_one_run(user, receiver):
    baseline(2)
    sweep(T0 + hours(1), {0: ("1", "2"), 1: ("1", "2")}, quantization="bf16")
    hook = webhook_channel(user, receiver.url())
    watch = rule(user, [hook], condition="silent")
    quant_only = rule(user, [hook], condition="silent", attribute="quantization")
    status_only = rule(user, [hook], condition="silent", attribute="status")
    # One run: model-0 goes fp8 and cheaper at once; model-1 goes fp8 at the same price.
    sweep(T0 + hours(2), {0: ("0.5", "2"), 1: ("1", "2")}, quantization="fp8")
    outbox.dispatch_due()
    fired = sorted((d.rule_id, d.event.offer.model.slug) for d in Delivery.objects.select_related("event__offer__model"))
    assert fired == [(watch.id, "lab/model-0"), (watch.id, "lab/model-1"),
                     (quant_only.id, "lab/model-0"), (quant_only.id, "lab/model-1")]
    assert not Delivery.objects.filter(rule=status_only).exists()
    summaries = {d.event.offer.model.slug: d.summary for d in Delivery.objects.filter(rule=watch)}
    assert summaries["lab/model-0"] == "lab/model-0 @ host: quantization bf16 → fp8, price changed too"
    assert summaries["lab/model-1"] == "lab/model-1 @ host: quantization bf16 → fp8, price unchanged"


def test_the_cheapest_rule_watches_hosts_not_an_aggregators_own_price(user, receiver):
    """The cheapest current host, as every figure counts it: an aggregator undercutting the hosts
    (OpenRouter's own list price) fires nothing; a host that does fires once."""
    baseline(1)
    hook = webhook_channel(user, receiver.url())
    from pricing.models import Model, Provider
    from tests.pricing.factories import source

    cheapest = rule(user, [hook], condition="cheapest", model=Model.objects.get(slug="lab/model-0"))
    other = source("other")
    sweep(T0, {0: ("3", "3")}, provider="dear", src=other)  # baseline
    Provider.objects.create(slug="router", name="Router", kind="aggregator")
    sweep(T0 + hours(2), {0: ("0.1", "0.1")}, provider="router", src=other)
    outbox.dispatch_due()
    assert not Delivery.objects.filter(rule=cheapest).exists()
    sweep(T0 + hours(3), {0: ("0.5", "1")}, provider="cheap", src=other)
    outbox.dispatch_due()
    assert "cheapest is now cheap" in Delivery.objects.get(rule=cheapest).summary
