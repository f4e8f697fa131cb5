"""Returns held for review: approve or reject through the API and the admin (one or many)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from feedback.models import ContactReturn, ReturnPolicy
from finance.models import LedgerEntry, LedgerKind
from tests.api_clients import api_client
from tests.feedback_helpers import charged_contact, entry_make, ledger_total, return_url

pytestmark = pytest.mark.django_db


def _reviewed_entry():
    entry = entry_make()
    ReturnPolicy.objects.create(campaign=entry.campaign, review="review")
    return entry


def test_a_return_under_review_waits_and_moves_no_money():
    entry = _reviewed_entry()
    contact_id = charged_contact(entry)

    response = api_client("feedback.add_contactreturn").post(
        return_url(contact_id), {"reason": "fraud"}, format="json"
    )

    assert response.status_code == 201 and response.json()["status"] == "pending"
    assert ledger_total(contact_id) == Decimal("7.50")


def test_a_marketer_approves_a_pending_return_and_the_ledger_nets_out():
    entry = _reviewed_entry()
    contact_id = charged_contact(entry)
    client = api_client(
        "feedback.add_contactreturn", "feedback.view_contactreturn", "feedback.change_contactreturn"
    )
    ret = client.post(return_url(contact_id), {"reason": "fraud"}, format="json").json()

    approved = client.post(f"/api/v1/returns/{ret['id']}/approve/")

    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert ledger_total(contact_id) == 0
    again = client.post(f"/api/v1/returns/{ret['id']}/approve/")
    assert again.status_code == 400 and "already approved" in again.json()["detail"]
    assert LedgerEntry.objects.filter(kind=LedgerKind.REVERSAL).count() == 2


def test_a_marketer_rejects_a_pending_return_with_a_reason_and_nothing_is_reversed():
    entry = _reviewed_entry()
    contact_id = charged_contact(entry)
    client = api_client(
        "feedback.add_contactreturn", "feedback.view_contactreturn", "feedback.change_contactreturn"
    )
    ret = client.post(return_url(contact_id), {"reason": "fraud"}, format="json").json()

    no_reason = client.post(f"/api/v1/returns/{ret['id']}/reject/", {}, format="json")
    rejected = client.post(
        f"/api/v1/returns/{ret['id']}/reject/", {"reason": "Verified by phone"}, format="json"
    )

    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["rejection_reason"] == "Verified by phone"
    assert ledger_total(contact_id) == Decimal("7.50")
    # Returned again: the first (rejected) return answers, nothing changes.
    again = client.post(return_url(contact_id), {"reason": "other"}, format="json")
    assert again.status_code == 200 and again.json()["status"] == "rejected"


def test_deciding_needs_the_change_permission():
    entry = _reviewed_entry()
    contact_id = charged_contact(entry)
    client = api_client("feedback.add_contactreturn", "feedback.view_contactreturn")
    ret = client.post(return_url(contact_id), {"reason": "fraud"}, format="json").json()

    assert client.post(f"/api/v1/returns/{ret['id']}/approve/").status_code == 403
    assert ledger_total(contact_id) == Decimal("7.50")


def _admin_client() -> Client:
    user = User.objects.create_superuser("boss", "boss@example.com", "pw-12345678")
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_approves_pending_returns_in_bulk():
    entry = _reviewed_entry()
    contacts = [charged_contact(entry) for _ in range(3)]
    maker = api_client("feedback.add_contactreturn")
    for contact_id in contacts:
        maker.post(return_url(contact_id), {"reason": "fraud"}, format="json")
    ids = list(ContactReturn.objects.values_list("pk", flat=True))

    response = _admin_client().post(
        "/admin/feedback/contactreturn/",
        {"action": "approve", "_selected_action": ids, "rejection_reason": ""},
        follow=True,
    )

    assert response.status_code == 200
    assert set(ContactReturn.objects.values_list("status", flat=True)) == {"approved"}
    assert all(ledger_total(c) == 0 for c in contacts)


def test_the_admin_refuses_a_bulk_rejection_without_a_reason_and_rejects_with_one():
    entry = _reviewed_entry()
    contact_id = charged_contact(entry)
    api_client("feedback.add_contactreturn").post(
        return_url(contact_id), {"reason": "fraud"}, format="json"
    )
    ret = ContactReturn.objects.get()
    client = _admin_client()

    refused = client.post(
        "/admin/feedback/contactreturn/",
        {"action": "reject", "_selected_action": [ret.pk], "rejection_reason": ""},
        follow=True,
    )
    assert "Say why the return is rejected" in refused.content.decode()
    client.post(
        "/admin/feedback/contactreturn/",
        {"action": "reject", "_selected_action": [ret.pk], "rejection_reason": "Real lead"},
    )

    ret.refresh_from_db()
    assert ret.status == "rejected" and ret.rejection_reason == "Real lead"


def test_the_admin_returns_contacts_from_the_contact_list():
    entry = entry_make()
    contact_id = charged_contact(entry)

    _admin_client().post(
        "/admin/ingest/contact/",
        {"action": "_return_contacts", "_selected_action": [contact_id], "return_reason": "fraud"},
    )

    assert ContactReturn.objects.get().status == "approved"
    assert ledger_total(contact_id) == 0


def test_the_campaign_page_edits_the_return_settings():
    entry = entry_make()
    client = _admin_client()
    page = client.get(f"/admin/campaigns/campaign/{entry.campaign_id}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Return settings" in html
    assert 'name="return_policy-0-window"' in html and 'value="P7D"' in html
