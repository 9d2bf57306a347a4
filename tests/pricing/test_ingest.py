from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import DataError, IntegrityError, connection, connections, transaction

from pricing.collection.ingest import ingest, price_at
from pricing.models import ChangeEvent, ModelAlias, Offer, PendingPrice, PricePeriod, QuoteRejection
from providers.base import PriceKind
from tests.pricing.factories import T0, hours, models, quote, result, run, source

pytestmark = pytest.mark.django_db


def counts():
    return (
        Offer.objects.count(),
        PricePeriod.objects.count(),
        PricePeriod.objects.filter(valid_to__isnull=True).count(),
        ChangeEvent.objects.count(),
    )


def sweep(src, at, quotes, complete=True):
    r = run(src, at)
    return ingest(r, result(quotes, complete), at=at)


def test_a_first_sweep_creates_one_offer_and_one_open_period_per_quote():
    src = source()
    models(5)
    stats = sweep(src, T0, [quote(i) for i in range(5)])
    assert (stats.seen, stats.new, stats.changed) == (5, 5, 0)
    assert counts()[:3] == (5, 5, 5)
    offer = Offer.objects.get(model__slug="lab/model-0")
    assert offer.current_period.input == Decimal("1")
    assert offer.current_period.first_seen == T0


def test_the_same_quotes_again_change_nothing_but_last_seen():
    src = source()
    models(5)
    sweep(src, T0, [quote(i) for i in range(5)])
    before = counts()
    stats = sweep(src, T0 + hours(1), [quote(i) for i in range(5)])
    assert (stats.new, stats.changed) == (0, 0)
    assert counts() == before
    period = PricePeriod.objects.get(offer__model__slug="lab/model-3")
    assert (period.first_seen, period.last_seen) == (T0, T0 + hours(1))


def test_the_same_run_ingested_twice_changes_nothing():
    src = source()
    models(3)
    r = run(src, T0)
    ingest(r, result([quote(i) for i in range(3)]), at=T0)
    before = counts()
    ingest(r, result([quote(i) for i in range(3)]), at=T0)
    assert counts() == before


def test_one_changed_price_closes_exactly_one_period_and_opens_one():
    src = source()
    models(4)
    sweep(src, T0, [quote(i) for i in range(4)])
    changed = [quote(0, input="1.5")] + [quote(i) for i in range(1, 4)]
    stats = sweep(src, T0 + hours(1), changed)
    assert stats.changed == 1
    assert PricePeriod.objects.count() == 5
    closed = PricePeriod.objects.get(valid_to__isnull=False)
    assert closed.valid_to == T0 + hours(1) and closed.input == Decimal("1")
    opened = PricePeriod.objects.get(offer=closed.offer, valid_to__isnull=True)
    assert opened.input == Decimal("1.5") and opened.valid_from == T0 + hours(1)
    event = ChangeEvent.objects.get(kind="price")
    assert event.old["input"] == "1" and event.new["input"] == "1.5"
    assert Offer.objects.get(pk=closed.offer_id).current_period_id == opened.pk


def test_decimal_scale_is_not_a_change():
    src = source()
    models(4)
    sweep(src, T0, [quote(i, input="0.50") for i in range(4)])
    stats = sweep(src, T0 + hours(1), [quote(i, input="0.5") for i in range(4)])
    assert stats.changed == 0


@pytest.mark.parametrize(
    "bad",
    [Decimal("NaN"), Decimal("Infinity"), Decimal("-1"), Decimal("1E+7"), 0.5],
    ids=["nan", "infinity", "negative", "unit-slip", "float"],
)
def test_guards_reject_bad_prices_with_a_reason_and_keep_the_rest(bad):
    src = source()
    models(4)
    quotes = [quote(i) for i in range(4)]
    quotes[1] = quote(1)
    object.__setattr__(quotes[1], "input", bad)
    stats = sweep(src, T0, quotes)
    assert stats.rejected == 1 and stats.seen == 3
    assert QuoteRejection.objects.get().provider_model_id == "lab/model-1"
    assert not Offer.objects.filter(model__slug="lab/model-1").exists()


