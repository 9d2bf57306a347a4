"""A listing cannot flood the catalogue (issue 11): ids must have the shape their source
documents, and one run creates a bounded number of new models and offers; the rest are held for
a person to confirm in the admin."""

from __future__ import annotations

import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from pricing.models import CollectionRun, HeldQuote, Model, Offer, QuoteRejection

pytestmark = pytest.mark.django_db
MODELS = Path(__file__).resolve().parent.parent / "providers" / "fixtures" / "openrouter" / "models.json"


def listing(tmp_path: Path, name: str, extra_ids: list[str]) -> Path:
    data = json.loads(MODELS.read_text())
    template = data["data"][0]
    for model_id in extra_ids:
        entry = copy.deepcopy(template)
        entry.update(id=model_id, canonical_slug=model_id, hugging_face_id=None, name=model_id)
        data["data"].append(entry)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def collect(path: Path, at: str) -> CollectionRun:
    call_command("collect", "openrouter", "--from-file", str(path), "--at", at, stdout=StringIO())
    return CollectionRun.objects.get(source__slug="openrouter", slot=at.replace("Z", "+00:00"))


@pytest.mark.parametrize("bad", ["evil/<script>alert(1)</script>", "evil/x y", "noslash", "Evil/Upper",
                                 "evil/\u0000nul", "evil/caf\u00e9"])
def test_an_id_not_of_the_documented_shape_is_rejected_with_a_reason(tmp_path, bad):
    run = collect(listing(tmp_path, "list.json", [bad]), "2026-01-01T00:00:00Z")
    assert run.status == "complete" and run.n_rejected == 1
    assert "is not the shape openrouter documents" in QuoteRejection.objects.get(run=run).reason
    assert not Model.objects.filter(slug__startswith="evil/").exists()
    assert not Model.objects.filter(slug="noslash").exists()


def test_a_flood_of_new_ids_is_capped_and_held_for_a_person(tmp_path, settings, client, django_user_model):
    settings.INGEST_MAX_NEW_MODELS = 5
    settings.INGEST_MAX_NEW_OFFERS = 8
    baseline = collect(listing(tmp_path, "day1.json", []), "2026-01-01T00:00:00Z")
    assert baseline.status == "complete" and baseline.n_held == 0
    models_before, offers_before = Model.objects.count(), Offer.objects.count()

    flood = [f"made-up/model-{i}" for i in range(200)]
    run = collect(listing(tmp_path, "day2.json", flood), "2026-01-02T00:00:00Z")
    assert run.status == "complete"
    assert Model.objects.count() - models_before == 5
    assert Offer.objects.count() - offers_before <= 8
    assert run.n_held == 195 and HeldQuote.objects.filter(confirmed_at__isnull=True).count() == 195
    assert "held 195" in run.error
    assert "cap of 5" in HeldQuote.objects.first().reason

    # The same flood again: five more models (the cap is per run), the rest held once, not twice.
    collect(listing(tmp_path, "day3.json", flood), "2026-01-03T00:00:00Z")
    assert Model.objects.count() - models_before == 10
    assert HeldQuote.objects.filter(confirmed_at__isnull=True).count() == 190

    # A person confirms three of them in the admin: they are applied, the rest stay held.
    chosen = list(HeldQuote.objects.order_by("pk").values_list("pk", flat=True)[:3])
    django_user_model.objects.create_superuser("root", "root@example.com", "a-long-enough-pass-1")
    client.post(reverse("admin:login"), {"username": "root", "password": "a-long-enough-pass-1"},
                REMOTE_ADDR="127.0.0.1")
    response = client.post(reverse("admin:pricing_heldquote_changelist"),
                                 {"action": "confirm_held", "_selected_action": chosen}, follow=True,
                           REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    slugs = set(HeldQuote.objects.filter(pk__in=chosen).values_list("provider_model_id", flat=True))
    assert Model.objects.filter(slug__in=slugs).count() == 3
    assert Offer.objects.filter(model__slug__in=slugs, current_period__isnull=False).count() == 3
    assert HeldQuote.objects.filter(confirmed_at__isnull=True).count() == 187
    confirm_run = CollectionRun.objects.get(trigger="confirm")
    assert confirm_run.status == "complete" and confirm_run.n_held == 0


def test_a_first_baseline_sweep_has_its_own_larger_allowance(tmp_path, settings):
    settings.INGEST_MAX_NEW_MODELS = 2
    settings.INGEST_MAX_NEW_OFFERS = 2
    settings.INGEST_BASELINE_MAX_NEW_MODELS = 100
    settings.INGEST_BASELINE_MAX_NEW_OFFERS = 100
    run = collect(listing(tmp_path, "day1.json", [f"lab/model-{i}" for i in range(30)]), "2026-01-01T00:00:00Z")
    assert run.status == "complete" and run.n_held == 0
    assert Model.objects.filter(slug__startswith="lab/model-").count() == 30
