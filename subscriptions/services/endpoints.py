"""Writes for callback endpoints: creation, API keys."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from contactsource.tokens import token_generate, token_hash
from subscriptions.models import CallbackEndpoint

# Lets the person API tell an endpoint key from a user's DRF token without a database lookup.
API_KEY_PREFIX = "cscrm_"


@transaction.atomic
def endpoint_create(
    *, name: str, url: str, campaign_ids: list[int] | None = None, **fields: Any
) -> CallbackEndpoint:
    endpoint = CallbackEndpoint(name=name, url=url, **fields)
    endpoint.full_clean()
    endpoint.save()
    if campaign_ids:
        endpoint.campaigns.set(campaign_ids)
    return endpoint


def endpoint_api_key_issue(*, endpoint_id: int) -> str:
    """A new person-API key for the endpoint's CRM; shown once, stored as a hash."""
    key = API_KEY_PREFIX + token_generate()
    CallbackEndpoint.objects.filter(pk=endpoint_id).update(api_key_hash=token_hash(key))
    return key


def endpoint_api_key_revoke(*, endpoint_id: int) -> None:
    CallbackEndpoint.objects.filter(pk=endpoint_id).update(api_key_hash="")


@transaction.atomic
def endpoint_update(
    *, endpoint: CallbackEndpoint, campaign_ids: list[int] | None = None, **fields: Any
) -> CallbackEndpoint:
    """Change an endpoint's settings; `campaign_ids` (when given) replaces its campaigns."""
    for name, value in fields.items():
        setattr(endpoint, name, value)
    endpoint.full_clean()
    endpoint.save()
    if campaign_ids is not None:
        endpoint.campaigns.set(campaign_ids)
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: CallbackEndpoint) -> None:
    """Delete an endpoint and its delivery log (deactivate it to keep the log)."""
    endpoint.delete()
