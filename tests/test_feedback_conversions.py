"""Conversions: reported by a CRM or a marketer, kept as feedback (never revenue); a later report
replaces the earlier."""

from __future__ import annotations

from decimal import Decimal

import pytest

from feedback.models import Conversion
from tests.api_clients import api_client
from tests.factories import CallbackEndpointFactory, CampaignFactory
from tests.feedback_helpers import (
    charged_contact,
    contact_post,
    entry_make,
    key_client,
    ledger_total,
)

pytestmark = pytest.mark.django_db


def url(contact_id: int) -> str:
    return f"/api/v1/contacts/{contact_id}/conversion/"


def test_a_later_conversion_report_replaces_the_earlier_and_moves_no_money():
    entry = entry_make()
    contact_id = charged_contact(entry)
    crm = key_client(CallbackEndpointFactory.create(campaigns=[entry.campaign]))

    first = crm.post(
        url(contact_id),
        {"value": "120.50", "converted_at": "2026-12-01T10:00:00Z"},
        format="json",
    )
    later = crm.post(url(contact_id), {"value": "99.00"}, format="json")

    assert first.status_code == 201 and first.json()["value"] == "120.5000"
    assert later.status_code == 200
    conversion = Conversion.objects.get()
    assert conversion.value == Decimal("99.00")
    assert conversion.converted_at is not None
    assert conversion.converted_at.isoformat() != "2026-12-01T10:00:00+00:00"
    assert ledger_total(contact_id) == Decimal("7.50")
    assert crm.get(url(contact_id)).json()["value"] == "99.0000"


def test_a_conversion_without_a_value_is_kept():
    contact_id = charged_contact(entry_make())

    response = api_client("feedback.add_conversion").post(url(contact_id), {}, format="json")

    assert response.status_code == 201 and response.json()["value"] is None


def test_it_refuses_a_negative_value_and_a_bad_date():
    contact_id = charged_contact(entry_make())
    client = api_client("feedback.add_conversion")

    response = client.post(
        url(contact_id), {"value": "-1", "converted_at": "yesterday"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"value", "converted_at"}


def test_it_refuses_the_conversion_of_a_scrubbed_contact():
    answer = contact_post(entry_make(scrub_rate=100))

    response = api_client("feedback.add_conversion").post(
        url(answer["contact_id"]), {}, format="json"
    )

    assert response.status_code == 400 and response.json()["code"] == "not_accepted"


def test_another_campaigns_endpoint_cannot_report_a_conversion():
    contact_id = charged_contact(entry_make())
    crm = key_client(CallbackEndpointFactory.create(campaigns=[CampaignFactory.create()]))

    response = crm.post(url(contact_id), {"value": "5"}, format="json")

    assert response.status_code == 404 and response.json()["code"] == "not_in_scope"
    assert Conversion.objects.count() == 0
