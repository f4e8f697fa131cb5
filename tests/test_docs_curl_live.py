"""The curl examples on the docs page, pasted into a shell, are accepted by the running server."""

from __future__ import annotations

import html
import json
import re
import shlex
import subprocess

import pytest

from ingest.models import Contact
from sources.models import Source
from tests.factories import CampaignFieldFactory, SourceCampaignFactory


@pytest.fixture
def source(transactional_db, live_server, settings) -> Source:
    """A source with two campaigns, each with its own required fields."""
    settings.PUBLIC_BASE_URL = live_server.url
    # Duplicates off: the two examples of a campaign post the same person.
    first = SourceCampaignFactory.create(duplicate_window=None)
    source, auto = first.source, first.campaign
    CampaignFieldFactory.create(campaign=auto, key="phone", type="tel", required=True)
    CampaignFieldFactory.create(campaign=auto, key="vehicle_year", type="number", required=True)
    CampaignFieldFactory.create(
        campaign=auto, key="plan", type="select", choices=["basic", "gold"], required=True
    )
    CampaignFieldFactory.create(campaign=auto, key="zipcode", type="zipcode")
    CampaignFieldFactory.create(campaign=auto, key="homeowner", type="boolean")
    home = SourceCampaignFactory.create(source=source, duplicate_window=None).campaign
    CampaignFieldFactory.create(campaign=home, key="born", type="date", required=True)
    CampaignFieldFactory.create(
        campaign=home, key="rooms", type="multiselect", choices=["attic", "basement"]
    )
    return source


def example(page: str, campaign_id: int, key: str) -> list[str]:
    match = re.search(rf'<code id="example-{campaign_id}-{key}">(.*?)</code>', page, re.S)
    assert match
    return shlex.split(html.unescape(match.group(1)).replace("\\\n", " "))


@pytest.mark.parametrize("key", ["curl-json", "curl-form"])
def test_the_pages_curl_examples_are_accepted_by_the_live_server(client, source, key):
    client.post(f"/source/{source.pk}/docs-login", {"token": source.token})
    page = client.get(f"/source/{source.pk}").content.decode()
    auto, home = (e.campaign for e in source.entries.order_by("campaign__name"))
    custom = {
        auto.pk: {"vehicle_year": 42, "plan": "basic", "homeowner": True},
        home.pk: {"born": "2010-03-15", "rooms": ["attic"]},
    }

    for campaign in (auto, home):
        command = example(page, campaign.pk, key)
        assert command[0] == "curl"
        result = subprocess.run([*command, "--max-time", "20"], capture_output=True, timeout=30)

        body = json.loads(result.stdout)
        assert body["success"] is True, body
        assert body["status"] == "accepted"
        assert body["errors"] is None
        assert body["campaign"]["id"] == campaign.pk
        contact = Contact.objects.get(pk=body["contact"]["id"])
        assert contact.email == "greg.scott@example.com"
        assert contact.custom == custom[campaign.pk]
