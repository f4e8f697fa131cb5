"""Person-API authentication for CRMs: a callback endpoint's API key, beside users' DRF tokens.

Both use `Authorization: Token …`. Endpoint keys carry a prefix, so a user's token passes
through this class untouched to DRF's TokenAuthentication.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from contactsource.tokens import token_hash
from subscriptions.models import CallbackEndpoint
from subscriptions.selectors import (
    EVERYONE,
    PersonScope,
    endpoint_for_api_key,
    person_scope_of_endpoint,
)
from subscriptions.services.endpoints import API_KEY_PREFIX

PERSON_API_PERMISSION = "subscriptions.use_person_api"
# A permission's name, not a secret: seeing and changing endpoints' signing secrets.
ENDPOINT_SECRET_PERMISSION = "subscriptions.manage_endpoint_secret"  # noqa: S105


class EndpointKeyAuthentication(BaseAuthentication):
    """`Authorization: Token cscrm_…`: the CRM behind a callback endpoint."""

    def authenticate(self, request: Request) -> tuple[AnonymousUser, CallbackEndpoint] | None:
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"token":
            return None
        key = parts[1].decode("latin-1")
        if not key.startswith(API_KEY_PREFIX):
            return None
        # Keys are 256 random bits, looked up by their hash: nothing to learn from timing.
        # An inactive endpoint's key gets the same answer as a wrong one.
        endpoint = endpoint_for_api_key(key_hash=token_hash(key))
        if endpoint is None:
            raise AuthenticationFailed("Invalid API key.")
        return AnonymousUser(), endpoint

    def authenticate_header(self, request: Request) -> str:
        return "Token"


class PersonApiPermission(BasePermission):
    """An endpoint's API key, or a user holding the person-API permission."""

    message = "This API needs an endpoint API key or a user with the person-API permission."

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, CallbackEndpoint):
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(PERSON_API_PERMISSION))


def person_api_scope(request: Request) -> PersonScope:
    """Whom this caller reaches: an endpoint key its campaigns' persons; a permitted user all."""
    if isinstance(request.auth, CallbackEndpoint):
        return person_scope_of_endpoint(endpoint=request.auth)
    return EVERYONE


class EndpointKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "subscriptions.authentication.EndpointKeyAuthentication"
    name = "endpointApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A callback endpoint's person-API key: `Token cscrm_…`.",
        }
