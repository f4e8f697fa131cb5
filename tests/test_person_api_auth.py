"""The person API: an endpoint's API key, or a user's token with the person-API permission."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from subscriptions.services import endpoint_api_key_issue, endpoint_api_key_revoke
from tests.factories import CallbackEndpointFactory, PersonFactory

pytestmark = pytest.mark.django_db


def client_with(token: str | None) -> APIClient:
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def user_token(*perms: str) -> str:
    user = get_user_model().objects.create_user("crm", "crm@example.com", "pw")
    for perm in perms:
        app, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=codename)
        )
    return Token.objects.create(user=user).key


def test_it_answers_401_without_credentials():
    response = client_with(None).get("/api/v1/persons/external/x/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_an_endpoint_api_key_is_accepted():
    person = PersonFactory.create(external_id="crm-1")
    key = endpoint_api_key_issue(endpoint_id=CallbackEndpointFactory.create().pk)

    response = client_with(key).get("/api/v1/persons/external/crm-1/")

    assert response.status_code == 200
    assert response.json()["id"] == str(person.public_id)


def test_a_wrong_or_revoked_api_key_is_refused():
    endpoint = CallbackEndpointFactory.create()
    key = endpoint_api_key_issue(endpoint_id=endpoint.pk)
    endpoint_api_key_revoke(endpoint_id=endpoint.pk)

    assert client_with(key).get("/api/v1/persons/external/x/").status_code == 401
    assert client_with("cscrm_nope").get("/api/v1/persons/external/x/").status_code == 401


def test_a_user_token_needs_the_person_api_permission():
    PersonFactory.create(external_id="crm-1")
    without = user_token("subscriptions.view_person")

    assert client_with(without).get("/api/v1/persons/external/crm-1/").status_code == 403

    Token.objects.all().delete()
    get_user_model().objects.all().delete()
    with_perm = user_token("subscriptions.use_person_api")
    assert client_with(with_perm).get("/api/v1/persons/external/crm-1/").status_code == 200
