"""Building prices and rules for alert tests, through the real ingestion path."""

from __future__ import annotations

from datetime import datetime

from pricing.alerts.models import Channel, Rule, new_webhook_secret
from pricing.collection.ingest import ingest
from pricing.models import CollectionRun, Model, Offer
from tests.pricing.factories import T0, hours, quote, result, run, source

__all__ = ["T0", "hours", "sweep", "baseline", "webhook_channel", "email_channel", "rule", "offer"]


def sweep(at: datetime, prices: dict[int, tuple[str, str]], provider: str = "host", src=None, **kw):
    src = src or source()
    quotes = [quote(i, provider=provider, input=a, output=b, **kw) for i, (a, b) in prices.items()]
    r = run(src, at)
    stats = ingest(r, result(quotes), at=at)
    # As payloads.conclude would: a finished complete run is what makes the next one news.
    CollectionRun.objects.filter(pk=r.pk).update(status="complete", finished=at)
    return stats


def baseline(n: int = 2, provider: str = "host") -> None:
    """Models lab/model-0..n-1 priced 1/2 at one host: a first sweep (no alerts) and a second."""
    Model.objects.bulk_create(
        [Model(slug=f"lab/model-{i}", name=f"Model {i}", author="lab") for i in range(n)], ignore_conflicts=True
    )
    sweep(T0, {i: ("1", "2") for i in range(n)}, provider=provider)
    sweep(T0 + hours(1), {i: ("1", "2") for i in range(n)}, provider=provider)


def webhook_channel(user, url: str) -> Channel:
    return Channel.objects.create(user=user, kind="webhook", target=url, secret=new_webhook_secret())


def email_channel(user, address: str = "ada@example.com", confirmed: bool = True) -> Channel:
    """An email channel as it stands once its owner followed the confirmation link (double opt-in)."""
    return Channel.objects.create(user=user, kind="email", target=address, confirmed_at=T0 if confirmed else None)


def rule(user, channels, **kw) -> Rule:
    r = Rule.objects.create(user=user, **kw)
    r.channels.set(channels)
    return r


def offer(i: int = 0, provider: str = "host") -> Offer:
    return Offer.objects.get(model__slug=f"lab/model-{i}", provider__slug=provider)
