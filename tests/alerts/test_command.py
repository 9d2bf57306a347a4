from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pricing.alerts.models import Channel, Rule
from pricing.models import Model, Provider
from tests.alerts.helpers import T0, baseline, hours, sweep

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("alert", *args, stdout=out)
    return out.getvalue()


def test_alert_add_creates_a_webhook_rule_owned_by_the_operator():
    Model.objects.create(slug="deepseek/deepseek-r1", name="R1", author="deepseek")
    Provider.objects.create(slug="together", name="Together")
    out = run("add", "--webhook", "https://hooks.example.com/x", "--model", "deepseek/deepseek-r1",
              "--provider", "together", "--when", "drop:20")
    rule = Rule.objects.get()
    assert (rule.user.username, rule.condition, str(rule.percent)) == ("operator", "drop", "20.00")
    assert (rule.model.slug, rule.provider.slug) == ("deepseek/deepseek-r1", "together")
    channel = rule.channels.get()
    assert channel.kind == "webhook" and channel.secret in out


def test_alert_add_by_email_with_a_threshold():
    run("add", "--email", "ops@example.com", "--when", "below:0.5")
    rule = Rule.objects.get()
    assert (rule.condition, str(rule.threshold.normalize())) == ("below", "0.5")
    assert rule.channels.get().target == "ops@example.com"


@pytest.mark.parametrize("args, message", [
    (["add", "--email", "ops@example.com", "--when", "drop"], "--when must be"),
    (["add", "--email", "ops@example.com", "--when", "drop:abc"], "not a number"),
    (["add", "--email", "ops@example.com", "--when", "below:nan"], "finite"),
    (["add", "--email", "not-an-address"], "valid email"),
    (["add", "--webhook", "http://169.254.169.254/"], "not a public address"),
    (["add", "--email", "ops@example.com", "--model", "no/such"], "No model"),
    (["add", "--email", "ops@example.com", "--provider", "nobody"], "No provider"),
])
def test_bad_input_is_a_command_error_with_a_clear_message(args, message, settings):
    settings.ALERTS_ALLOW_PRIVATE_WEBHOOKS = False
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not Rule.objects.exists() and not Channel.objects.exists()


def test_alert_list_shows_rules_with_their_last_delivery(receiver):
    from pricing.alerts.outbox import dispatch_due

    baseline(1)
    run("add", "--webhook", receiver.url(), "--model", "lab/model-0")
    run("add", "--email", "ops@example.com", "--when", "rise:50")
    sweep(T0 + hours(2), {0: ("0.5", "2")})
    dispatch_due()
    out = run("list")
    lines = [line for line in out.splitlines() if "lab/model-0" in line or "rise" in line]
    assert "ok (200)" in lines[0]
    assert "never" in out
