"""The callback body (DESIGN §7, seed 003) and the person API's shapes, as plain dicts.

Plain functions rather than DRF serializers: the subscription object is built inside the
intake's transaction, where a serializer's overhead would be paid on every accepted contact.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from subscriptions.models import EventType, Person, Subscription

API_PREFIX = "/api/v1"


def utc_date(value: datetime | None) -> str | None:
    """UTC `YYYY-MM-DDTHH:MM:SSZ`, the platform's date format."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def person_url(public_id: uuid.UUID | str) -> str:
    return f"{API_PREFIX}/persons/{public_id}/"


def subscription_url(public_id: uuid.UUID | str, campaign_id: int) -> str:
    return f"{API_PREFIX}/persons/{public_id}/subscriptions/{campaign_id}/"


def person_ref(public_id: uuid.UUID | str, external_id: str | None) -> dict[str, Any]:
    return {"id": str(public_id), "external_id": external_id, "url": person_url(public_id)}


def subscription_object(
    *,
    person_public_id: uuid.UUID | str,
    person_external_id: str | None,
    campaign_id: int,
    source_id: int | None,
    opt_in_date: datetime,
    opt_out_date: datetime | None = None,
    opt_out_reason: str = "",
    include_opt_out: bool = False,
) -> dict[str, Any]:
    """The body's "subscription" object; opt-out keys only when asked (subscription_removed)."""
    body: dict[str, Any] = {
        "person": person_ref(person_public_id, person_external_id),
        "subscription_list": {
            "id": str(campaign_id),
            "url": f"{API_PREFIX}/campaigns/{campaign_id}/",
        },
        "opt_in_date": utc_date(opt_in_date),
    }
    if include_opt_out:
        body["opt_out_date"] = utc_date(opt_out_date)
        body["opt_out_reason"] = opt_out_reason or None
    body["acquisition_campaign"] = (
        {"id": str(source_id), "url": f"{API_PREFIX}/sources/{source_id}/"}
        if source_id is not None
        else None
    )
    body["url"] = subscription_url(person_public_id, campaign_id)
    return body


def subscription_payload(
    subscription: Subscription, person: Person, *, include_opt_out: bool
) -> dict[str, Any]:
    return subscription_object(
        person_public_id=person.public_id,
        person_external_id=person.external_id,
        campaign_id=subscription.campaign_id,
        source_id=subscription.acquisition_source_id,
        opt_in_date=subscription.opt_in_date,
        opt_out_date=subscription.opt_out_date,
        opt_out_reason=subscription.opt_out_reason,
        include_opt_out=include_opt_out,
    )


def callback_body(
    *,
    endpoint_id: int,
    event_id: uuid.UUID | str,
    event_type: str,
    event_date: datetime,
    attempt: int,
    subscription: dict[str, Any],
) -> str:
    """The JSON text that is signed and posted; `event_type` and `callback_type` are equal."""
    body = {
        "callback_id": str(endpoint_id),
        "event_id": str(event_id),
        "event_type": EventType(event_type).value,
        "callback_type": EventType(event_type).value,
        "event_date": utc_date(event_date),
        "delivery_attempt": str(attempt),
        "subscription": subscription,
    }
    return json.dumps(body, separators=(",", ":"))


def person_body(person: Person) -> dict[str, Any]:
    """The person API's answer: the shape a CRM posts, plus its id and url."""
    return {
        "id": str(person.public_id),
        "external_id": person.external_id,
        "mobile_phone": {"mdn": person.mobile_phone} if person.mobile_phone else None,
        "email": person.email or None,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "custom_fields": person.custom_fields or {},
        "url": person_url(person.public_id),
        "created_at": utc_date(person.created_at),
        "updated_at": utc_date(person.updated_at),
    }
