"""Points per dollar as a sort key on the /models/ index."""

from __future__ import annotations

import re

import pytest

from pricing.collection.snapshot import load
from tests.quality.helpers import SIX

pytestmark = pytest.mark.django_db


@pytest.fixture
def snap():
    load()


def per_dollar_column(body: str) -> list[tuple[str, str]]:
    rows = re.findall(r'<td><a href="/models/([^"]+)/">.*?data-per-dollar="([^"]*)"', body, re.S)
    return [(slug.replace("%2F", "/"), value) for slug, value in rows]


def test_the_models_index_sorts_by_points_per_dollar_on_a_benchmark(client, snap):
    response = client.get("/models/", {"benchmark": "gpqa-diamond-pass1", "sort": "-per_dollar"})
    assert response.status_code == 200
    rows = per_dollar_column(response.content.decode())
    scored = [(slug, value) for slug, value in rows if value]
    assert {slug for slug, _ in scored} == set(SIX)
    values = [float(v) for _, v in scored]
    assert values == sorted(values, reverse=True)
    assert rows[: len(scored)] == scored  # models without a figure come after
    assert '<option value="gpqa-diamond-pass1" selected>GPQA-Diamond (Pass@1)</option>' in response.content.decode()


def test_points_per_dollar_needs_a_known_benchmark(client, snap):
    assert client.get("/models/", {"sort": "-per_dollar"}).status_code == 400
    assert client.get("/models/", {"benchmark": "nope"}).status_code == 400
    plain = client.get("/models/").content.decode()
    assert all(value == "" for _, value in per_dollar_column(plain))
