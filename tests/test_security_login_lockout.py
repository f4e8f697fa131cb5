"""The admin login locks a username out from an address after repeated failures (django-axes,
counted in the shared cache), with a 429 page and Retry-After; a success clears the count."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
LIMIT = 5  # ADMIN_LOGIN_FAILURE_LIMIT's default


@pytest.fixture
def admin_user(db: None, settings: Any) -> User:
    # A fast hasher: these tests log in dozens of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return User.objects.create_superuser("boss", "boss@example.com", "right-password-1")


def login(password: str, *, username: str = "boss", address: str = "127.0.0.1") -> Any:
    return Client().post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def test_it_locks_a_username_out_from_an_address_after_repeated_failures(admin_user):
    failures = [login("wrong").status_code for _ in range(LIMIT - 1)]
    last = login("wrong")
    locked = login("right-password-1")

    assert failures == [200] * (LIMIT - 1)  # the form again, with its error
    assert last.status_code == 429
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    page = locked.content.decode()
    assert "Too many failed logins" in page
    assert "15 minutes" in page
    assert "right-password-1" not in page


def test_the_same_username_from_another_address_still_logs_in(admin_user):
    for _ in range(LIMIT + 1):
        login("wrong", address="203.0.113.5")

    response = login("right-password-1", address="198.51.100.5")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_another_username_from_the_same_address_still_logs_in(admin_user):
    User.objects.create_superuser("other", "other@example.com", "other-password-1")
    for _ in range(LIMIT + 1):
        login("wrong")

    assert login("other-password-1", username="other").status_code == 302


def test_a_successful_login_clears_the_count(admin_user):
    for _ in range(LIMIT - 1):
        login("wrong")
    assert login("right-password-1").status_code == 302

    codes = [login("wrong").status_code for _ in range(LIMIT - 1)]

    assert codes == [200] * (LIMIT - 1)
    assert login("right-password-1").status_code == 302


def test_a_login_without_a_request_is_neither_counted_nor_refused(admin_user):
    # Logins without a request (the test client, a shell) are not counted nor refused.
    assert Client().login(username="boss", password="right-password-1")


def test_an_operator_can_lift_one_lockout(admin_user):
    for _ in range(LIMIT):
        login("wrong")
    assert login("right-password-1").status_code == 429

    call_command("axes_reset_ip_username", "127.0.0.1", "boss")

    assert login("right-password-1").status_code == 302
