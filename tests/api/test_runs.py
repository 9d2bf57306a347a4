from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db
PATH = "/api/v1/runs"


def test_it_lists_runs_and_freshness_per_source(client, built, valid):
    body = valid(client.get(PATH), PATH)
    assert body["count"] == 6
    assert [(r["source"], r["status"]) for r in body["items"]][0] == ("aggregator", "failed")
    sources = {s["source"]: s for s in body["sources"]}
    assert sources["aggregator"]["last_status"] == "failed" and sources["aggregator"]["n_failed"] == 1
    assert sources["aggregator"]["last_complete"] == "2025-01-25T00:00:00Z"
    assert sources["hostapi"]["last_complete"] == "2025-03-01T00:00:00Z"
    assert sources["hostapi"]["last_status"] == "complete"


def test_it_filters_runs(client, built, valid):
    body = valid(client.get(PATH, {"source": "hostapi", "since": "2025-01-01"}), PATH)
    assert body["count"] == 2
    assert valid(client.get(PATH, {"status": "failed"}), PATH)["count"] == 1


def test_an_unknown_status_is_a_400(client, built, valid):
    valid(client.get(PATH, {"status": "sleepy"}), PATH, 400)


def test_runs_run_a_fixed_number_of_queries(client, built, django_assert_num_queries):
    with django_assert_num_queries(3):
        client.get(PATH)
