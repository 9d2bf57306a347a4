"""The headline figure on the real bundled snapshot, through the API."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_o1_against_r1_on_the_snapshot_at_launch_prices(client):
    from pricing.collection.snapshot import load

    load()
    response = client.get("/api/v1/compare", {"models": "openai/o1,deepseek/deepseek-r1", "basis": "first-party",
                                              "as_of": "2025-02-01"})
    assert response.status_code == 200, response.content
    pair = response.json()["pairs"][0]
    assert (pair["input"], pair["output"]) == ("27.27", "27.40")
