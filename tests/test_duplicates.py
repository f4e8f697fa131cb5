"""Duplicates: the same normalised identity in the same source and campaign within the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from finance.models import CapCounter, LedgerEntry
from ingest.models import Contact, IntakeEvent
from tests.factories import CampaignFieldFactory, CapFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db

AT = datetime(2024, 1, 10, 20, 0, tzinfo=UTC)


@time_machine.travel(AT, tick=False)
def test_the_same_identity_again_within_the_window_answers_409_and_is_not_charged_or_counted(
    entry, post_contact
):
    cap = CapFactory.create(campaign=entry.campaign, source=entry.source, limit=10)
    assert post_contact(entry, {"email": "Dup@Example.com"}).status_code == 200

    response = post_contact(entry, {"email": "Dup@example.COM"})

    assert response.status_code == 409
    assert response.data["status"] == "duplicate"
    assert response.data["success"] is False
    assert response.data["errors"] == {
        "409": "Rejecting duplicate contact: the same email was already posted to this "
        "campaign by this source on 2024-01-10, within the last 30 days."
    }
    assert Contact.objects.count() == 1
    assert LedgerEntry.objects.count() == 2
    assert CapCounter.objects.get(cap=cap).used == 1
    event = IntakeEvent.objects.get(status="duplicate")
    assert (event.http_status, event.cost, event.contact_id) == (409, None, None)


def test_a_phone_in_another_format_is_the_same_identity(post_contact):
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="phone", type="tel")
    assert post_contact(entry, {"phone": "(727) 287-0426"}).status_code == 200
    assert post_contact(entry, {"phone": "+1 727 287 0426"}).status_code == 409


def test_after_the_window_the_identity_is_accepted_again(entry, post_contact):
    entry.duplicate_window = timedelta(hours=1)
    entry.save()
    with time_machine.travel(AT, tick=False):
        post_contact(entry, {"email": "d@example.com"})
        assert post_contact(entry, {"email": "d@example.com"}).status_code == 409
    with time_machine.travel(AT + timedelta(hours=1, seconds=1), tick=False):
        assert post_contact(entry, {"email": "d@example.com"}).status_code == 200


def test_an_empty_window_turns_the_check_off(entry, post_contact):
    entry.duplicate_window = None
    entry.save()
    assert post_contact(entry, {"email": "d@example.com"}).status_code == 200
    assert post_contact(entry, {"email": "d@example.com"}).status_code == 200


def test_another_source_or_campaign_is_not_a_duplicate(entry, post_contact):
    same_campaign = SourceCampaignFactory.create(campaign=entry.campaign)
    other_campaign = SourceCampaignFactory.create(source=entry.source)
    CampaignFieldFactory.create(campaign=other_campaign.campaign, key="email", type="email")
    for target in (entry, same_campaign, other_campaign):
        assert post_contact(target, {"email": "d@example.com"}).status_code == 200


def test_a_scrubbed_contact_makes_its_identity_a_duplicate_too(entry, post_contact):
    entry.scrub_rate = 100
    entry.save()
    assert post_contact(entry, {"email": "d@example.com"}).data["status"] == "rejected"
    assert post_contact(entry, {"email": "d@example.com"}).status_code == 409
