"""Settings refuse to start when misconfigured, and production settings pass check --deploy."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # The test process sets a few variables for itself (tests/settings.py); a production start has none.
    ours = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE",
            "ALERTS_ALLOW_PRIVATE_WEBHOOKS", "EMAIL_BACKEND", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in ours}
    base.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True,
                          timeout=120, check=False)


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "ratecard.example.com",
    "DATABASE_URL": "postgres://ratecard@127.0.0.1:5432/ratecard",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def test_production_settings_pass_check_deploy_at_warning_level():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": "dev-only-insecure-secret-key-change-me-0123456789abcdefghijklmnop"}, "SECRET_KEY"),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"COLLECT_OPENROUTER_MINUTES": "hourly"}, "COLLECT_OPENROUTER_MINUTES"),
    ],
    ids=["empty-secret", "short-secret", "dev-secret", "bad-boolean", "no-hosts", "bad-interval"],
)
def test_it_refuses_to_start_with_a_clear_message(override, message):
    env = dict(PRODUCTION, **override)
    if override.get("SECRET_KEY") == "":
        env.pop("SECRET_KEY")
    result = manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_production_without_postgres_or_redis_warns_under_check_deploy():
    env = dict(PRODUCTION, DATABASE_URL="sqlite:////tmp/ratecard-check.sqlite3")
    env.pop("REDIS_URL")
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    assert "ratecard.W001" in result.stderr and "ratecard.W002" in result.stderr
