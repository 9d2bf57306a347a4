"""The served OpenAPI schema against the served responses: Schemathesis drives every read endpoint."""

from __future__ import annotations

import pytest
from django.core import signals
from django.db import close_old_connections

from tests.api.market import LLAMA, O1, R1

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_schema_is_openapi_3_with_every_endpoint_and_units(openapi):
    assert openapi["openapi"].startswith("3.")
    paths = set(openapi["paths"])
    for path in ("models", "models/{author}/{name}/offers", "models/{author}/{name}/offers.csv",
                 "models/{author}/{name}/history", "models/{author}/{name}/history.csv", "compare", "providers",
                 "providers/{slug}", "changes", "runs", "benchmarks", "models/{author}/{name}/scores"):
        assert f"/api/v1/{path}" in paths
    offer = openapi["components"]["schemas"]["OfferOut"]["properties"]
    for name in ("input", "output", "cached_input", "mix"):
        assert "USD per million tokens" in offer[name]["description"]
        assert {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"} in offer[name]["anyOf"]
    assert "milliseconds" in offer["ttft_ms"]["description"] and "tokens per second" in offer["tps"]["description"]
    # Validation errors are documented (and served) as 400 with our error shape, not ninja's 422.
    responses = openapi["paths"]["/api/v1/models"]["get"]["responses"]
    assert "422" not in responses and responses["400"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorOut")


@pytest.fixture
def scored(built):
    """Scores for the market's models, so the score endpoints answer with items, not empty lists."""
    from django.utils import timezone

    from pricing.quality.loader import import_rows, scores_source

    rows = [(n, {"benchmark": "MMLU", "metric": "Pass@1", "model": slug, "score": score, "evaluator": "DeepSeek",
                 "citation": "https://example.org/table", "date": "2025-01-20"})
            for n, (slug, score) in enumerate([(O1, "91.8"), (R1, "90.8"), (LLAMA, "86")], start=2)]
    report = import_rows(rows, source=scores_source("test-scores"), body=b"rows", url="https://example.org/table",
                         at=timezone.now())
    assert report.new == 3
    return built


@pytest.fixture
def wsgi_app():
    """The real WSGI app in this thread, so it reads the test transaction's data."""
    from django.core.wsgi import get_wsgi_application

    # The handler would close the connection at the end of each request (and with it the test
    # transaction); Django's own test client disconnects these signals the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(scored, wsgi_app):
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation import GenerationMode
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
              response_headers_conformance]
    # The alerts router (token auth, writes) is the alerts app's to fuzz.
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app).exclude(path_regex="^/api/v1/alerts")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 12
    # Real slugs, so the fuzzer reaches the data and not only the 404s.
    known = [{"author": slug.split("/")[0], "name": slug.split("/")[1]} for slug in (O1, R1, LLAMA)]
    tried: dict[str, set[int]] = {}
    for operation in operations:
        fixed = known[len(tried) % 3] if "{author}" in operation.path else None
        if "{slug}" in operation.path:
            fixed = {"slug": "deepinfra"}
        runs = [(GenerationMode.POSITIVE, 25, None), (GenerationMode.NEGATIVE, 10, None)]
        if operation.path.endswith("/compare"):
            runs.append((GenerationMode.POSITIVE, 15, {"models": f"{O1},{R1}"}))
        for mode, examples, query in runs:
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed, query=query)

            @given(case=strategy)
            @settings(max_examples=examples, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def run(case):
                response = case.call()
                tried.setdefault(case.operation.label, set()).add(response.status_code)
                case.validate_response(response, checks=checks)

            run()
    # The fuzzing reached real answers on every endpoint, not only errors.
    assert {label for label, statuses in tried.items() if 200 not in statuses} == set(), tried
