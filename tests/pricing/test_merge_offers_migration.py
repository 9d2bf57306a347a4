"""Migration 0003: offers split only by a quantization in their key become one offer, history kept."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from pricing.alerts.models import Rule
from pricing.models import ChangeEvent, Model, Offer, PerfRollup, PerfSample, PricePeriod, Provider, Source

pytestmark = pytest.mark.django_db

migration = importlib.import_module("pricing.migrations.0003_merge_quantization_variant_offers")
D2025 = datetime(2025, 6, 27, tzinfo=UTC)
D2026 = datetime(2026, 8, 8, tzinfo=UTC)


@pytest.fixture
def world():
    source = Source.objects.create(slug="openrouter", name="OpenRouter", kind="aggregator", weight=60)
    llama = Model.objects.create(slug="meta-llama/llama-3.3-70b-instruct", name="Llama 3.3 70B", author="meta-llama")
    return source, llama


def offer(provider: str, model: Model, variant: str, quantization: str = "", at: datetime = D2025) -> Offer:
    host = Provider.objects.get_or_create(slug=provider, defaults={"name": provider})[0]
    return Offer.objects.create(provider=host, model=model, variant=variant, quantization=quantization, first_seen=at)


def period(offer_: Offer, source: Source, price: tuple[str, str], at: datetime, tag: str = "",
           last_seen: datetime | None = None) -> PricePeriod:
    made = PricePeriod.objects.create(
        offer=offer_, source=source, valid_from=at, first_seen=at, last_seen=last_seen or at,
        input=Decimal(price[0]), output=Decimal(price[1]), extra={"tag": tag} if tag else {},
    )
    Offer.objects.filter(pk=offer_.pk).update(current_period=made)
    return made


def test_crusoe_and_crusoe_bf16_become_one_offer_with_their_whole_history(world):
    source, llama = world
    old = offer("crusoe", llama, "")
    new = offer("crusoe", llama, "bf16", "bf16", at=D2026)
    first = period(old, source, ("0.039", "0.12"), D2025, tag="crusoe")
    second = period(new, source, ("0.25", "0.75"), D2026, tag="crusoe/bf16")
    ChangeEvent.objects.create(kind="new_offer", offer=new, source=source, at=D2026, notify=False)
    PerfSample.objects.create(offer=old, source=source, observed_at=D2025, window="30m", ttft_p50_ms=Decimal(900))
    PerfSample.objects.create(offer=new, source=source, observed_at=D2026, window="30m", ttft_p50_ms=Decimal(400))
    PerfRollup.objects.create(offer=new, source=source, day=date(2026, 8, 8), n_samples=1)
    user = get_user_model().objects.create_user("ann", password="x" * 12)
    rule = Rule.objects.create(user=user, offer=new, condition="change")

    migration.merge(apps, None)

    merged = Offer.objects.get(provider__slug="crusoe", model=llama)
    assert (merged.pk, merged.variant, merged.quantization) == (old.pk, "", "bf16")
    assert merged.first_seen == D2025
    periods = list(merged.periods.order_by("valid_from"))
    assert [(p.pk, p.valid_to) for p in periods] == [(first.pk, D2026), (second.pk, None)]
    assert merged.current_period_id == second.pk and merged.gone_at is None
    change = ChangeEvent.objects.get(kind="price")
    assert (change.offer_id, change.at, change.old["input"], change.new["input"], change.notify) == (
        merged.pk, D2026, "0.039", "0.25", False)
    assert ChangeEvent.objects.filter(offer=merged).count() == 2
    assert PerfSample.objects.filter(offer=merged).count() == 2 and PerfRollup.objects.get().offer_id == merged.pk
    rule.refresh_from_db()
    assert rule.offer_id == merged.pk


def test_a_lone_quantization_variant_just_loses_it_from_the_key(world):
    source, llama = world
    only = offer("novita", llama, "bf16")
    period(only, source, ("0.135", "0.4"), D2026, tag="novita/bf16")
    migration.merge(apps, None)
    only.refresh_from_db()
    assert (only.variant, only.quantization) == ("", "bf16")


def test_two_quantizations_listed_side_by_side_stay_two_offers(world):
    source, llama = world
    fp8, bf16 = offer("deepinfra", llama, "fp8", "fp8"), offer("deepinfra", llama, "bf16", "bf16")
    period(fp8, source, ("0.1", "0.3"), D2025, tag="deepinfra/fp8", last_seen=D2026)
    period(bf16, source, ("0.2", "0.4"), D2025, tag="deepinfra/bf16", last_seen=D2026)
    migration.merge(apps, None)
    assert sorted(Offer.objects.filter(provider__slug="deepinfra").values_list("variant", flat=True)) == ["bf16", "fp8"]


def test_sambanova_turbo_is_sambanovas_one_endpoint_but_deepinfra_turbo_is_a_second_offer(world):
    source, llama = world
    plain = offer("sambanova", llama, "")
    period(plain, source, ("0.6", "1.2"), D2025, tag="sambanova")
    turbo = offer("sambanova", llama, "turbo", "bf16", at=D2026)
    period(turbo, source, ("0.45", "0.9"), D2026, tag="sambanova-turbo")
    deepinfra_turbo = offer("deepinfra", llama, "turbo", "fp8", at=D2026)
    period(deepinfra_turbo, source, ("0.1", "0.32"), D2026, tag="deepinfra/turbo")
    migration.merge(apps, None)
    assert list(Offer.objects.filter(provider__slug="sambanova").values_list("variant", flat=True)) == [""]
    assert Offer.objects.get(pk=deepinfra_turbo.pk).variant == "turbo"
    assert PricePeriod.objects.get(offer=plain, valid_to__isnull=True).input == Decimal("0.45")
