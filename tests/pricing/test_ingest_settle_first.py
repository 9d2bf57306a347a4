"""The first pass of ingestion settles quotes that restate their open period's price before any
guard or matching (``pricing.collection.ingest.unchanged``). These are the cases where a quote
looks like its stored price but must still take the full path."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pricing.collection.ingest import ingest
from pricing.models import ChangeEvent, Model, ModelAlias, Offer, PricePeriod, QuoteRejection
from tests.pricing.factories import T0, hours, models, quote, result, run, source

pytestmark = pytest.mark.django_db


def sweep(src, at, quotes):
    return ingest(run(src, at), result(quotes), at=at)


def last_seen(i: int):
    return PricePeriod.objects.get(offer__model__slug=f"lab/model-{i}", valid_to__isnull=True).last_seen


@pytest.mark.parametrize(
    "same_value", [1.0, 1, Decimal("sNaN")], ids=["float-equal-to-the-stored-price", "int-equal", "signalling-nan"]
)
def test_a_price_that_only_compares_equal_to_the_stored_one_is_still_rejected(same_value):
    src = source()
    models(4)
    sweep(src, T0, [quote(i) for i in range(4)])
    quotes = [quote(i) for i in range(4)]
    object.__setattr__(quotes[1], "input", same_value)
    stats = sweep(src, T0 + hours(1), quotes)
    assert (stats.rejected, stats.seen, stats.changed) == (1, 3, 0)
    assert QuoteRejection.objects.get().provider_model_id == "lab/model-1"
    assert last_seen(1) == T0 and last_seen(2) == T0 + hours(1)


def test_an_unchanged_quote_with_a_malformed_canonical_hint_is_rejected():
    src = source()
    models(4)
    sweep(src, T0, [quote(i) for i in range(4)])
    quotes = [quote(i) for i in range(4)]
    object.__setattr__(quotes[2], "canonical_hint", "<script>x</script>")
    stats = sweep(src, T0 + hours(1), quotes)
    assert stats.rejected == 1 and "canonical id" in QuoteRejection.objects.get().reason
    assert last_seen(2) == T0


@pytest.mark.parametrize(
    ("first", "second"), [("1.5", "1"), ("1", "1.5"), ("1", "1")],
    ids=["changed-quote-first", "unchanged-quote-first", "the-unchanged-quote-twice"],
)
def test_two_quotes_for_one_offer_keep_the_first_in_listing_order(first, second):
    src = source()
    models(4)
    sweep(src, T0, [quote(i) for i in range(4)])
    stats = sweep(src, T0 + hours(1), [quote(0, input=first), quote(0, input=second)] + [quote(i) for i in range(1, 4)])
    assert (stats.rejected, stats.seen) == (1, 4)
    assert "second quote" in QuoteRejection.objects.get().reason
    assert stats.changed == (first != "1")
    assert Offer.objects.get(model__slug="lab/model-0").current_period.input == Decimal(first)


def test_an_id_a_person_remapped_to_another_model_moves_to_that_models_offer():
    src = source()
    models(4)
    sweep(src, T0, [quote(i) for i in range(4)])
    other = Model.objects.create(slug="lab/renamed", name="Renamed", author="lab")
    ModelAlias.objects.create(source=src.slug, alias="lab/model-0", model=other, first_seen=T0, last_seen=T0)
    stats = sweep(src, T0 + hours(1), [quote(i) for i in range(4)])
    assert stats.new == 1
    assert PricePeriod.objects.filter(offer__model=other, valid_to__isnull=True).count() == 1
    # The old offer was left out of a complete listing: it misses a run.
    assert PricePeriod.objects.get(offer__model__slug="lab/model-0").n_missed == 1


def test_an_attribute_change_with_the_same_price_is_an_event_and_the_rest_is_settled():
    src = source()
    models(4)
    sweep(src, T0, [quote(i, context_length=8192, status="ok") for i in range(4)])
    stats = sweep(src, T0 + hours(1), [quote(0, context_length=32768, status="ok")]
                  + [quote(i, context_length=8192, status="ok") for i in range(1, 4)])
    assert (stats.changed, stats.seen) == (0, 4)
    event = ChangeEvent.objects.get(kind="attribute")
    assert (event.field, event.old, event.new) == ("context_length", {"context_length": 8192},
                                                   {"context_length": 32768})
    assert all(last_seen(i) == T0 + hours(1) for i in range(4))
