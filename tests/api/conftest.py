from __future__ import annotations

import pytest

from tests.api import market


@pytest.fixture(autouse=True)
def _consistent_cache(monkeypatch):
    """Every request re-reads the generation (production memoises it for a second per process)."""
    from pricing.api import http

    monkeypatch.setattr(http, "GENERATION_MEMO_SECONDS", 0.0)
    http.forget_local()
    yield
    http.forget_local()


@pytest.fixture
def built(db):
    return market.build()


@pytest.fixture
def openapi(client):
    return client.get("/api/v1/openapi.json").json()


@pytest.fixture
def valid(openapi):
    """Validate a response body against the schema the API serves for that path and status."""
    import jsonschema_rs

    def check(response, path: str, status: int = 200) -> dict:
        assert response.status_code == status, response.content[:500]
        body = response.json()
        content = openapi["paths"][path]["get"]["responses"][str(status)]["content"]["application/json"]
        schema = {**content["schema"], "components": openapi["components"]}
        errors = [str(e) for e in jsonschema_rs.validator_for(schema).iter_errors(body)]
        assert errors == [], errors
        return body

    return check

