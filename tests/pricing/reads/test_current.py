"""Current means current: an offer counts while its source's latest listing in scope (that
source's listing of the model) still has it; stale sources are marked, not dropped; hosts apart
from aggregators; one freshness definition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from pricing.models import CollectionRun, Model, Provider, Source
from pricing.queries import offers_for_model, reference
from pricing.queries.freshness import freshness
from pricing.queries.home import headline_cards, popular_open_models
from tests.pricing.views.world import _source, q, sweep

pytestmark = pytest.mark.django_db

CLAUDE = "anthropic/claude-3.5-sonnet"
LLAMA = "meta-llama/llama-3.3-70b-instruct"


@pytest.fixture
def market():
    """Llama at three hosts on OpenRouter in June 2025, then a year later the same listing of
    Llama without Crusoe (the bundled snapshot's case); Claude at Anthropic throughout."""
    anthropic = Provider.objects.create(slug="anthropic", name="Anthropic", kind="lab")
    Model.objects.create(slug=CLAUDE, name="Claude 3.5 Sonnet", author="anthropic", open_weights=False,
                         first_party=anthropic)
    Model.objects.create(slug=LLAMA, name="Llama 3.3 70B", author="meta-llama", open_weights=True)
    now = timezone.now()
    old, new = now - timedelta(days=400), now - timedelta(hours=1)
    curated = _source("llm-prices", "curated")
    sweep(curated, old, [q("anthropic", CLAUDE, "3", "15")])
    sweep(curated, new, [q("anthropic", CLAUDE, "3", "15")])
    openrouter = _source("openrouter", "aggregator")
    sweep(openrouter, old, [q("crusoe", LLAMA, "0.039", "0.12"), q("deepinfra", LLAMA, "0.23", "0.4"),
                            q("together", LLAMA, "0.88", "0.88")])
    sweep(openrouter, new, [q("deepinfra", LLAMA, "0.10", "0.32"), q("together", LLAMA, "0.88", "0.88")])
    return {"old": old, "new": new, "now": now}


def _llama():
    return Model.objects.select_related("first_party").get(slug=LLAMA)


def test_an_offer_missing_from_a_later_listing_stops_counting_as_current(market):
    rows = offers_for_model(_llama())
    assert [r.provider_slug for r in rows] == ["deepinfra", "together"]
    assert all(r.current for r in rows)


def test_the_offer_no_longer_listed_is_still_shown_when_asked_marked_and_dated(market):
    rows = offers_for_model(_llama(), ended=True)
    crusoe = next(r for r in rows if r.provider_slug == "crusoe")
    assert not crusoe.current and crusoe.ended_at == market["new"] and crusoe.last_seen == market["old"]
    assert rows[-1] is crusoe  # current offers first


def test_cheapest_and_the_headline_ratio_change_accordingly(market):
    llama = _llama()
    assert reference(llama, offers_for_model(llama), "cheapest").provider_slug == "deepinfra"
    card = next(c for c in headline_cards() if c.b.model_slug == LLAMA)
    # Claude 3.5 Sonnet 3/15 against DeepInfra's 0.10/0.32 (not Crusoe's 0.039/0.12: 101.3x)
    assert (card.b.provider_slug, card.input, card.output, card.blended) == (
        "deepinfra", Decimal("30.00"), Decimal("46.88"), Decimal("38.71"))


def test_a_point_in_time_read_before_the_later_listing_still_sees_it(market):
    rows = offers_for_model(_llama(), as_of=market["old"] + timedelta(days=1))
    assert {r.provider_slug: r.input for r in rows}["crusoe"] == Decimal("0.039")


def test_a_listing_within_the_window_does_not_end_an_offer_yet(market):
    # The write path's removal rule (three complete runs) has the last word inside the window.
    sweep(_source("openrouter", "aggregator"), market["new"] + timedelta(minutes=30),
          [q("together", LLAMA, "0.88", "0.88")])
    assert {r.provider_slug for r in offers_for_model(_llama())} == {"deepinfra", "together"}


def test_the_aggregator_quoting_itself_is_a_listing_of_its_own(market):
    # OpenRouter's models list (its own price for Llama) a week later says nothing about the hosts.
    sweep(_source("openrouter", "aggregator"), market["now"], [q("openrouter", LLAMA, "0.05", "0.05")])
    Provider.objects.filter(slug="openrouter").update(kind="aggregator")
    rows = offers_for_model(_llama())
    assert {r.provider_slug for r in rows} == {"deepinfra", "together", "openrouter"}


def test_aggregators_are_shown_but_never_the_cheapest_host_nor_counted(market):
    sweep(_source("openrouter", "aggregator"), market["now"], [q("openrouter", LLAMA, "0.05", "0.05")])
    llama = _llama()
    rows = offers_for_model(llama)
    assert next(r for r in rows if r.provider_slug == "openrouter").is_host is False
    assert reference(llama, rows, "cheapest").provider_slug == "deepinfra"
    assert reference(llama, rows, "cheapest", hosts_only=False).provider_slug == "openrouter"
    assert reference(llama, rows, "provider:openrouter").provider_slug == "openrouter"
    spread = next(s for s in popular_open_models() if s.model.slug == LLAMA)
    assert spread.n_hosts == 2 and spread.cheapest.provider_slug == "deepinfra"


def test_a_stale_source_keeps_its_offers_in_use_marked_stale(market):
    # OpenRouter's last complete run is a day old: past three hourly intervals.
    CollectionRun.objects.filter(source__slug="openrouter").update(finished=market["now"] - timedelta(days=1))
    llama = _llama()
    rows = offers_for_model(llama)
    assert [r.provider_slug for r in rows] == ["deepinfra", "together"]
    assert all(r.stale for r in rows)
    ref = reference(llama, rows, "cheapest")
    assert ref.provider_slug == "deepinfra" and ref.stale


def test_a_partial_run_is_fresh_everywhere(client, django_user_model):
    """One freshness definition: pages, API and the stale alert agree that a partial run (the
    listing arrived, some per-model bodies did not) delivered fresh prices."""
    from pricing.alerts.models import Channel
    from pricing.alerts.outbox import check_stale
    from tests.alerts.helpers import rule

    user = django_user_model.objects.create_user("ada", "ada@example.com", "a-long-enough-pass-1")
    source = Source.objects.create(slug="partial-src", name="Partial", kind="api", weight=90)
    t0 = timezone.now() - timedelta(days=4)
    CollectionRun.objects.create(source=source, slot=t0, status="complete", finished=t0)
    feed = Channel.objects.create(user=user, kind="feed", secret="feed-token-123")
    rule(user, [feed], condition="stale", source=source, stale_hours=6)
    at = timezone.now() - timedelta(minutes=5)
    CollectionRun.objects.create(source=source, slot=at, status="partial", finished=at)
    page = {f["source"].slug: f for f in freshness()}["partial-src"]
    assert page["last_complete"] == at and not page["stale"]
    api = {s["source"]: s for s in client.get("/api/v1/runs").json()["sources"]}["partial-src"]
    assert api["last_complete"] is not None and api["stale"] is False
    assert check_stale() == 0
    # Without the partial run all three call it stale.
    CollectionRun.objects.filter(status="partial").delete()
    assert {f["source"].slug: f for f in freshness()}["partial-src"]["stale"]
    assert check_stale() == 1


def test_a_source_that_never_ran_is_stale():
    Source.objects.create(slug="never", name="Never", kind="api", weight=90)
    assert {f["source"].slug: f["stale"] for f in freshness()}["never"] is True


def test_the_most_trusted_source_is_one_order_in_sql_and_in_memory():
    from pricing.models import PricePeriod
    from pricing.models.querysets import TRUST_ORDER, trust_key

    assert TRUST_ORDER == ("-source__weight", "-last_seen", "-valid_from", "-id")
    t = datetime(2025, 1, 1, tzinfo=UTC)
    assert trust_key(90, t, t, 1) > trust_key(60, t + timedelta(days=1), t, 2)
    assert PricePeriod.objects.most_trusted_first().query.order_by == TRUST_ORDER


def test_the_home_page_says_when_its_figures_rest_on_stale_prices(market, client):
    CollectionRun.objects.filter(source__slug="openrouter").update(finished=market["now"] - timedelta(days=1))
    body = client.get("/").content.decode()
    assert "a price here comes from a source with no recent complete run" in body
