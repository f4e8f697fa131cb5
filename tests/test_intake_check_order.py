"""Every row of the anchor's check order, with its HTTP code, status and error key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ingest.models import IntakeEvent
from tests.factories import CampaignFactory, SourceCampaignFactory, SourceFactory

pytestmark = pytest.mark.django_db

CONTACT = {"email": "ada@example.com"}


def assert_refused(response, http, key, fragment):
    assert response.status_code == http, response.data
    assert response.data["statusCode"] == http
    assert response.data["success"] is False
    assert response.data["contact"] is None
    assert fragment in response.data["errors"][key]
    assert IntakeEvent.objects.count() == 1
    event = IntakeEvent.objects.get()
    assert event.http_status == http
    assert str(event.request_id) == response.data["id"]
    return event


def test_it_answers_418_to_an_empty_post(entry, post_contact):
    response = post_contact(entry, {})
    event = assert_refused(response, 418, "418", "No fields were posted")
    assert event.status == "invalid"


def test_it_answers_418_when_only_control_fields_are_posted(entry, post_contact):
    response = post_contact(entry, {"token": entry.source.token, "test": ""}, token="")
    assert_refused(response, 418, "418", "No fields were posted")


def test_it_answers_401_without_a_token(entry, post_contact):
    response = post_contact(entry, CONTACT, token="")
    event = assert_refused(response, 401, "token", "was not supplied")
    assert event.source_id is None


def test_it_answers_404_for_an_unknown_source_even_with_a_bad_token(entry, post_contact, client):
    response = client.post(
        "/source/999999/campaign/1/contact",
        CONTACT,
        content_type="application/json",
        headers={"token": "wrong"},
    )
    response.data = response.json()
    event = assert_refused(response, 404, "sourceId", "does not exist")
    assert event.requested_source_id == "999999"
    assert response.data["source"] is None


def test_it_answers_404_for_a_source_id_that_is_not_a_number(client, db):
    response = client.post(
        "/source/abc/campaign/1", CONTACT, content_type="application/json", headers={"token": "t"}
    )
    response.data = response.json()
    assert_refused(response, 404, "sourceId", "does not exist")


def test_it_answers_410_for_an_unpublished_source_before_checking_the_token(entry, post_contact):
    entry.source.is_published = False
    entry.source.save()
    response = post_contact(entry, CONTACT, token="wrong")
    assert_refused(response, 410, "sourceId", "unpublished")


@pytest.mark.parametrize(
    ("up", "down"), [(timedelta(hours=1), None), (None, -timedelta(hours=1))], ids=["early", "late"]
)
def test_it_answers_410_for_a_source_outside_its_publishing_window(entry, post_contact, up, down):
    now = timezone.now()
    entry.source.publish_up = now + up if up else None
    entry.source.publish_down = now + down if down else None
    entry.source.save()
    response = post_contact(entry, CONTACT)
    assert_refused(response, 410, "sourceId", "publishing window")


def test_it_answers_401_for_a_bad_token(entry, post_contact):
    response = post_contact(entry, CONTACT, token="not-the-token")
    event = assert_refused(response, 401, "token", "is invalid")
    assert event.source_id == entry.source_id
    # An unauthenticated caller learns nothing about the source.
    assert response.data["source"] is None


def test_it_answers_410_when_the_campaign_is_not_whitelisted(entry, post_contact, client):
    other = CampaignFactory.create()
    source = entry.source
    response = client.post(
        f"/source/{source.pk}/campaign/{other.pk}/contact",
        CONTACT,
        content_type="application/json",
        headers={"token": source.token},
    )
    response.data = response.json()
    assert_refused(response, 410, "campaignId", "not currently in the permitted list")


def test_it_answers_410_when_the_whitelist_entry_is_inactive(entry, post_contact):
    entry.is_active = False
    entry.save()
    response = post_contact(entry, CONTACT)
    assert_refused(response, 410, "campaignId", "not currently in the permitted list")


def test_it_checks_the_whitelist_before_the_campaign_exists(entry, client):
    source = entry.source
    response = client.post(
        f"/source/{source.pk}/campaign/999999",
        CONTACT,
        content_type="application/json",
        headers={"token": source.token},
    )
    response.data = response.json()
    assert_refused(response, 410, "campaignId", "not currently in the permitted list")


def test_it_answers_410_for_an_unknown_campaign_posted_by_an_internal_source(client, db):
    source = SourceFactory.create(internal=True)
    response = client.post(
        f"/source/{source.pk}/campaign/999999",
        CONTACT,
        content_type="application/json",
        headers={"token": source.token},
    )
    response.data = response.json()
    assert_refused(response, 410, "campaignId", "does not exist")


def test_it_answers_410_for_an_unpublished_campaign(entry, post_contact):
    entry.campaign.is_published = False
    entry.campaign.save()
    response = post_contact(entry, CONTACT)
    assert_refused(response, 410, "campaignId", "unpublished")


def test_it_answers_410_for_a_campaign_outside_its_window(entry, post_contact):
    entry.campaign.publish_down = timezone.now() - timedelta(minutes=1)
    entry.campaign.save()
    response = post_contact(entry, CONTACT)
    assert_refused(response, 410, "campaignId", "publishing window")


def test_an_internal_source_posts_into_any_published_campaign(client, db):
    source = SourceFactory.create(internal=True)
    campaign = CampaignFactory.create()
    response = client.post(
        f"/source/{source.pk}/campaign/{campaign.pk}",
        CONTACT,
        content_type="application/json",
        headers={"token": source.token},
    )
    assert response.status_code == 200
    assert response.json()["success"] is True


def test_an_internal_source_still_respects_the_campaign_publish_state(client, db):
    source = SourceFactory.create(internal=True)
    campaign = CampaignFactory.create(is_published=False)
    response = client.post(
        f"/source/{source.pk}/campaign/{campaign.pk}",
        CONTACT,
        content_type="application/json",
        headers={"token": source.token},
    )
    assert response.status_code == 410
    assert "unpublished" in response.json()["errors"]["campaignId"]


def test_an_internal_source_with_an_entry_uses_its_price(client, db):
    entry = SourceCampaignFactory.create(source=SourceFactory.create(internal=True))
    response = client.post(
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}",
        CONTACT,
        content_type="application/json",
        headers={"token": entry.source.token},
    )
    assert response.status_code == 200
    assert IntakeEvent.objects.get().cost == entry.cost
