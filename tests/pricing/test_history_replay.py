"""Real history, replayed exactly: per-model endpoint bodies over many days, saved sweeps, archives.

The bodies are written here from the real 2026-08-08 captures (benchmarks.history.CAPTURED holds
their values) with day-to-day changes scripted by a seeded generator, which also says what really
changed: the database must agree with it exactly.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from benchmarks.history import CAPTURED, START, Day, body, offer_key, series, truth, write_archive
from pricing.collection import payloads
from pricing.collection.ingest import price_at
from pricing.models import ChangeEvent, CollectionRun, Offer, PricePeriod, RawPayload, RunPayload

pytestmark = pytest.mark.django_db
LLAMA = "meta-llama/llama-3.3-70b-instruct"
R1 = "deepseek/deepseek-r1"


def captured(slug: str) -> Day:
    (key, endpoints), = [(k, v) for k, v in CAPTURED.items() if k[0] == slug]
    return Day(START, key[0], key[1], list(endpoints))


def save(tmp_path: Path, day: Day, name: str | None = None) -> Path:
    path = tmp_path / (name or f"{day.model.replace('/', '__')}-{day.at:%Y-%m-%dT%H-%M-%SZ}.json")
    path.write_bytes(body(day))
    return path


def collect(*args: str) -> str:
    out = StringIO()
    call_command("collect", "openrouter", *args, stdout=out)
    return out.getvalue()


def snapshot_of_history() -> tuple:
    return (PricePeriod.objects.count(), ChangeEvent.objects.count(), CollectionRun.objects.count(),
            sorted(PricePeriod.objects.values_list("offer_id", "valid_from", "valid_to", "input", "output")))


def check_against_truth(days: list[Day], remove_after_days: int = 3) -> None:
    real = truth(days, remove_after_days)
    offers = {(o.model.slug, (o.provider.slug, o.variant)): o for o in Offer.objects.select_related("model", "provider")}
    wrong = []
    for at, model, tag, input_price, output_price in real.prices:
        key = offer_key(tag)
        period = price_at(offers[(model, key)], at)
        if period is None or (period.input, period.output) != (input_price, output_price):
            wrong.append((model, key, at, input_price, period and period.input))
    assert wrong == []
    assert ChangeEvent.objects.filter(kind="price").count() == real.price_changes
    assert ChangeEvent.objects.filter(kind="attribute", field="quantization").count() == real.quant_changes
    assert ChangeEvent.objects.filter(kind="removed").count() == real.delistings
    assert not CollectionRun.objects.exclude(status="complete").exists()


def test_the_sambanova_discount_is_stored_as_paid_with_the_list_price_beside_it(tmp_path, client):
    collect("--from-file", str(save(tmp_path, captured(LLAMA))), "--at", START.isoformat())
    offer = Offer.objects.get(model__slug=LLAMA, provider__slug="sambanova")
    period = offer.current_period
    assert (offer.variant, offer.quantization) == ("", "bf16")
    assert (period.input, period.output) == (Decimal("0.45"), Decimal("0.9"))
    assert period.extra["discount"] == "0.25" and period.extra["list_price"] == {"input": "0.6", "output": "1.2"}
    items = client.get(f"/api/v1/models/{LLAMA}/offers").json()["items"]
    sambanova = next(item for item in items if item["provider"] == "sambanova")
    assert (sambanova["input"], sambanova["output"]) == ("0.45", "0.9")
    assert (sambanova["discount"], sambanova["list_input"], sambanova["list_output"]) == ("0.25", "0.6", "1.2")
    assert next(item for item in items if item["provider"] == "groq")["discount"] is None
    page = client.get(f"/models/{LLAMA}/").content.decode()
    assert page.count('class="discount"') == 1 and "25% off" in page


def test_per_model_bodies_over_many_days_replay_exactly(tmp_path):
    days = series(8, seed=4, delist=False)
    for day in days:  # one body per model per day, each with its own --at
        collect("--from-file", str(save(tmp_path, day)), "--at", day.at.isoformat())
    assert CollectionRun.objects.count() == len(days)
    real = truth(days, 3)
    assert real.price_changes >= 3 and real.quant_changes >= 3  # the series has something to get right
    check_against_truth(days)


def test_a_second_model_at_the_same_instant_joins_the_run_and_a_different_body_for_the_same_model_is_refused(tmp_path):
    llama, r1 = captured(LLAMA), captured(R1)
    collect("--from-file", str(save(tmp_path, llama)), "--at", START.isoformat())
    out = collect("--from-file", str(save(tmp_path, r1)), "--at", START.isoformat())
    assert "added" in out
    run = CollectionRun.objects.get()
    assert run.payloads.count() == 2 and run.n_seen == len(llama.endpoints) + len(r1.endpoints)
    assert PricePeriod.objects.filter(offer__model__slug=R1).count() == 2
    before = snapshot_of_history()
    cheaper = Day(START, R1, r1.name, [e.__class__(**{**e.__dict__, "prompt": "0.0000006"}) for e in r1.endpoints])
    with pytest.raises(CommandError, match=r"already priced deepseek/deepseek-r1 @ (azure|novita).*its own --at"):
        collect("--from-file", str(save(tmp_path, cheaper, "r1-other.json")), "--at", START.isoformat())
    assert snapshot_of_history() == before


def test_the_same_body_twice_says_so_and_changes_nothing(tmp_path):
    path = save(tmp_path, captured(LLAMA))
    collect("--from-file", str(path), "--at", START.isoformat())
    before = snapshot_of_history()
    out = collect("--from-file", str(path), "--at", START.isoformat())
    assert "already ingested" in out
    assert snapshot_of_history() == before and RunPayload.objects.count() == 1


def test_one_sweep_from_a_folder_is_one_run_with_every_body(tmp_path):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    for slug in (LLAMA, R1):
        save(sweep, captured(slug), f"{slug.replace('/', '__')}.json")
    collect("--from-file", str(sweep), "--at", START.isoformat())
    run = CollectionRun.objects.get()
    assert (run.status, run.payloads.count(), RawPayload.objects.count()) == ("complete", 2, 2)
    assert run.n_seen == len(captured(LLAMA).endpoints) + len(captured(R1).endpoints)


def test_a_folder_of_three_days_imports_as_three_runs_and_again_changes_nothing(tmp_path):
    archive = tmp_path / "archive"
    days = series(3, seed=5, delist=False)
    for day in days:
        folder = archive / f"{day.at:%Y-%m-%d}"  # the date in the folder name, the minute in the file name
        folder.mkdir(parents=True, exist_ok=True)
        save(folder, day, f"{day.model.replace('/', '__')}-{day.at:%H%M}.json")
    # Files of one day share the folder's date: one run per day, its bodies all at that instant.
    out = StringIO()
    call_command("import_history", "openrouter", str(archive), stdout=out)
    assert CollectionRun.objects.count() == 3
    assert [r.payloads.count() for r in CollectionRun.objects.order_by("slot")] == [3, 3, 3]
    assert "3 ingested" in out.getvalue()
    before = snapshot_of_history()
    out = StringIO()
    call_command("import_history", "openrouter", str(archive), stdout=out)
    assert "3 already" in out.getvalue() and snapshot_of_history() == before


def test_an_archive_with_a_manifest_replays_every_capture_in_order(tmp_path):
    days = series(6, seed=11, delist=False)
    manifest = write_archive(list(reversed(days)), tmp_path / "bodies")  # the manifest's order does not matter
    call_command("import_history", "openrouter", str(manifest), stdout=StringIO())
    assert CollectionRun.objects.count() == len(days)
    check_against_truth(days)


def test_an_interrupted_import_completes_when_run_again_without_duplicates(tmp_path, monkeypatch):
    days = series(5, seed=13, delist=False)
    manifest = write_archive(days, tmp_path / "bodies")
    real_ingest, calls = payloads.ingest, []

    def dies_on_the_seventh(*args, **kwargs):
        calls.append(1)
        if len(calls) == 7:
            raise KeyboardInterrupt  # the operator's Ctrl-C, in the middle of a run
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(payloads, "ingest", dies_on_the_seventh)
    with pytest.raises(KeyboardInterrupt):
        call_command("import_history", "openrouter", str(manifest), stdout=StringIO())
    monkeypatch.setattr(payloads, "ingest", real_ingest)
    assert CollectionRun.objects.filter(status="complete").count() == 6
    assert CollectionRun.objects.exclude(status="complete").count() == 1  # claimed, never finished

    out = StringIO()
    call_command("import_history", "openrouter", str(manifest), stdout=out)
    assert "6 already" in out.getvalue() and f"{len(days) - 6} ingested" in out.getvalue()
    assert CollectionRun.objects.count() == len(days)
    assert RunPayload.objects.count() == len(days)  # the interrupted run's first attempt left nothing behind
    check_against_truth(days)


def test_an_offer_missing_from_later_complete_listings_stops_being_current(tmp_path, settings):
    settings.INGEST_REMOVE_AFTER_DAYS = 0  # the run count alone: 3 complete listings without it
    llama, r1 = captured(LLAMA), captured(R1)
    without_crusoe = [e for e in llama.endpoints if not e.tag.startswith("crusoe")]
    for d in range(5):
        at = START + timedelta(days=d)
        listed = llama.endpoints if d == 0 else without_crusoe
        collect("--from-file", str(save(tmp_path, Day(at, LLAMA, llama.name, listed))), "--at", at.isoformat())
        # R1's own bodies are complete for R1 only: they never count Llama's offers missing.
        collect("--from-file", str(save(tmp_path, Day(at + timedelta(minutes=1), R1, r1.name, r1.endpoints))),
                "--at", (at + timedelta(minutes=1)).isoformat())
    crusoe = Offer.objects.get(model__slug=LLAMA, provider__slug="crusoe")
    removed = ChangeEvent.objects.get(kind="removed")
    assert (removed.offer_id, removed.at) == (crusoe.pk, START + timedelta(days=3))
    assert crusoe.current_period is None and crusoe.gone_at is not None
    assert PricePeriod.objects.get(offer=crusoe).valid_to == START + timedelta(days=3)
    assert not CollectionRun.objects.exclude(status="complete").exists()
    assert PricePeriod.objects.filter(valid_to__isnull=True).count() == len(without_crusoe) + len(r1.endpoints)

    back = START + timedelta(days=6)
    collect("--from-file", str(save(tmp_path, Day(back, LLAMA, llama.name, llama.endpoints))), "--at", back.isoformat())
    returned = ChangeEvent.objects.get(kind="returned")
    assert (returned.offer_id, returned.at, returned.new["input"]) == (crusoe.pk, back, "0.25")


def test_a_time_window_ends_offers_that_sparse_history_stopped_listing(tmp_path, settings):
    settings.INGEST_REMOVE_AFTER_DAYS = 3
    llama = captured(LLAMA)
    collect("--from-file", str(save(tmp_path, llama)), "--at", START.isoformat())
    later = START + timedelta(days=30)  # one listing a month later, without Crusoe
    listed = [e for e in llama.endpoints if not e.tag.startswith("crusoe")]
    collect("--from-file", str(save(tmp_path, Day(later, LLAMA, llama.name, listed))), "--at", later.isoformat())
    crusoe = Offer.objects.get(model__slug=LLAMA, provider__slug="crusoe")
    assert crusoe.current_period is None
    assert ChangeEvent.objects.get(kind="removed").at == later
    # An older listing replayed afterwards says nothing about offers seen since.
    older = START - timedelta(days=30)
    collect("--from-file", str(save(tmp_path, Day(older, LLAMA, llama.name, llama.endpoints[:2]))), "--at", older.isoformat())
    assert ChangeEvent.objects.filter(kind="removed").count() == 1


def test_a_quantization_change_is_an_attribute_event_on_the_same_offer(tmp_path):
    r1 = captured(R1)
    collect("--from-file", str(save(tmp_path, r1)), "--at", START.isoformat())
    novita = [e.__class__(**{**e.__dict__, "tag": "novita/bf16", "quantization": "bf16"}) if e.tag == "novita/fp8" else e
              for e in r1.endpoints]
    at = START + timedelta(days=1)
    collect("--from-file", str(save(tmp_path, Day(at, R1, r1.name, novita))), "--at", at.isoformat())
    offer = Offer.objects.get(model__slug=R1, provider__slug="novita")
    event = ChangeEvent.objects.get(kind="attribute")
    assert (event.offer_id, event.field, event.old, event.new) == (offer.pk, "quantization", {"quantization": "fp8"},
                                                                   {"quantization": "bf16"})
    assert offer.quantization == "bf16" and offer_key("novita/bf16") == ("novita", "")
    assert PricePeriod.objects.filter(offer=offer).count() == 1  # same price: no new period


def test_a_manifest_names_what_is_wrong_with_it(tmp_path):
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,fetched_at\nmissing.json,2026-08-08T00:00:00Z\n")
    with pytest.raises(CommandError, match="line 2: no such file"):
        call_command("import_history", "openrouter", str(manifest), stdout=StringIO())
    (tmp_path / "body.json").write_text(json.dumps({"data": {"id": R1, "endpoints": []}}))
    manifest.write_text("path,fetched_at\nbody.json,last tuesday\n")
    with pytest.raises(CommandError, match="line 2: 'last tuesday' is not an ISO-8601"):
        call_command("import_history", "openrouter", str(manifest), stdout=StringIO())
    undated = tmp_path / "undated"
    undated.mkdir()
    (undated / "r1.json").write_text("{}")
    with pytest.raises(CommandError, match="carry no date"):
        call_command("import_history", "openrouter", str(undated), stdout=StringIO())


def test_an_imported_archive_alerts_nobody(tmp_path):
    days = series(4, seed=4, delist=False)
    manifest = write_archive(days, tmp_path / "bodies")
    call_command("import_history", "openrouter", str(manifest), stdout=StringIO())
    assert ChangeEvent.objects.filter(kind="price").exists()
    assert not ChangeEvent.objects.filter(notify=True).exists()


def test_a_capture_older_than_the_newest_run_is_history_and_alerts_nobody(tmp_path):
    days = series(4, seed=4, delist=False)
    newest = max(day.at for day in days)
    collect("--from-file", str(save(tmp_path, days[0], "first.json")), "--at", (newest + timedelta(days=1)).isoformat())
    for day in days:  # replayed after a newer run exists: each capture is older than it
        collect("--from-file", str(save(tmp_path, day)), "--at", day.at.isoformat())
    assert ChangeEvent.objects.exists()
    assert not ChangeEvent.objects.filter(notify=True).exists()


def test_an_unreadable_body_for_an_instant_that_has_a_run_leaves_that_run_as_it_was(tmp_path):
    collect("--from-file", str(save(tmp_path, captured(LLAMA))), "--at", START.isoformat())
    broken = tmp_path / "broken.json"
    broken.write_text('{"data": {"id": "deepseek/deepseek-r1", "endpoints": "nope"}}')
    with pytest.raises(CommandError, match="cannot be read"):
        collect("--from-file", str(broken), "--at", START.isoformat())
    run = CollectionRun.objects.get()
    assert (run.status, run.payloads.count(), run.n_seen) == ("complete", 1, len(captured(LLAMA).endpoints))


def test_the_same_body_at_another_instant_says_it_was_seen_before(tmp_path):
    path = save(tmp_path, captured(R1))
    collect("--from-file", str(path), "--at", START.isoformat())
    out = collect("--from-file", str(path), "--at", (START + timedelta(days=1)).isoformat())
    assert "the same content was ingested before" in out
    assert PricePeriod.objects.filter(last_seen=START + timedelta(days=1)).count() == 2


def test_a_refused_capture_stays_refused_and_visible_when_the_archive_is_imported_again(tmp_path):
    models = json.loads((Path(__file__).resolve().parent.parent / "providers" / "fixtures" / "openrouter"
                         / "models.json").read_text())
    (tmp_path / "models-2026-08-21.json").write_text(json.dumps(models))
    models["data"] = models["data"][:2]  # a broken listing: 2 of 17 models
    (tmp_path / "models-2026-08-22.json").write_text(json.dumps(models))
    for _ in range(2):
        out = StringIO()
        with pytest.raises(CommandError, match="1 of 2 captures were not applied"):
            call_command("import_history", "openrouter", str(tmp_path), stdout=out)
        assert "lost more than half" in out.getvalue() or "refused before" in out.getvalue()
    assert list(CollectionRun.objects.order_by("slot").values_list("status", flat=True)) == ["complete", "refused"]
    assert not ChangeEvent.objects.filter(kind="removed").exists()
