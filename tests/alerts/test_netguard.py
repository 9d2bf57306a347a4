from __future__ import annotations

import pytest

from pricing.alerts import netguard
from pricing.alerts.models import Attempt, Message
from pricing.alerts.outbox import send_test
from tests.alerts.helpers import webhook_channel

BLOCKED = [
    "127.0.0.1", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0.0.0.0", "0", "10.0.0.1", "172.16.5.4",
    "192.168.1.1", "100.64.0.1", "100.127.255.254", "169.254.169.254", "169.254.0.1", "224.0.0.1", "239.255.255.250",
    "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1", "::1", "[::1]", "::", "::ffff:127.0.0.1",
    "[::ffff:7f00:1]", "::ffff:10.0.0.1", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1", "64:ff9b::7f00:1",
    "64:ff9b::a00:1", "2002:7f00:1::", "2002:c0a8:101::1", "2001:0:4136:e378::1", "2001:db8::1",
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700::1", "2a00:1450:4001::1", "64:ff9b::5db8:d822",
          "2002:5db8:d822::1"]


@pytest.mark.parametrize("host", BLOCKED)
def test_every_non_public_address_spelling_is_blocked(host):
    address = netguard.parse_literal(host)
    assert address is not None
    assert not netguard.is_public(address)


@pytest.mark.parametrize("host", PUBLIC)
def test_public_addresses_are_allowed(host):
    address = netguard.parse_literal(host)
    assert address is not None and netguard.is_public(address)


@pytest.mark.parametrize("url", [
    "http://127.1/hook", "http://2130706433/", "http://0x7f000001/", "http://[::ffff:7f00:1]/",
    "http://100.64.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::]/", "http://localhost/",
])
def test_form_validation_refuses_private_literal_urls(url, settings):
    settings.ALERTS_ALLOW_PRIVATE_WEBHOOKS = False
    with pytest.raises(netguard.BlockedAddress):
        netguard.check_url(url)


@pytest.mark.parametrize("url", ["http://user@127.0.0.1/", "http://user:pw@example.com/", "ftp://example.com/",
                                 "file:///etc/passwd", "http://example.com/a b", "http:///nohost"])
def test_urls_with_credentials_other_schemes_or_no_host_are_refused(url):
    with pytest.raises(netguard.BlockedAddress):
        netguard.parse_url(url)


def test_a_public_host_name_passes_form_validation_without_a_lookup(settings, monkeypatch):
    settings.ALERTS_ALLOW_PRIVATE_WEBHOOKS = False
    monkeypatch.setattr(netguard, "resolve", lambda host, port: pytest.fail("no lookup at validation"))
    netguard.check_url("https://hooks.example.com/services/x")


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_receiver_gets_nothing_when_private_targets_are_not_allowed(host, settings, receiver, user):
    settings.ALERTS_ALLOW_PRIVATE_WEBHOOKS = False
    channel = webhook_channel(user, receiver.url(host=host))
    message = send_test(channel)
    assert receiver.requests == []
    assert message.status == Message.Status.FAILED
    attempt = Attempt.objects.get(message=message)
    assert attempt.outcome == Attempt.Outcome.BLOCKED
    assert "blocked address" in attempt.error


@pytest.mark.django_db
def test_with_private_targets_allowed_the_receiver_gets_exactly_one_request(settings, receiver, user):
    settings.ALERTS_ALLOW_PRIVATE_WEBHOOKS = True
    message = send_test(webhook_channel(user, receiver.url()))
    assert message.status == Message.Status.SENT
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_a_name_that_resolves_public_first_then_private_is_blocked_at_connect(settings, receiver, user, monkeypatch):
    settings.ALERTS_ALLOW_PRIVATE_WEBHOOKS = False
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    calls = []

    def rebinding(host, port):
        calls.append(host)
        return next(answers)

    monkeypatch.setattr(netguard, "resolve", rebinding)
    url = f"http://rebind.test:{receiver.port}/hook"
    # The first answer is what a validator sees: public.
    assert netguard.vet_host("rebind.test", receiver.port) == netguard.parse_literal("93.184.216.34")
    message = send_test(webhook_channel(user, url))
    assert calls == ["rebind.test", "rebind.test"]
    assert receiver.requests == []
    assert Attempt.objects.get(message=message).outcome == Attempt.Outcome.BLOCKED


def test_the_socket_connects_to_exactly_the_vetted_address(settings, receiver, monkeypatch):
    """A name resolving to several addresses is connected at the one that was checked, with the
    original Host header."""
    settings.ALERTS_ALLOW_PRIVATE_WEBHOOKS = True
    monkeypatch.setattr(netguard, "resolve", lambda host, port: ["127.0.0.1", "10.255.255.1"])
    response = netguard.post(f"http://hooks.test:{receiver.port}/x", b"{}", {})
    assert response.status == 200 and response.peer == "127.0.0.1"
    assert receiver.requests[0].headers["host"] == f"hooks.test:{receiver.port}"


def test_any_private_answer_among_several_blocks_the_name(settings, monkeypatch):
    settings.ALERTS_ALLOW_PRIVATE_WEBHOOKS = False
    monkeypatch.setattr(netguard, "resolve", lambda host, port: ["93.184.216.34", "10.0.0.1"])
    with pytest.raises(netguard.BlockedAddress):
        netguard.vet_host("mixed.test", 80)


def test_the_peer_address_is_checked_after_connecting(settings, receiver):
    settings.ALERTS_ALLOW_PRIVATE_WEBHOOKS = False
    import ipaddress

    with pytest.raises(netguard.BlockedAddress):
        netguard._connect(ipaddress.ip_address("127.0.0.1"), receiver.port, 2)
    assert receiver.requests == []
