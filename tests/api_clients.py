"""Helpers for the management API tests: token clients with exact permissions, typed factories."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from campaigns.models import Campaign
from sources.models import Source, SourceCampaign
from tests.factories import CampaignFactory, SourceCampaignFactory, SourceFactory

_names = itertools.count()


def client_for(user: User) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def api_client(*perms: str) -> APIClient:
    """A token client for a new user holding exactly these permissions ("sources.view_source")."""
    user = User.objects.create_user(username=f"api{next(_names)}", password=None)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return client_for(user)


def superuser_client() -> APIClient:
    user = User.objects.create_superuser(f"root{next(_names)}", "root@example.com", None)
    return client_for(user)


def make_source(**kwargs: Any) -> Source:
    source: Source = SourceFactory.create(**kwargs)
    return source


def make_campaign(**kwargs: Any) -> Campaign:
    campaign: Campaign = CampaignFactory.create(**kwargs)
    return campaign


def make_entry(**kwargs: Any) -> SourceCampaign:
    entry: SourceCampaign = SourceCampaignFactory.create(**kwargs)
    return entry


def token_of(source: Source) -> str:
    """The plain token the factory gave the source (tests only: real ones are only hashed)."""
    token: str = source.token  # type: ignore[attr-defined]
    return token
