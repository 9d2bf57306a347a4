from __future__ import annotations

import pytest

from tests.alerts.conftest import receiver, smtp  # noqa: F401  (the real loopback receiver and SMTP server)


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("ada", "ada@example.com", "a-long-enough-pass-1")
