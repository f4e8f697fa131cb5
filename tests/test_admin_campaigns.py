from __future__ import annotations

import pytest

from sources.models import SourceCampaign
from tests.factories import CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db


def test_the_campaign_page_edits_fields_and_lists_the_sources_feeding_it(marketer_client):
    entry: SourceCampaign = SourceCampaignFactory.create(source__name="Vendor A")
    SourceCampaignFactory(campaign=entry.campaign, source__name="Vendor B", is_active=False)
    CampaignFieldFactory(
        campaign=entry.campaign, key="color", type="select", choices=["red"], example="red"
    )

    response = marketer_client.get(f"/admin/campaigns/campaign/{entry.campaign_id}/change/")

    page = response.content.decode()
    assert response.status_code == 200
    for column in ("type", "required", "choices", "example"):
        assert f'name="fields-0-{column}"' in page
    assert "sources feeding this campaign" in page.lower()
    assert f'href="/admin/sources/source/{entry.source_id}/change/">Vendor A</a>' in page
    assert "Vendor B" in page
    assert f"campaign={entry.campaign_id}" in page and 'data-chart-kind="source"' in page
