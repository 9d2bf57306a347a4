from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from pricing.collection.replay import reparse
from pricing.models import ChangeEvent, CollectionRun, Offer, PricePeriod, RawPayload
from tests.faults import FaultServer, Step

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "providers" / "fixtures" / "openrouter"
MODELS_2025 = FIXTURES / "models-2025.json"
MODELS_2026 = FIXTURES / "models.json"
ENDPOINTS_R1 = FIXTURES / "endpoints-deepseek-r1.json"
MILLION = Decimal(1_000_000)


def collect(*args: str) -> str:
    out = StringIO()
    call_command("collect", *args, stdout=out)
    return out.getvalue()


def raw_models(path: Path) -> dict[str, dict]:
    return {m["id"]: m for m in json.loads(path.read_text())["data"]}


def period_of(model_id: str) -> PricePeriod:
    return PricePeriod.objects.get(
        source__slug="openrouter", provider_model_id=model_id, valid_to__isnull=True
    )


def test_a_saved_models_list_is_ingested_exactly():
    out = collect("openrouter", "--from-file", str(MODELS_2026), "--at", "2026-08-22T00:00:00Z")
    assert "complete" in out
    models = raw_models(MODELS_2026)
    run = CollectionRun.objects.get()
    assert (run.status, run.n_seen, run.n_rejected) == ("complete", len(models), 0)
    for model_id, model in models.items():
        period = period_of(model_id)
        prompt, completion = model["pricing"]["prompt"], model["pricing"]["completion"]
        if prompt == "-1":
            assert (period.price_kind, period.input, period.output) == ("variable", None, None)
        elif Decimal(prompt) == 0 and Decimal(completion) == 0:
            assert period.price_kind == "free" and period.input == 0
        else:
            assert period.price_kind == "fixed"
            assert period.input == Decimal(prompt) * MILLION, model_id
            assert period.output == Decimal(completion) * MILLION, model_id
    assert not PricePeriod.objects.filter(input__lt=0).exists()
    assert not PricePeriod.objects.filter(output__lt=0).exists()
    assert RawPayload.objects.get().body == MODELS_2026.read_bytes()


def test_a_saved_endpoints_response_is_ingested_per_host_at_the_prices_as_listed():
    collect("openrouter", "--from-file", str(ENDPOINTS_R1), "--at", "2026-08-08T00:00:00Z")
    endpoints = json.loads(ENDPOINTS_R1.read_text())["data"]["endpoints"]
    run = CollectionRun.objects.get()
    assert run.status == "complete" and run.n_seen == len(endpoints)
    for endpoint in endpoints:
        host, _, variant = endpoint["tag"].partition("/")
        # The tag's quantization is the offer's attribute, not its key; the price is already net.
        offer = Offer.objects.get(model__slug="deepseek/deepseek-r1", provider__slug=host,
                                  variant="" if variant in ("fp4", "fp8", "bf16") else variant)
        assert offer.current_period.input == Decimal(endpoint["pricing"]["prompt"]) * MILLION
        assert offer.quantization == (endpoint.get("quantization") or "")


def test_two_saved_lists_from_different_dates_give_exactly_the_changes_between_them():
    collect("openrouter", "--from-file", str(MODELS_2025), "--at", "2025-05-23T00:00:00Z")
    collect("openrouter", "--from-file", str(MODELS_2026), "--at", "2026-08-22T00:00:00Z")
    before, after = raw_models(MODELS_2025), raw_models(MODELS_2026)
    changed = {
        model_id for model_id in before.keys() & after.keys()
        if (before[model_id]["pricing"]["prompt"], before[model_id]["pricing"]["completion"])
        != (after[model_id]["pricing"]["prompt"], after[model_id]["pricing"]["completion"])
    }
    events = ChangeEvent.objects.filter(kind="price")
    assert {e.offer.provider_model_id for e in events} == changed
    assert events.count() == len(changed) == 2
    r1 = events.get(offer__model__slug="deepseek/deepseek-r1")
    assert (r1.old["input"], r1.new["input"], r1.new["output"]) == ("0.5", "0.7", "2.5")
    assert r1.at.isoformat() == "2026-08-22T00:00:00+00:00"
    assert ChangeEvent.objects.filter(kind="new_offer").count() == len(after.keys() - before.keys())
    closed = PricePeriod.objects.get(offer__model__slug="deepseek/deepseek-r1", offer__variant="", valid_to__isnull=False)
    assert (closed.valid_from.date().isoformat(), closed.valid_to.date().isoformat()) == ("2025-05-23", "2026-08-22")
    # Ids the 2026 list no longer has, last seen 15 months earlier, stop being current at once
    # (INGEST_REMOVE_AFTER_DAYS), not after two more runs that an archive may never have.
    gone = before.keys() - after.keys()
    removed = ChangeEvent.objects.filter(kind="removed")
    assert gone and {e.offer.provider_model_id for e in removed} == gone
    assert {e.at.isoformat() for e in removed} == {"2026-08-22T00:00:00+00:00"}


