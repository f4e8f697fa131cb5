"""The management API: token or session auth, model permissions (reads too), throttling."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from tests.api_clients import api_client, client_for, make_source

pytestmark = pytest.mark.django_db


def test_it_refuses_anonymous_requests_with_401():
    response = APIClient().get("/api/v1/sources/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_it_refuses_a_bad_token_with_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/sources/").status_code == 401


def test_reading_needs_the_view_permission():
    make_source()
    assert api_client().get("/api/v1/sources/").status_code == 403
    assert api_client("sources.view_source").get("/api/v1/sources/").status_code == 200


def test_writing_needs_the_matching_model_permission():
    source = make_source()
    viewer = api_client("sources.view_source")
    assert viewer.post("/api/v1/sources/", {"name": "X"}, format="json").status_code == 403
    assert viewer.patch(f"/api/v1/sources/{source.pk}/", {"name": "Y"}).status_code == 403
    assert viewer.delete(f"/api/v1/sources/{source.pk}/").status_code == 403
    creator = api_client("sources.view_source", "sources.add_source")
    assert creator.post("/api/v1/sources/", {"name": "X"}, format="json").status_code == 201


def test_a_staff_session_from_the_admin_works_too(client):
    user = User.objects.create_user("marketer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_campaign"))
    client.force_login(user)
    assert client.get("/api/v1/campaigns/").status_code == 200
    assert client.get("/api/v1/sources/").status_code == 403


def test_a_session_write_needs_the_csrf_token():
    user = User.objects.create_superuser("root", "r@example.com", None)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/api/v1/campaigns/", {"name": "C"}, format="json").status_code == 403


def test_it_throttles_each_user_separately(settings):
    # The throttle reads its rate per request now (contactsource/throttles.py), from settings;
    # the autouse fixture in conftest.py clears the shared cache's counts between tests.
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "3/day"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    first = client_for(User.objects.create_superuser("a", "a@example.com", None))
    second = client_for(User.objects.create_superuser("b", "b@example.com", None))
    codes = [first.get("/api/v1/campaigns/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert second.get("/api/v1/campaigns/").status_code == 200
