"""Whitelist entries over the API: one per source and campaign, priced and rated."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sources.models import SourceCampaign, SourceChange
from tests.api_clients import make_campaign, make_entry, make_source, superuser_client

pytestmark = pytest.mark.django_db


def test_it_whitelists_a_campaign_and_tells_the_source():
    source, campaign = make_source(), make_campaign()
    response = superuser_client().post(
        "/api/v1/whitelist-entries/",
        {
            "source": source.pk,
            "campaign": campaign.pk,
            "cost": "2.25",
            "scrub_rate": 10,
            "duplicate_window": "P7D",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    entry = SourceCampaign.objects.get()
    assert (str(entry.cost), entry.scrub_rate) == ("2.2500", 10)
    assert entry.duplicate_window == timedelta(days=7)
    assert response.data["duplicate_window"] == "P7DT00H00M00S"
    assert SourceChange.objects.filter(source=source).count() == 1


def test_the_same_pair_twice_answers_400():
    entry = make_entry()
    response = superuser_client().post(
        "/api/v1/whitelist-entries/",
        {"source": entry.source_id, "campaign": entry.campaign_id},
        format="json",
    )
    assert response.status_code == 400
    assert SourceCampaign.objects.count() == 1


def test_a_scrub_rate_over_100_answers_400():
    source, campaign = make_source(), make_campaign()
    response = superuser_client().post(
        "/api/v1/whitelist-entries/",
        {"source": source.pk, "campaign": campaign.pk, "scrub_rate": 101},
        format="json",
    )
    assert response.status_code == 400
    assert "scrub_rate" in response.data


def test_an_update_changes_price_but_not_the_pair():
    entry = make_entry()
    other = make_campaign()
    response = superuser_client().patch(
        f"/api/v1/whitelist-entries/{entry.pk}/",
        {"cost": "9.00", "campaign": other.pk, "duplicate_window": None},
        format="json",
    )
    assert response.status_code == 200, response.data
    entry.refresh_from_db()
    assert str(entry.cost) == "9.0000"
    assert entry.campaign_id != other.pk
    assert entry.duplicate_window is None


def test_removing_an_entry_tells_the_source():
    entry = make_entry()
    response = superuser_client().delete(f"/api/v1/whitelist-entries/{entry.pk}/")
    assert response.status_code == 204
    assert not SourceCampaign.objects.exists()
    assert SourceChange.objects.filter(source_id=entry.source_id).count() == 1
