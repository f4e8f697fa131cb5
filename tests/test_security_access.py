"""The admin and the REST API refuse anonymous and non-staff users, on every route they have.

Routes are found by walking the URL configuration, so a page or endpoint added later is covered
without editing this file. The schema and its two viewers are public by design (DESIGN §9).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

PUBLIC = {"admin/login/", "admin/logout/", "api/schema/", "api/docs/", "api/redoc/"}
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _walk(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern).lstrip("^").rstrip("$").replace("\\Z", "")
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        else:
            yield route


def _concrete(route: str) -> str:
    """A URL for a route: every parameter becomes 1 (format suffixes become json)."""

    def fill(match: re.Match[str]) -> str:
        converter, name = match.group(1), match.group(2) or match.group(3) or ""
        if converter == "uuid":
            return "00000000-0000-4000-8000-000000000001"
        return "json" if name == "format" else "1"

    url = PARAM.sub(fill, route)
    return "/" + url.replace("\\.", ".").replace("?", "").replace("^", "")


def _routes(prefix: str) -> list[str]:
    routes = sorted({r for r in _walk(get_resolver().url_patterns) if r.startswith(prefix)})
    return [_concrete(r) for r in routes if r not in PUBLIC and "(" not in _concrete(r)]


ADMIN_ROUTES = _routes("admin/")
API_ROUTES = _routes("api/")


@pytest.fixture
def plain_user() -> User:
    """Logged in, active, but neither staff nor given any permission."""
    user: User = get_user_model().objects.create_user(username="plain", password=None)
    return user


def test_the_route_lists_are_not_empty() -> None:
    # Guards the walk itself: an empty list would make the tests below pass vacuously.
    assert "/admin/" in ADMIN_ROUTES
    assert len(ADMIN_ROUTES) > 10
    assert any(url.startswith("/api/v1/") for url in API_ROUTES)


@pytest.mark.parametrize("url", ADMIN_ROUTES)
def test_the_admin_sends_anonymous_users_to_the_login(url: str) -> None:
    response = Client().get(url)
    assert response.status_code in (302, 404), url
    if response.status_code == 302:
        assert response["Location"].startswith("/admin/login/"), url


@pytest.mark.parametrize("url", ADMIN_ROUTES)
def test_the_admin_refuses_a_logged_in_non_staff_user(url: str, plain_user: User) -> None:
    client = Client()
    client.force_login(plain_user)
    response = client.get(url)
    assert response.status_code in (302, 403, 404), url
    if response.status_code == 302:
        assert response["Location"].startswith("/admin/login/"), url


@pytest.mark.parametrize("url", API_ROUTES)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_the_api_refuses_anonymous_users(url: str, method: str) -> None:
    response = getattr(Client(), method)(url)
    assert response.status_code in (401, 403), (method, url, response.status_code)


@pytest.mark.parametrize("url", API_ROUTES)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_the_api_refuses_a_non_staff_user_without_permissions(
    url: str, method: str, plain_user: User
) -> None:
    token = Token.objects.create(user=plain_user)
    client = Client(headers={"Authorization": f"Token {token.key}"})
    response = getattr(client, method)(url)
    assert response.status_code in (403, 405), (method, url, response.status_code)


def test_the_api_refuses_a_session_of_a_non_staff_user(plain_user: User) -> None:
    client = Client()
    client.force_login(plain_user)
    for url in API_ROUTES:
        assert client.get(url).status_code in (403, 405), url
