"""Test settings: PostgreSQL and Redis when they answer on 127.0.0.1, SQLite and files otherwise.

RATECARD_TEST_POSTGRES / RATECARD_TEST_REDIS: "auto" (default), "require" (fail if absent; CI sets
it so a dead service cannot silently turn into a skipped suite) or "off".
"""

import os
import socket
import tempfile

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("RATECARD_VAR_DIR", tempfile.mkdtemp(prefix="ratecard-test-"))
os.environ.setdefault("ALERTS_ALLOW_PRIVATE_WEBHOOKS", "true")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

from ratecard.settings import *  # noqa: E402,F403
from ratecard.settings import DATABASES  # noqa: E402


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _mode(name: str) -> str:
    value = os.environ.get(name, "auto").strip().lower()
    if value not in {"auto", "require", "off"}:
        raise ImproperlyConfigured(f"{name} must be auto, require or off, not {value!r}")
    return value


_pg = _mode("RATECARD_TEST_POSTGRES")
USING_POSTGRES = _pg != "off" and _answers(5432)
if _pg == "require" and not USING_POSTGRES:
    raise ImproperlyConfigured("RATECARD_TEST_POSTGRES=require but nothing answers on 127.0.0.1:5432")
if USING_POSTGRES:
    import dj_database_url

    DATABASES = {
        "default": dj_database_url.parse(
            os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ratecard"), conn_max_age=0
        )
    }
    # One test database per pytest process: parallel runs on one machine must not drop each other's.
    DATABASES["default"]["TEST"] = {"NAME": f"test_ratecard_{os.getpid()}"}

_redis = _mode("RATECARD_TEST_REDIS")
USING_REDIS = _redis != "off" and _answers(6379)
if _redis == "require" and not USING_REDIS:
    raise ImproperlyConfigured("RATECARD_TEST_REDIS=require but nothing answers on 127.0.0.1:6379")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
if USING_REDIS:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": TEST_REDIS_URL}}

# Throttling is configurable and off for loopback in tests, except where a test turns it on.
API_THROTTLE_PER_MINUTE = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
