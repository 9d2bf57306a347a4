"""Schemathesis over the alerts endpoints (personal token), extending the API's own fuzzing
(tests/api/test_schema.py), which covers the read endpoints: no server error, and every error
answer in the API's one JSON shape."""

from __future__ import annotations

import json

import pytest

from pricing.alerts.models import ApiToken, Channel, Rule
from tests.alerts.helpers import webhook_channel
from tests.api.test_schema import wsgi_app  # noqa: F401  (the real WSGI app in this thread)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def error_shape(ctx, response, case):
    if response.status_code >= 400:
        body = json.loads(response.content)
        assert set(body["error"]) >= {"code", "message"}, body


def test_schemathesis_on_the_alerts_endpoints_finds_no_server_error(wsgi_app, user, receiver):  # noqa: F811
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation import GenerationMode

    check = schemathesis.check(error_shape)
    _, token = ApiToken.issue(user, "fuzz")
    channel = webhook_channel(user, receiver.url())
    rule = Rule.objects.create(user=user, condition="change")
    rule.channels.set([channel])
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app).include(path_regex="^/api/v1/alerts")
    operations = sorted((result.ok() for result in schema.get_all_operations()),
                        key=lambda op: (op.method.upper() == "DELETE", op.path))
    assert len(operations) >= 9
    tried: dict[str, set[int]] = {}
    for operation in operations:
        fixed = {}
        if "{rule_id}" in operation.path:
            fixed["rule_id"] = rule.pk
        if "{channel_id}" in operation.path:
            fixed["channel_id"] = channel.pk
        for mode, examples in [(GenerationMode.POSITIVE, 20), (GenerationMode.NEGATIVE, 15)]:
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed or None, headers=headers)

            @given(case=strategy)
            @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            def run(case):
                response = case.call()
                tried.setdefault(case.operation.label, set()).add(response.status_code)
                case.validate_response(response, checks=[not_a_server_error, check])

            try:
                run()
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE  # nothing left to break once the path is fixed
    # The fuzzing got past authentication to real answers.
    assert any(200 in s or 201 in s for s in tried.values()), tried
    assert Channel.objects.filter(user=user).count() <= 20  # the per-account cap held under fuzzing
