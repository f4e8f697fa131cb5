"""The source's docs page has a "Returns" section: each campaign's return settings and the
source's returned contacts of the last 30 days (ids, dates, reasons only), with a CSV."""

from __future__ import annotations

import pytest
from django.test import Client

from feedback.models import ReturnPolicy
from tests.api_clients import api_client
from tests.feedback_helpers import charged_contact, entry_make, return_url

pytestmark = pytest.mark.django_db


def test_the_docs_page_lists_returned_contacts_and_return_settings():
    entry = entry_make()
    ReturnPolicy.objects.create(campaign=entry.campaign, window="PT48H", reasons=["fraud"])
    contact_id = charged_contact(entry)
    api_client("feedback.add_contactreturn").post(
        return_url(contact_id), {"reason": "fraud"}, format="json"
    )
    token = entry.source.token  # type: ignore[attr-defined]

    browser = Client()
    browser.post(
        f"/source/{entry.source_id}/docs-login",
        {"token": token, "next": f"/source/{entry.source_id}"},
    )
    page = browser.get(f"/source/{entry.source_id}")
    csv = browser.get(f"/source/{entry.source_id}/returns.csv")
    by_header = Client().get(f"/source/{entry.source_id}/returns.csv", headers={"token": token})

    html = page.content.decode()
    assert 'id="returns"' in html and "<code>PT48H</code> after acceptance" in html
    assert f"<td>{contact_id}</td>" in html
    assert csv.status_code == 200 and csv["Cache-Control"] == "private, no-store"
    lines = csv.getvalue().decode("utf-8-sig").splitlines()
    assert lines[0] == "contact_id,campaign_id,returned_at,reason"
    assert lines[1].startswith(f"{contact_id},{entry.campaign_id},") and lines[1].endswith("fraud")
    assert "@example.com" not in csv.getvalue().decode()
    assert by_header.status_code == 200


def test_the_returns_csv_needs_the_sources_token():
    entry = entry_make()

    response = Client().get(f"/source/{entry.source_id}/returns.csv")

    assert response.status_code == 401