def test_the_same_saved_file_twice_changes_nothing_but_last_seen():
    collect("openrouter", "--from-file", str(MODELS_2026), "--at", "2026-08-22T00:00:00Z")
    collect("openrouter", "--from-file", str(MODELS_2026), "--at", "2026-08-22T00:00:00Z")
    collect("openrouter", "--from-file", str(MODELS_2026), "--at", "2026-08-23T00:00:00Z")
    assert PricePeriod.objects.count() == len(raw_models(MODELS_2026))
    assert ChangeEvent.objects.count() == 0
    assert RawPayload.objects.count() == 1  # identical bodies are stored once
    assert {p.last_seen.date().isoformat() for p in PricePeriod.objects.all()} == {"2026-08-23"}


def test_reparsing_stored_payloads_rebuilds_the_same_history():
    collect("openrouter", "--from-file", str(MODELS_2025), "--at", "2025-05-23T00:00:00Z")
    collect("openrouter", "--from-file", str(MODELS_2026), "--at", "2026-08-22T00:00:00Z")

    def history():
        return sorted(
            PricePeriod.objects.values_list(
                "offer__provider__slug", "offer__model__slug", "offer__variant", "source__slug", "valid_from", "valid_to", "input", "output", "price_kind", "first_seen",
                "last_seen",
            )
        )

    before = history()
    events_before = sorted(ChangeEvent.objects.values_list("kind", "offer__model__slug", "offer__variant", "at"))
    counts = reparse("openrouter")
    assert counts["runs"] == 2
    assert history() == before
    assert sorted(ChangeEvent.objects.values_list("kind", "offer__model__slug", "offer__variant", "at")) == events_before


def test_a_source_without_its_key_is_skipped_with_a_clear_line(monkeypatch):
    monkeypatch.delenv("TOGETHER_API_KEY", raising=False)
    out = collect("together")
    run = CollectionRun.objects.get(source__slug="together")
    assert run.status == "skipped"
    assert "TOGETHER_API_KEY" in run.error and "skipped" in out


@pytest.fixture
def server():
    with FaultServer() as server:
        yield server


@pytest.mark.parametrize(
    ("step", "status", "message"),
    [
        (Step(status=500), "failed", "HTTP 500"),
        (Step(body=b"<html><body>Bad gateway</body></html>", content_type="text/html"), "failed", "HTML"),
        (Step(body=b'{"object": "list", "data": [{"id": "x", '), "failed", "invalid JSON"),
    ],
    ids=["5xx", "html", "truncated"],
)
def test_a_bad_response_is_a_failed_run_and_the_last_good_prices_stay(server, monkeypatch, step, status, message):
    good = {"object": "list", "data": [
        {"id": f"deepseek-ai/Model-{i}", "pricing": {"prompt": 0.5, "completion": 2.0}, "quantization": "fp8"}
        for i in range(5)
    ]}
    monkeypatch.setenv("RATECARD_CHUTES_BASE_URL", server.base_url)
    server.script("/v1/models", Step.json(good))
    collect("chutes")
    good_periods = sorted(PricePeriod.objects.values_list("id", "input"))
    server.script("/v1/models", step)
    monkeypatch.setattr("providers.http.HttpClient.retries", 0, raising=False)
    collect("chutes")
    last = CollectionRun.objects.filter(source__slug="chutes").order_by("-created").first()
    assert last.status == status
    assert message in last.error
    assert sorted(PricePeriod.objects.values_list("id", "input")) == good_periods


def test_bad_command_input_is_a_clear_error():
    with pytest.raises(CommandError, match="unknown source"):
        collect("nosuchsource")
    with pytest.raises(CommandError, match="ISO-8601"):
        collect("openrouter", "--from-file", str(MODELS_2026), "--at", "yesterday")
    with pytest.raises(CommandError, match="no such file"):
        collect("openrouter", "--from-file", "/nonexistent.json")
    with pytest.raises(CommandError, match="timezone"):
        collect("openrouter", "--from-file", str(MODELS_2026), "--at", "2026-08-22T00:00:00")


def test_every_price_points_at_the_exact_payload_that_stated_it(server, monkeypatch):
    from tests.pricing.openrouter_fake import serve

    serve(server, 3)
    monkeypatch.setenv("RATECARD_OPENROUTER_BASE_URL", server.base_url)
    collect("openrouter")
    run = CollectionRun.objects.get(source__slug="openrouter")
    assert run.status == "complete" and run.payloads.count() == 4  # the list and three endpoint responses
    for period in PricePeriod.objects.select_related("payload", "offer__provider"):
        body = json.loads(period.payload.body)
        if period.offer.provider.slug == "openrouter":
            assert "endpoints" not in json.dumps(body)
        else:
            assert body["data"]["id"] == period.offer.provider_model_id or body["data"]["id"] == period.provider_model_id



def test_a_saved_capture_newer_than_every_run_alerts_like_a_live_run():
    collect("openrouter", "--from-file", str(MODELS_2025), "--at", "2025-05-23T00:00:00Z")
    collect("openrouter", "--from-file", str(MODELS_2026), "--at", "2026-08-22T00:00:00Z")
    events = ChangeEvent.objects.filter(kind="price")
    assert events.count() == 2 and all(e.notify for e in events)
