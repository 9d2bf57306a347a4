from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pricing.collection.snapshot import load
from pricing.models import ChangeEvent, CollectionRun, Model, Offer, PendingPrice, PricePeriod, QuoteRejection
from pricing.queries import offers_for_model, reference

pytestmark = pytest.mark.django_db


def test_the_bundled_snapshot_loads_every_observation_with_its_source():
    counts = load()
    assert counts["runs"] > 5
    assert QuoteRejection.objects.count() == 0
    assert not CollectionRun.objects.exclude(status="complete").exists()
    assert Offer.objects.count() > 50
    assert not PricePeriod.objects.filter(source__isnull=True).exists()
    assert all(p.extra.get("cite") for p in PricePeriod.objects.all()[:50])


def test_loading_the_snapshot_twice_changes_nothing():
    load()
    before = (PricePeriod.objects.count(), ChangeEvent.objects.count(), Offer.objects.count())
    counts = load()
    assert counts["runs"] == 0
    assert (PricePeriod.objects.count(), ChangeEvent.objects.count(), Offer.objects.count()) == before


def test_the_snapshot_keeps_real_price_changes_and_alerts_on_none_of_them():
    load()
    v3 = Offer.objects.get(model__slug="deepseek/deepseek-chat", provider__slug="deepseek", variant="")
    periods = list(PricePeriod.objects.filter(offer=v3, source__slug="llm-prices").order_by("valid_from"))
    assert [(p.input, p.output) for p in periods][:2] == [(Decimal("0.14"), Decimal("0.28")),
                                                         (Decimal("0.27"), Decimal("1.1"))]
    assert periods[0].valid_to == datetime(2025, 2, 8, tzinfo=UTC)
    assert not ChangeEvent.objects.filter(notify=True).exists()


def test_o1_against_r1_at_launch_is_about_27_times():
    load()
    at = datetime(2025, 2, 1, tzinfo=UTC)
    o1 = Model.objects.get(slug="openai/o1")
    r1 = Model.objects.get(slug="deepseek/deepseek-r1")
    ref_o1 = reference(o1, offers_for_model(o1, as_of=at), "first-party")
    ref_r1 = reference(r1, offers_for_model(r1, as_of=at), "first-party")
    assert (ref_o1.input, ref_o1.output) == (Decimal("15"), Decimal("60"))
    assert (ref_r1.input, ref_r1.output) == (Decimal("0.55"), Decimal("2.19"))
    assert round(ref_o1.input / ref_r1.input, 2) == Decimal("27.27")
    assert round(ref_o1.output / ref_r1.output, 2) == Decimal("27.40")


def test_one_endpoint_is_one_offer_across_the_snapshot_captures():
    # 2025-06-27 lists "crusoe" (no tag), 2026-08-08 "crusoe/bf16": one offer whose price changed.
    load()
    crusoe = Offer.objects.filter(model__slug="meta-llama/llama-3.3-70b-instruct", provider__slug="crusoe")
    assert [o.variant for o in crusoe] == [""]
    offer = crusoe.get()
    periods = [(p.input, p.output, p.valid_to) for p in offer.periods.filter(source__slug="openrouter").order_by("valid_from")]
    assert periods == [(Decimal("0.039"), Decimal("0.12"), datetime(2026, 8, 8, tzinfo=UTC)),
                       (Decimal("0.25"), Decimal("0.75"), None)]
    assert offer.quantization == "bf16"
    assert not PendingPrice.objects.exists()


def test_offers_a_later_complete_listing_leaves_out_stop_being_current():
    load()
    llama = "meta-llama/llama-3.3-70b-instruct"
    kluster = Offer.objects.get(model__slug=llama, provider__slug="kluster")
    assert not kluster.periods.filter(valid_to__isnull=True).exists()
    assert kluster.gone_at is not None
    removed = ChangeEvent.objects.get(kind="removed", offer=kluster)
    assert (removed.at, removed.notify) == (datetime(2026, 8, 8, tzinfo=UTC), False)
    # The 2026 capture lists 13 endpoints; each is current, and nothing else from OpenRouter is.
    current = PricePeriod.objects.filter(offer__model__slug=llama, source__slug="openrouter", valid_to__isnull=True)
    assert current.exclude(offer__provider__slug="openrouter").count() == 13
    # A model the snapshot declares no complete listing for keeps its offers.
    assert PricePeriod.objects.filter(offer__model__slug="meta-llama/llama-3.1-405b-instruct",
                                      source__slug="openrouter", valid_to__isnull=True
                                      ).exclude(offer__provider__slug="openrouter").count() == 6


def test_the_snapshot_keeps_sambanovas_discount_beside_the_price_paid():
    load()
    sambanova = Offer.objects.get(model__slug="meta-llama/llama-3.3-70b-instruct", provider__slug="sambanova")
    period = sambanova.periods.get(source__slug="openrouter", valid_to__isnull=True)
    assert (period.input, period.output) == (Decimal("0.45"), Decimal("0.9"))
    assert period.extra["discount"] == "0.25" and period.extra["list_price"] == {"input": "0.6", "output": "1.2"}
    # 2025-06-27 listed SambaNova's one endpoint at its list price; one offer, one price change.
    assert sambanova.periods.filter(source__slug="openrouter").count() == 2
