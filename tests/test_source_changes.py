"""A source's API changes (campaigns gained or lost, fields edited) are recorded as a diff."""

from __future__ import annotations

import pytest

from campaigns.services import (
    campaign_field_create,
    campaign_field_delete,
    campaign_field_update,
)
from sources.models import NotificationStatus, SourceChange
from sources.services import source_campaign_set
from tests.factories import (
    CampaignFactory,
    CampaignFieldFactory,
    SourceCampaignFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


def texts(change: SourceChange) -> list[str]:
    return [line["text"] for line in change.lines]


def test_it_records_a_new_field_for_every_source_whitelisted_for_the_campaign():
    campaign = CampaignFactory.create(name="Auto")
    first = SourceCampaignFactory.create(campaign=campaign).source
    second = SourceCampaignFactory.create(campaign=campaign).source
    SourceFactory.create()  # not whitelisted: not affected

    campaign_field_create(campaign=campaign, key="zipcode", type="zipcode", required=True)

    changes = SourceChange.objects.order_by("source_id")
    assert [c.source_id for c in changes] == [first.pk, second.pk]
    for change in changes:
        assert texts(change) == [
            f"Campaign {campaign.pk} (Auto): field 'zipcode' added (zipcode; required)."
        ]
        assert change.lines[0]["kind"] == "field_added"


def test_it_records_gaining_and_losing_a_campaign():
    source = SourceFactory.create()
    campaign = CampaignFactory.create(name="Solar")
    CampaignFieldFactory.create(campaign=campaign, key="email", type="email", required=True)

    source_campaign_set(source=source, campaign_id=campaign.pk)
    source_campaign_set(source=source, campaign_id=campaign.pk, is_active=False)

    added, removed = SourceChange.objects.order_by("id")
    assert texts(added) == [
        f"Campaign {campaign.pk} (Solar) added: you may now post into it; required fields: email."
    ]
    assert texts(removed) == [
        f"Campaign {campaign.pk} (Solar) removed: posts into it are now refused."
    ]


def test_it_describes_required_type_and_choice_changes_in_one_record():
    entry = SourceCampaignFactory.create(campaign__name="Home")
    field = CampaignFieldFactory.create(
        campaign=entry.campaign, key="plan", type="select", choices=["basic", "gold"]
    )

    campaign_field_update(field=field, required=True, choices=["basic", "platinum"])

    change = SourceChange.objects.get()
    cid = entry.campaign_id
    assert texts(change) == [
        f"Campaign {cid} (Home): field 'plan' is now required.",
        f"Campaign {cid} (Home): field 'plan' allowed values changed: added 'platinum'; "
        "removed 'gold'.",
    ]
    assert "\n" in change.diff


def test_it_records_a_type_change_and_a_removed_field():
    entry = SourceCampaignFactory.create(campaign__name="Home")
    age = CampaignFieldFactory.create(campaign=entry.campaign, key="age", type="text")
    gone = CampaignFieldFactory.create(campaign=entry.campaign, key="gone", type="text")

    campaign_field_update(field=age, type="number")
    campaign_field_delete(field=gone)

    type_change, removal = SourceChange.objects.order_by("id")
    assert texts(type_change) == [
        f"Campaign {entry.campaign_id} (Home): field 'age' changed type from text to number."
    ]
    assert texts(removal) == [f"Campaign {entry.campaign_id} (Home): field 'gone' removed."]


def test_a_label_or_example_edit_is_not_an_api_change():
    entry = SourceCampaignFactory.create()
    field = CampaignFieldFactory.create(campaign=entry.campaign, key="age", type="number")

    campaign_field_update(field=field, label="Age in years", example="42")

    assert not SourceChange.objects.exists()


def test_an_unpublished_campaign_is_not_part_of_the_api():
    source = SourceFactory.create()
    hidden = CampaignFactory.create(is_published=False)

    source_campaign_set(source=source, campaign_id=hidden.pk)
    campaign_field_create(campaign=hidden, key="age", type="number")

    assert not SourceChange.objects.exists()


def test_without_an_email_or_url_nothing_is_left_to_notify(django_capture_on_commit_callbacks):
    entry = SourceCampaignFactory.create()

    with django_capture_on_commit_callbacks() as callbacks:
        campaign_field_create(campaign=entry.campaign, key="age", type="number")

    change = SourceChange.objects.get()
    assert change.email_status == NotificationStatus.SKIPPED
    assert change.webhook_status == NotificationStatus.SKIPPED
    assert change.next_attempt_at is None
    assert callbacks == []


def test_a_notification_is_enqueued_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    entry = SourceCampaignFactory.create(source__notification_email="partner@example.com")
    enqueued: list[int] = []
    monkeypatch.setattr("sources.tasks.source_change_notify.delay", enqueued.append)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        campaign_field_create(campaign=entry.campaign, key="age", type="number")

    change = SourceChange.objects.get()
    assert len(callbacks) == 1
    assert enqueued == [change.pk]
    assert change.email_status == NotificationStatus.PENDING
    assert change.webhook_status == NotificationStatus.SKIPPED
