"""Campaigns' return settings in the API, and source quality (return and conversion rates)."""

from __future__ import annotations

import pytest

from tests.api_clients import api_client
from tests.factories import SourceCampaignFactory
from tests.feedback_helpers import charged_contact, entry_make, return_url

pytestmark = pytest.mark.django_db


def settings_url(campaign_id: int) -> str:
    return f"/api/v1/campaigns/{campaign_id}/return-settings/"


def test_a_campaign_never_edited_has_the_default_return_settings():
    entry = entry_make()

    response = api_client("campaigns.view_campaign").get(settings_url(entry.campaign_id))

    assert response.status_code == 200
    assert response.json() == {
        "campaign": entry.campaign_id,
        "window": "P7D",
        "reasons": [
            "disconnected",
            "wrong_number",
            "duplicate",
            "fraud",
            "not_interested",
            "other",
        ],
        "review": "approve",
    }


def test_a_marketer_changes_the_return_settings_and_bad_ones_are_refused():
    entry = entry_make()
    client = api_client("campaigns.view_campaign", "campaigns.change_campaign")

    changed = client.patch(
        settings_url(entry.campaign_id),
        {"window": "pt48h", "reasons": ["fraud"], "review": "review"},
        format="json",
    )
    bad = client.patch(
        settings_url(entry.campaign_id), {"window": "P1M", "reasons": []}, format="json"
    )

    assert changed.status_code == 200, changed.json()
    assert changed.json()["window"] == "PT48H" and changed.json()["review"] == "review"
    assert bad.status_code == 400 and set(bad.json()) == {"window", "reasons"}
    assert "P7D, PT48H" in bad.json()["window"][0]


def test_an_empty_window_turns_returns_off():
    entry = entry_make()
    client = api_client("campaigns.change_campaign", "feedback.add_contactreturn")
    client.patch(settings_url(entry.campaign_id), {"window": ""}, format="json")
    contact_id = charged_contact(entry)

    response = client.post(return_url(contact_id), {"reason": "fraud"}, format="json")

    assert response.json()["code"] == "returns_closed"


def test_changing_return_settings_needs_the_campaign_change_permission():
    entry = entry_make()

    response = api_client("campaigns.view_campaign").patch(
        settings_url(entry.campaign_id), {"window": ""}, format="json"
    )

    assert response.status_code == 403


def test_source_quality_gives_return_and_conversion_rates_per_source_and_campaign():
    entry = entry_make()
    other = SourceCampaignFactory.create(source=entry.source)
    from tests.factories import CampaignFieldFactory

    CampaignFieldFactory.create(campaign=other.campaign, key="email", type="email")
    contacts = [charged_contact(entry) for _ in range(4)]
    charged_contact(other)
    client = api_client(
        "feedback.add_contactreturn", "feedback.add_conversion", "feedback.view_contactreturn"
    )
    client.post(return_url(contacts[0]), {"reason": "fraud"}, format="json")
    client.post(return_url(contacts[1]), {"reason": "fraud"}, format="json")
    client.post(return_url(contacts[2]), {"reason": "wrong_number"}, format="json")
    client.post(f"/api/v1/contacts/{contacts[3]}/conversion/", {"value": "40"}, format="json")

    per_source = client.get("/api/v1/feedback/source-quality/").json()
    per_pair = client.get("/api/v1/feedback/source-quality/?by=source_campaign").json()
    csv = client.get("/api/v1/feedback/source-quality/export/")

    assert len(per_source) == 1
    row = per_source[0]
    assert (row["accepted"], row["returned"], row["converted"]) == (5, 3, 1)
    assert row["return_rate"] == 0.6 and row["conversion_rate"] == 0.2
    assert row["reasons"] == {"fraud": 2, "wrong_number": 1}
    assert [(r["campaign"], r["return_rate"]) for r in per_pair] == [
        (entry.campaign_id, 0.75),
        (other.campaign_id, 0.0),
    ]
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = csv.getvalue().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("source,source_name,campaign,accepted,returned")
    assert "fraud=2; wrong_number=1" in lines[1]


def test_source_quality_refuses_a_range_that_ends_before_it_starts():
    response = api_client("feedback.view_contactreturn").get(
        "/api/v1/feedback/source-quality/?created_after=2026-01-02T00:00:00Z"
        "&created_before=2026-01-01T00:00:00Z"
    )

    assert response.status_code == 400 and "created_after" in response.json()


def test_the_source_page_shows_the_return_rate_and_reasons():
    from django.contrib.auth.models import User
    from django.test import Client

    entry = entry_make()
    contacts = [charged_contact(entry) for _ in range(4)]
    client_api = api_client("feedback.add_contactreturn")
    client_api.post(return_url(contacts[0]), {"reason": "fraud"}, format="json")
    user = User.objects.create_superuser("boss", "boss@example.com", "pw-12345678")
    client = Client()
    client.force_login(user)

    page = client.get(f"/admin/sources/source/{entry.source_id}/change/").content.decode()
    campaign_page = client.get(f"/admin/campaigns/campaign/{entry.campaign_id}/change/")

    assert 'id="source-returns"' in page
    assert '<td class="return-rate">25 %</td>' in page and "fraud 1" in page
    assert 'id="campaign-returns"' in campaign_page.content.decode()


def test_the_dashboard_lists_sources_by_return_rate():
    from django.contrib.auth.models import User
    from django.test import Client

    entry = entry_make()
    contacts = [charged_contact(entry) for _ in range(2)]
    api_client("feedback.add_contactreturn").post(
        return_url(contacts[0]), {"reason": "fraud"}, format="json"
    )
    client = Client()
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw-1234567"))

    page = client.get("/admin/dashboard/").content.decode()

    assert 'id="dashboard-returns"' in page
    assert '<td class="return-rate">50 %</td>' in page