def test_a_tenfold_jump_is_held_until_the_next_run_confirms_it():
    src = source()
    models(4)
    sweep(src, T0, [quote(i) for i in range(4)])
    jumped = [quote(0, input="100", output="200")] + [quote(i) for i in range(1, 4)]
    stats = sweep(src, T0 + hours(1), jumped)
    assert (stats.pending, stats.changed) == (1, 0)
    assert PendingPrice.objects.count() == 1
    assert price_at(Offer.objects.get(model__slug="lab/model-0"), T0 + hours(2)).input == Decimal("1")
    stats = sweep(src, T0 + hours(2), jumped)
    assert stats.changed == 1 and PendingPrice.objects.count() == 0
    opened = PricePeriod.objects.get(offer__model__slug="lab/model-0", valid_to__isnull=True)
    assert opened.input == Decimal("100") and opened.valid_from == T0 + hours(1)


def test_a_jump_that_goes_back_is_dropped_without_a_change():
    src = source()
    models(4)
    sweep(src, T0, [quote(i) for i in range(4)])
    sweep(src, T0 + hours(1), [quote(0, input="100")] + [quote(i) for i in range(1, 4)])
    stats = sweep(src, T0 + hours(2), [quote(i) for i in range(4)])
    assert stats.changed == 0 and PendingPrice.objects.count() == 0
    assert ChangeEvent.objects.filter(kind="price").count() == 0


def test_a_listing_that_lost_more_than_half_of_the_offers_is_refused():
    src = source()
    models(10)
    sweep(src, T0, [quote(i) for i in range(10)])
    before = counts()
    stats = sweep(src, T0 + hours(1), [quote(0, input="9")])
    assert "refused" in stats.refused
    assert counts() == before
    assert PricePeriod.objects.get(offer__model__slug="lab/model-0", valid_to__isnull=True).input == Decimal("1")


def test_an_offer_is_removed_only_after_several_complete_runs_without_it():
    src = source()
    models(5)
    sweep(src, T0, [quote(i) for i in range(5)])
    for h in (1, 2):
        sweep(src, T0 + hours(h), [quote(i) for i in range(4)])
        assert PricePeriod.objects.filter(offer__model__slug="lab/model-4", valid_to__isnull=True).exists()
    stats = sweep(src, T0 + hours(3), [quote(i) for i in range(4)])
    assert stats.removed == 1
    assert ChangeEvent.objects.filter(kind="removed").count() == 1
    assert Offer.objects.get(model__slug="lab/model-4").gone_at is not None


def test_an_incomplete_listing_removes_nothing():
    src = source()
    models(5)
    sweep(src, T0, [quote(i) for i in range(5)])
    for h in (1, 2, 3, 4):
        sweep(src, T0 + hours(h), [quote(i) for i in range(4)], complete=False)
    assert PricePeriod.objects.filter(valid_to__isnull=True).count() == 5


def test_variable_and_free_prices_are_kinds_not_numbers():
    src = source()
    models(2)
    sweep(src, T0, [quote(0, input=None, output=None, price_kind=PriceKind.VARIABLE),
                    quote(1, input="0", output="0", price_kind=PriceKind.FREE)])
    kinds = dict(PricePeriod.objects.values_list("offer__model__slug", "price_kind"))
    assert kinds == {"lab/model-0": "variable", "lab/model-1": "free"}


def test_unmatched_ids_are_kept_for_a_person_and_not_priced():
    src = source()
    models(1)
    stats = sweep(src, T0, [quote(0), quote(0).__class__(provider="host", provider_model_id="mystery/model",
                                                          input=Decimal(1), output=Decimal(1))])
    assert stats.unmatched == 1
    alias = ModelAlias.objects.get(alias="mystery/model")
    assert alias.model is None and alias.source == "testsrc"


def test_price_at_any_instant():
    src = source()
    models(4)
    sweep(src, T0, [quote(i) for i in range(4)])
    sweep(src, T0 + hours(5), [quote(0, input="2")] + [quote(i) for i in range(1, 4)])
    offer = Offer.objects.get(model__slug="lab/model-0")
    assert price_at(offer, T0 - hours(1)) is None
    assert price_at(offer, T0 + hours(4)).input == Decimal("1")
    assert price_at(offer, T0 + hours(5)).input == Decimal("2")


def test_attribute_changes_are_events_even_when_the_price_stays():
    src = source()
    models(4)
    sweep(src, T0, [quote(i, quantization="bf16") for i in range(4)])
    sweep(src, T0 + hours(1), [quote(0, quantization="fp8")] + [quote(i, quantization="bf16") for i in range(1, 4)])
    event = ChangeEvent.objects.get(kind="attribute")
    assert (event.field, event.old, event.new) == ("quantization", {"quantization": "bf16"}, {"quantization": "fp8"})
    assert Offer.objects.get(model__slug="lab/model-0").quantization == "fp8"


