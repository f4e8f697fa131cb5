"""Returns (DESIGN §14) through the REST API: every refusal says why and what is allowed; an
approved return nets the contact's ledger to zero; a second return changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from feedback.models import ContactReturn, ReturnPolicy
from finance.models import LedgerEntry, LedgerKind
from ingest.models import Contact
from tests.api_clients import api_client
from tests.factories import CallbackEndpointFactory, CampaignFactory
from tests.feedback_helpers import (
    charged_contact,
    contact_post,
    entry_make,
    key_client,
    ledger_total,
    return_url,
)

pytestmark = pytest.mark.django_db


def test_a_crm_returns_a_contact_within_the_window_and_its_ledger_nets_to_zero():
    entry = entry_make()
    contact_id = charged_contact(entry)
    crm = key_client(CallbackEndpointFactory.create(campaigns=[entry.campaign]))
    assert ledger_total(contact_id) == Decimal("7.50")  # 2.50 cost + 5.00 revenue

    response = crm.post(return_url(contact_id), {"reason": "fraud", "note": "fake"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "approved" and body["reason"] == "fraud"
    assert body["contact"] == contact_id and body["endpoint"] is not None
    assert ledger_total(contact_id) == 0
    reversals = LedgerEntry.objects.filter(contact_id=contact_id, kind=LedgerKind.REVERSAL)
    assert sorted(r.amount for r in reversals) == [Decimal("-5.00"), Decimal("-2.50")]
    assert crm.get(return_url(contact_id)).json()["id"] == body["id"]


def test_it_answers_the_first_return_when_a_contact_is_returned_twice():
    entry = entry_make()
    contact_id = charged_contact(entry)
    client = api_client("feedback.add_contactreturn")
    first = client.post(return_url(contact_id), {"reason": "fraud"}, format="json")

    again = client.post(return_url(contact_id), {"reason": "duplicate"}, format="json")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert ContactReturn.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerKind.REVERSAL).count() == 2


def test_it_refuses_a_return_outside_the_window_and_gives_the_deadline():
    entry = entry_make()
    contact_id = charged_contact(entry)
    accepted = timezone.now() - timedelta(days=8)
    Contact.objects.filter(pk=contact_id).update(created_at=accepted)
    client = api_client("feedback.add_contactreturn")

    response = client.post(return_url(contact_id), {"reason": "fraud"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "window_closed" and body["window"] == "P7D"
    deadline = (accepted + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body["deadline"] == deadline and deadline in body["detail"]
    assert ContactReturn.objects.count() == 0 and ledger_total(contact_id) == Decimal("7.50")


def test_it_refuses_an_unknown_reason_and_lists_the_allowed_ones():
    entry = entry_make()
    ReturnPolicy.objects.create(campaign=entry.campaign, reasons=["fraud", "wrong_number"])
    contact_id = charged_contact(entry)

    response = api_client("feedback.add_contactreturn").post(
        return_url(contact_id), {"reason": "disconnected"}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_reason"
    assert body["allowed_reasons"] == ["fraud", "wrong_number"]
    assert "fraud, wrong_number" in body["detail"]


def test_it_refuses_a_missing_reason_as_a_field_error():
    contact_id = charged_contact(entry_make())

    response = api_client("feedback.add_contactreturn").post(
        return_url(contact_id), {}, format="json"
    )

    assert response.status_code == 400
    assert "reason" in response.json()


def test_it_refuses_to_return_a_scrubbed_contact_never_charged():
    entry = entry_make(scrub_rate=100)
    answer = contact_post(entry)
    assert Contact.objects.get(pk=answer["contact_id"]).status == "scrubbed"

    response = api_client("feedback.add_contactreturn").post(
        return_url(answer["contact_id"]), {"reason": "fraud"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "never_charged"
    assert response.json()["contact_status"] == "scrubbed"


def test_it_refuses_to_return_a_contact_without_ledger_rows():
    entry = entry_make()
    contact_id = charged_contact(entry)
    LedgerEntry.objects.filter(contact_id=contact_id).delete()  # as a test intake leaves it

    response = api_client("feedback.add_contactreturn").post(
        return_url(contact_id), {"reason": "fraud"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "never_charged"


def test_it_refuses_a_return_when_the_campaign_takes_none():
    entry = entry_make()
    ReturnPolicy.objects.create(campaign=entry.campaign, window="")
    contact_id = charged_contact(entry)

    response = api_client("feedback.add_contactreturn").post(
        return_url(contact_id), {"reason": "fraud"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "returns_closed"
    assert "takes no returns" in response.json()["detail"]


def test_it_refuses_another_campaigns_endpoint_and_names_the_campaigns_it_may_return():
    entry = entry_make()
    contact_id = charged_contact(entry)
    other = CampaignFactory.create()
    crm = key_client(CallbackEndpointFactory.create(campaigns=[other]))

    response = crm.post(return_url(contact_id), {"reason": "fraud"}, format="json")

    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not_in_scope" and body["allowed_campaigns"] == [other.pk]
    assert crm.get(return_url(contact_id)).status_code == 404
    assert ContactReturn.objects.count() == 0 and ledger_total(contact_id) == Decimal("7.50")


def test_it_refuses_a_user_without_the_return_permission():
    contact_id = charged_contact(entry_make())

    response = api_client("ingest.view_contact").post(
        return_url(contact_id), {"reason": "fraud"}, format="json"
    )

    assert response.status_code == 403
    assert ContactReturn.objects.count() == 0


def test_it_answers_404_for_an_unknown_contact():
    response = api_client("feedback.add_contactreturn").post(
        return_url(999999), {"reason": "fraud"}, format="json"
    )

    assert response.status_code == 404


def test_the_cap_slot_stays_used_after_a_return():
    from finance.models import CapCounter
    from tests.factories import CapFactory

    entry = entry_make()
    CapFactory.create(campaign=entry.campaign, limit=1, duration="day")
    contact_id = charged_contact(entry)
    api_client("feedback.add_contactreturn").post(
        return_url(contact_id), {"reason": "fraud"}, format="json"
    )

    assert CapCounter.objects.get().used == 1
    assert contact_post(entry)["status"] == "limited"
