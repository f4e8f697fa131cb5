"""The per-process cache of a campaign's field specs never serves a stale field."""

from __future__ import annotations

from typing import Any

import pytest

from campaigns.models import CampaignField
from sources.models import SourceCampaign
from tests.factories import CampaignFieldFactory

pytestmark = pytest.mark.django_db


def test_a_field_made_required_by_a_raw_update_applies_to_the_next_post(
    entry: SourceCampaign, post_contact: Any
) -> None:
    CampaignFieldFactory.create(campaign=entry.campaign, key="age", type="number")
    assert post_contact(entry, {"email": "a@example.com"}).status_code == 200

    # No save(), no updated_at, no signal: only the rows change.
    CampaignField.objects.filter(campaign=entry.campaign, key="age").update(required=True)

    response = post_contact(entry, {"email": "b@example.com"})
    assert response.status_code == 422
    assert "age" in response.data["errors"]


def test_a_new_and_a_deleted_field_apply_to_the_next_post(
    entry: SourceCampaign, post_contact: Any
) -> None:
    assert (
        "favourite"
        in post_contact(entry, {"email": "c@example.com", "favourite": "x"}).data["errors"]
    )  # unknown: dropped with a soft error

    field = CampaignFieldFactory.create(campaign=entry.campaign, key="favourite", type="text")
    ok = post_contact(entry, {"email": "d@example.com", "favourite": "x"})
    assert "favourite" not in (ok.data["errors"] or {})

    field.delete()
    gone = post_contact(entry, {"email": "e@example.com", "favourite": "x"})
    assert "favourite" in gone.data["errors"]
