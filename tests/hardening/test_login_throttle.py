"""Login throttling (issue 11, item 4): django-axes locks a username from one address after a few
wrong passwords, on the site's login and the admin's; stronger password rules at sign-up."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

pytestmark = pytest.mark.django_db

RIGHT = "a-long-enough-pass-1"


def login(client, username: str, password: str, url: str = "/accounts/login/", **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_hundred_wrong_passwords_then_the_right_one_does_not_log_in(client, user, settings):
    statuses = {login(client, "ada", f"wrong-{i}").status_code for i in range(100)}
    assert statuses == {200, 429}  # the form's error first, then the lockout
    response = login(client, "ada", RIGHT)
    assert response.status_code == 429
    assert not logged_in(client)
    page = response.content.decode()
    assert "Too many failed logins" in page and f"after {settings.AXES_FAILURE_LIMIT} wrong passwords" in page


def test_the_lockout_is_per_user_and_address(client, user, settings):
    get_user_model().objects.create_user("bob", "bob@example.com", "another-long-pass-2")
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, "ada", f"wrong-{i}")
    assert login(client, "ada", RIGHT).status_code == 429
    # Another user from the same address, and the same user from another address, still log in.
    assert login(client, "bob", "another-long-pass-2").status_code == 302
    client.logout()
    assert login(client, "ada", RIGHT, REMOTE_ADDR="198.51.100.20").status_code == 302
    assert logged_in(client)


def test_a_forged_forwarded_for_header_does_not_dodge_the_lockout(client, user, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, "ada", f"wrong-{i}", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    assert login(client, "ada", RIGHT, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def test_the_lockout_ends_after_the_cool_off(client, user, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, "ada", f"wrong-{i}")
    assert login(client, "ada", RIGHT).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)):
        assert login(client, "ada", RIGHT).status_code == 302


def test_the_admin_login_is_covered_too(client, settings):
    get_user_model().objects.create_superuser("root", "root@example.com", "root-long-password-3")
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, "root", f"wrong-{i}", url="/admin/login/")
    response = login(client, "root", "root-long-password-3", url="/admin/login/")
    assert response.status_code == 429
    assert not logged_in(client)


@pytest.mark.parametrize(("password", "message"), [
    ("1234567890123456", "entirely numeric"),
    ("password123456", "too common"),
    ("short-9", "too short"),
])
def test_sign_up_refuses_weak_passwords(client, password, message):
    response = client.post("/accounts/signup/", {"username": "carol", "password1": password, "password2": password})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not get_user_model().objects.filter(username="carol").exists()


def test_accounts_from_one_address_are_limited_per_hour(client, settings):
    settings.SIGNUPS_PER_HOUR = 2
    statuses = []
    for i in range(3):
        statuses.append(client.post("/accounts/signup/", {"username": f"bulk{i}", "password1": "bulk-long-pass-77",
                                                          "password2": "bulk-long-pass-77"}).status_code)
        client.logout()
    assert statuses == [302, 302, 429]
    assert get_user_model().objects.filter(username__startswith="bulk").count() == 2
    other = client.post("/accounts/signup/", {"username": "elsewhere", "password1": "bulk-long-pass-77",
                                              "password2": "bulk-long-pass-77"}, REMOTE_ADDR="198.51.100.30")
    assert other.status_code == 302
