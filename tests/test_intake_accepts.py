from __future__ import annotations

from decimal import Decimal

import pytest

from ingest.models import Contact, IntakeEvent

pytestmark = pytest.mark.django_db


def test_it_accepts_a_json_contact_and_logs_one_event(entry, post_contact):
    response = post_contact(entry, {"email": "Ada@Example.com", "firstname": " Ada "})

    assert response.status_code == 200
    body = response.data
    assert body["success"] is True
    assert body["status"] == "accepted"
    assert body["statusCode"] == 200
    assert body["errors"] is None
    contact = Contact.objects.get()
    assert body["contact"] == {"id": contact.pk}
    assert body["source"] == {"id": entry.source_id, "name": entry.source.name}
    assert body["campaign"] == {"id": entry.campaign_id, "name": entry.campaign.name}
    assert contact.email == "Ada@example.com"
    assert contact.firstname == "Ada"
    event = IntakeEvent.objects.get()
    assert str(event.request_id) == body["id"]
    assert event.contact_id == contact.pk
    assert event.status == "accepted"
    assert event.http_status == 200
    assert event.cost == Decimal("2.50")
    assert event.revenue == Decimal("5.00")


def test_its_response_keys_are_sorted(entry, post_contact):
    response = post_contact(entry, {"email": "ada@example.com"})

    keys = list(response.data)
    assert keys == sorted(keys)
    assert set(keys) == {
        "campaign",
        "contact",
        "errors",
        "id",
        "source",
        "status",
        "statusCode",
        "success",
        "time",
    }
    assert set(response.data["time"]) == {"completed", "duration"}