def test_the_most_trusted_source_sets_the_current_price_and_both_are_kept():
    api = source("host-api", "api", 90)
    curated = source("table", "curated", 30)
    models(1)
    sweep(curated, T0, [quote(0, input="3")])
    sweep(api, T0 + hours(1), [quote(0, input="2")])
    offer = Offer.objects.get()
    assert offer.current_period.source == api
    assert sorted(PricePeriod.objects.values_list("input", flat=True)) == [Decimal("2"), Decimal("3")]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_ingestion_of_the_same_quotes_writes_once():
    src = source()
    models(50)
    sweep(src, T0, [quote(i) for i in range(50)])
    changed = [quote(i, input="1.1") for i in range(50)]
    errors = []
    barrier = threading.Barrier(4)

    def worker(k):
        try:
            barrier.wait()
            r = run(src, T0 + hours(1))
            ingest(r, result(changed), at=T0 + hours(1))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert PricePeriod.objects.count() == 100
    assert PricePeriod.objects.filter(valid_to__isnull=True).count() == 50
    assert ChangeEvent.objects.filter(kind="price").count() == 50


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-1", "10000000"])
def test_the_database_rejects_bad_prices_itself(value):
    src = source()
    models(1)
    sweep(src, T0, [quote(0)])
    period = PricePeriod.objects.get()
    table = PricePeriod._meta.db_table
    if value == "NaN" and connection.vendor == "sqlite":
        pytest.skip("SQLite has no NaN: it stores NULL, which is 'no price'")
    if value == "Infinity" and connection.vendor == "sqlite":
        value = "9e999"  # SQLite's spelling of infinity
    # PostgreSQL refuses Infinity in NUMERIC(18,10) before the CHECK runs: a DataError.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET input = CAST(%s AS NUMERIC) WHERE id = %s"
                if connection.vendor == "postgresql"
                else f"UPDATE {table} SET input = {value} WHERE id = %s",
                [value, period.pk] if connection.vendor == "postgresql" else [period.pk],
            )


def test_the_database_allows_only_one_open_period_per_offer_and_source():
    src = source()
    models(1)
    sweep(src, T0, [quote(0)])
    period = PricePeriod.objects.get()
    period.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        period.save()


def _unchanged_sweep_queries(n: int, slug: str) -> list[str]:
    from django.test.utils import CaptureQueriesContext

    src = source(slug)
    models(n)
    sweep(src, T0, [quote(i) for i in range(n)])
    sweep(src, T0 + hours(1), [quote(i) for i in range(n)])  # a baseline run exists from here on
    r = run(src, T0 + hours(2))
    with CaptureQueriesContext(connection) as ctx:
        stats = ingest(r, result([quote(i) for i in range(n)]), at=T0 + hours(2))
    assert (stats.seen, stats.changed, stats.new) == (n, 0, 0)
    return [q["sql"] for q in ctx.captured_queries]


def test_an_unchanged_sweep_costs_a_fixed_number_of_queries_and_touches_each_period_once():
    small = _unchanged_sweep_queries(5, "small")
    big = _unchanged_sweep_queries(60, "big")
    assert len(small) == len(big) <= 14
    writes = [sql for sql in big if sql.startswith(("UPDATE", "INSERT", "DELETE"))]
    # One UPDATE moves last_seen of every open period of the source; nothing else is written.
    assert len(writes) == 1 and "SET \"last_seen\"" in writes[0]
    assert PricePeriod.objects.filter(source__slug="big", last_seen=T0 + hours(2)).count() == 60


def test_a_half_changed_sweep_moves_last_seen_of_exactly_the_unchanged_periods():
    # Each unchanged period is counted once: counted twice, half unchanged looked like "nearly
    # all" and the UPDATE went over the whole source minus the rest.
    from django.test.utils import CaptureQueriesContext

    src = source()
    models(10)
    sweep(src, T0, [quote(i) for i in range(10)])
    r = run(src, T0 + hours(1))
    with CaptureQueriesContext(connection) as ctx:
        stats = ingest(r, result([quote(i, input="1.5" if i < 5 else "1") for i in range(10)]), at=T0 + hours(1))
    assert stats.changed == 5
    touch = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE") and "SET \"last_seen\"" in q["sql"]]
    assert len(touch) == 1 and " NOT " not in touch[0] and touch[0].count(",") == 4
    assert PricePeriod.objects.filter(last_seen=T0 + hours(1), valid_to__isnull=True).count() == 10
