from __future__ import annotations

import pytest
from django.conf import settings


def pytest_report_header(config):
    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [f"ratecard: database {db}, redis {'up' if settings.USING_REDIS else 'not used'}"]


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL on 127.0.0.1:5432 (run .ci/run or start it)")
    skip_redis = pytest.mark.skip(reason="needs Redis on 127.0.0.1:6379")
    for item in items:
        if "postgres" in item.keywords and not settings.USING_POSTGRES:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not settings.USING_REDIS:
            item.add_marker(skip_redis)


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
