"""Campaigns and their fields over the API: CRUD through the services, validation as 400."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from campaigns.models import Campaign, CampaignField
from sources.models import SourceChange
from tests.api_clients import make_campaign, make_entry, superuser_client, token_of

pytestmark = pytest.mark.django_db


def test_it_creates_lists_and_updates_campaigns():
    api = superuser_client()
    created = api.post(
        "/api/v1/campaigns/",
        {"name": "Solar", "revenue": "7.50", "timezone": "America/Chicago"},
        format="json",
    )
    assert created.status_code == 201, created.data
    campaign = Campaign.objects.get(pk=created.data["id"])
    assert str(campaign.revenue) == "7.5000"

    patched = api.patch(f"/api/v1/campaigns/{campaign.pk}/", {"name": "Solar 2"}, format="json")
    assert patched.status_code == 200
    assert patched.data["name"] == "Solar 2"
    listed = api.get("/api/v1/campaigns/?name=solar")
    assert [c["id"] for c in listed.data["results"]] == [campaign.pk]


def test_it_refuses_an_unknown_timezone_with_400():
    response = superuser_client().post(
        "/api/v1/campaigns/", {"name": "X", "timezone": "Mars/Olympus"}, format="json"
    )
    assert response.status_code == 400
    assert "timezone" in response.data


def test_a_required_field_added_over_the_api_percolates_to_the_intake():
    entry = make_entry()
    api = superuser_client()
    response = api.post(
        "/api/v1/campaign-fields/",
        {"campaign": entry.campaign_id, "key": "zipcode", "type": "zipcode", "required": True},
        format="json",
    )
    assert response.status_code == 201, response.data

    intake = Client().post(
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
        json.dumps({"email": "z@example.com"}),
        content_type="application/json",
        headers={"token": token_of(entry.source)},
    )
    assert intake.status_code == 422
    assert "zipcode" in intake.json()["errors"]
    # The source's API changed: it gets a changelog entry (and its notification).
    assert SourceChange.objects.filter(source=entry.source).exists()


def test_a_select_field_needs_choices():
    campaign = make_campaign()
    response = superuser_client().post(
        "/api/v1/campaign-fields/",
        {"campaign": campaign.pk, "key": "plan", "type": "select"},
        format="json",
    )
    assert response.status_code == 400
    assert "choices" in response.data


def test_a_field_stays_with_its_campaign_on_update():
    campaign, other = make_campaign(), make_campaign()
    field = CampaignField.objects.create(campaign=campaign, key="plan", label="Plan")
    response = superuser_client().patch(
        f"/api/v1/campaign-fields/{field.pk}/",
        {"campaign": other.pk, "label": "Your plan"},
        format="json",
    )
    assert response.status_code == 200
    field.refresh_from_db()
    assert (field.campaign_id, field.label) == (campaign.pk, "Your plan")


def test_fields_filter_by_campaign():
    campaign, other = make_campaign(), make_campaign()
    CampaignField.objects.create(campaign=campaign, key="a")
    CampaignField.objects.create(campaign=other, key="b")
    response = superuser_client().get(f"/api/v1/campaign-fields/?campaign={campaign.pk}")
    assert [f["key"] for f in response.data["results"]] == ["a"]


def test_deleting_a_campaign_with_contacts_answers_409():
    entry = make_entry()
    Client().post(
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
        json.dumps({"email": "k@example.com"}),
        content_type="application/json",
        headers={"token": token_of(entry.source)},
    )
    response = superuser_client().delete(f"/api/v1/campaigns/{entry.campaign_id}/")
    assert response.status_code == 409
    assert Campaign.objects.filter(pk=entry.campaign_id).exists()
