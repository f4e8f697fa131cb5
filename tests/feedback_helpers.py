"""Helpers for the buyer-feedback tests: charged contacts made through the real intake."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.test import Client
from rest_framework.test import APIClient

from finance.models import LedgerEntry
from ingest.models import IntakeEvent
from sources.models import SourceCampaign
from subscriptions.models import CallbackEndpoint
from subscriptions.services import endpoint_api_key_issue
from tests.factories import CampaignFieldFactory, SourceCampaignFactory

_emails = itertools.count()


def entry_make(**kwargs: Any) -> SourceCampaign:
    entry: SourceCampaign = SourceCampaignFactory.create(cost=Decimal("2.50"), **kwargs)
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    return entry


def contact_post(entry: SourceCampaign, **data: Any) -> dict[str, Any]:
    """Post one contact to the intake as the source would; the intake's JSON answer."""
    data.setdefault("email", f"lead{next(_emails)}@example.com")
    response = Client().post(
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
        json.dumps(data),
        content_type="application/json",
        headers={"token": entry.source.token},  # type: ignore[attr-defined]
    )
    answer: dict[str, Any] = response.json()
    # The intake answers its request id; the contact's own id is on its event.
    event = IntakeEvent.objects.filter(request_id=answer["id"]).first()
    answer["contact_id"] = event.contact_id if event else None
    return answer


def charged_contact(entry: SourceCampaign) -> int:
    answer = contact_post(entry)
    assert answer["status"] == "accepted", answer
    contact_id: int = answer["contact_id"]
    return contact_id


def key_client(endpoint: CallbackEndpoint, key: str | None = None) -> APIClient:
    """A client with the endpoint's API key (a new one unless given)."""
    client = APIClient()
    key = key or endpoint_api_key_issue(endpoint_id=endpoint.pk)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def ledger_total(contact_id: int) -> Decimal:
    total = LedgerEntry.objects.filter(contact_id=contact_id).aggregate(t=Sum("amount"))["t"]
    return total or Decimal("0")


def return_url(contact_id: int) -> str:
    return f"/api/v1/contacts/{contact_id}/return/"
