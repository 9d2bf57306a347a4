from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pricing.models import ChangeEvent
from tests.pricing.views import world

pytestmark = pytest.mark.django_db


@pytest.fixture
def built():
    return world.build()


def test_it_lists_changes_newest_first(client, built):
    response = client.get("/changes/")
    assert response.status_code == 200
    ats = [e.at for e, _ in response.context["events"]]
    assert ats == sorted(ats, reverse=True) and len(ats) == ChangeEvent.objects.count()


def test_it_filters_by_model_provider_kind_and_since(client, built):
    events = client.get(f"/changes/?model={world.LLAMA}&provider=deepinfra&kind=attribute").context["events"]
    assert len(events) == 1
    event, lines = events[0]
    assert (lines[0].label, lines[0].old, lines[0].new) == ("quantization", "bf16", "fp8")
    recent = client.get("/changes/?since=2025-06-01").context["events"]
    assert recent and all(e.at.date().isoformat() >= "2025-06-01" for e, _ in recent)
    assert not client.get("/changes/?since=2099-01-01").context["events"]


def test_it_paginates(client, built):
    world.add_hosts(60)
    first = client.get("/changes/")
    assert len(first.context["events"]) == 50 and first.context["page"].has_next()
    second = client.get("/changes/?page=2")
    assert second.status_code == 200 and second.context["page"].number == 2


def test_bad_filters_are_400(client, built):
    assert client.get("/changes/?kind=everything").status_code == 400
    assert client.get("/changes/?since=last-week").status_code == 400
    assert client.get("/changes/?page=999").status_code == 400


def test_its_query_count_is_fixed(client, built, django_assert_num_queries):
    with CaptureQueriesContext(connection) as before:
        client.get("/changes/")
    assert len(before.captured_queries) <= 3
    world.add_hosts(20)
    with django_assert_num_queries(len(before.captured_queries)):
        client.get("/changes/")
