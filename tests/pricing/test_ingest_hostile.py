"""Hostile input on the write path (issue 11): bad files fail their run with a reason; prices too
small to be real are rejected; what is stored in a period is what its event says."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pricing.collection.ingest import ingest
from pricing.models import ChangeEvent, CollectionRun, PendingPrice, PricePeriod, QuoteRejection
from tests.pricing.factories import T0, hours, models, quote, result, run, source

pytestmark = pytest.mark.django_db


def collect_saying(*args: str) -> str:
    """What ``collect`` tells its user: its output, or its CommandError's message."""
    out = StringIO()
    try:
        call_command("collect", *args, stdout=out)
    except CommandError as exc:
        return str(exc)
    return out.getvalue()


@pytest.mark.parametrize("slug", ["openrouter", "together"])
def test_a_file_nested_100000_levels_deep_is_a_failed_run_with_a_reason(tmp_path, slug):
    path = tmp_path / "nested.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    # The command says why (in its table or as a one-line error), never with a traceback.
    assert "nested too deeply" in collect_saying(slug, "--from-file", str(path), "--at", "2026-01-01T00:00:00Z")
    run = CollectionRun.objects.get(source__slug=slug)
    assert run.status == "failed"
    assert "nested too deeply" in run.error


def test_a_dict_nested_deeply_under_data_is_a_failed_run_too(tmp_path):
    path = tmp_path / "nested.json"
    path.write_text('{"data": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}")
    assert "nested too deeply" in collect_saying("openrouter", "--from-file", str(path))
    assert CollectionRun.objects.get(source__slug="openrouter").status == "failed"


@pytest.mark.parametrize("tiny", ["1e-30", "0.0000009", "1E-7"])
def test_a_price_too_small_to_be_real_is_a_unit_slip_and_rejected(tiny):
    src = source()
    models(2)
    stats = ingest(run(src, T0), result([quote(0, input=tiny), quote(1)]), at=T0)
    assert (stats.new, stats.rejected) == (1, 1)
    reason = QuoteRejection.objects.get().reason
    assert "below the 0.000001 USD/M floor" in reason and "unit slip" in reason
    assert not PricePeriod.objects.filter(provider_model_id="lab/model-0").exists()


def test_the_smallest_real_price_and_zero_are_kept():
    src = source()
    models(2)
    ingest(run(src, T0), result([quote(0, input="0.000001"), quote(1, input="0", output="0")]), at=T0)
    assert PricePeriod.objects.get(provider_model_id="lab/model-0").input == Decimal("0.000001")
    assert PricePeriod.objects.get(provider_model_id="lab/model-1").input == 0


def test_a_period_and_its_event_carry_the_same_rounded_number():
    src = source()
    models(1)
    r0 = run(src, T0)
    ingest(r0, result([quote(0)]), at=T0)
    CollectionRun.objects.filter(pk=r0.pk).update(status="complete")
    ingest(run(src, T0 + hours(1)), result([quote(0, input="1.123456789012345", output="2.00000000005")]),
           at=T0 + hours(1))
    period = PricePeriod.objects.get(valid_to__isnull=True)
    event = ChangeEvent.objects.get(kind="price")
    assert period.input == Decimal("1.1234567890") and period.output == Decimal("2.0000000000")
    assert event.new["input"] == "1.123456789" and event.new["output"] == "2"
    # The same sweep again is no change: the quote is compared in its stored form.
    stats = ingest(run(src, T0 + hours(2)), result([quote(0, input="1.123456789012345", output="2.00000000005")]),
                   at=T0 + hours(2))
    assert stats.changed == 0 and ChangeEvent.objects.count() == 1


def test_a_held_jump_is_stored_in_the_same_rounded_form():
    src = source()
    models(1)
    ingest(run(src, T0), result([quote(0)]), at=T0)
    ingest(run(src, T0 + hours(1)), result([quote(0, input="20.00000000004")]), at=T0 + hours(1))
    assert PendingPrice.objects.get().input == Decimal("20")
