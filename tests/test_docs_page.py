"""The partner docs page lists the source's campaigns, fields, examples, errors and changelog."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from campaigns.services import campaign_field_create
from ingest import errors
from partnerdocs.content import refusal_message
from partnerdocs.examples import curl_form, curl_json
from tests.factories import CampaignFactory, CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db

BASE = "https://leads.example.com"


@pytest.fixture(autouse=True)
def public_base(settings):
    settings.PUBLIC_BASE_URL = BASE


@pytest.fixture
def two_campaigns():
    """A source whitelisted for two published campaigns, each with a required field."""
    auto = SourceCampaignFactory.create(campaign__name="Auto insurance")
    source = auto.source
    CampaignFieldFactory.create(campaign=auto.campaign, key="email", type="email", required=True)
    CampaignFieldFactory.create(
        campaign=auto.campaign,
        key="vehicle_year",
        label="Vehicle year",
        type="number",
        required=True,
        example="2019",
    )
    home = SourceCampaignFactory.create(source=source, campaign__name="Home solar")
    CampaignFieldFactory.create(campaign=home.campaign, key="phone", type="tel", required=True)
    CampaignFieldFactory.create(
        campaign=home.campaign,
        key="roof",
        label="Roof type",
        type="select",
        choices=["tile", "metal"],
    )
    return source, auto.campaign, home.campaign


def sign_in(client: Client, source, token: str | None = None):
    return client.post(
        f"/source/{source.pk}/docs-login",
        {"token": token or source.token, "next": f"/source/{source.pk}"},
    )


def example(page: str, campaign_id: int, key: str) -> str:
    match = re.search(rf'<code id="example-{campaign_id}-{key}">(.*?)</code>', page, re.S)
    assert match, f"no {key} example for campaign {campaign_id}"
    return html.unescape(match.group(1))


def test_it_lists_every_campaign_with_its_fields_and_required_ones(client, two_campaigns):
    source, auto, home = two_campaigns
    sign_in(client, source)

    response = client.get(f"/source/{source.pk}")

    assert response.status_code == 200
    page = response.content.decode()
    assert f"API documentation for {source.name}" in page
    for campaign in (auto, home):
        assert f'id="campaign-{campaign.pk}"' in page
        assert f"{BASE}/source/{source.pk}/campaign/{campaign.pk}/contact" in page
    assert "<code>vehicle_year</code>" in page
    assert "Vehicle year" in page
    assert "<code>roof</code>" in page
    assert "tile, metal" in page
    section = page[page.index(f'id="campaign-{home.pk}"') :]
    assert "Required fields:\n<code>phone</code>." in section
    assert page.count('<span class="req">required</span>') == 3


def test_its_examples_carry_the_real_url_ids_and_token(client, two_campaigns):
    source, auto, _ = two_campaigns
    sign_in(client, source)

    page = client.get(f"/source/{source.pk}").content.decode()

    url = f"{BASE}/source/{source.pk}/campaign/{auto.pk}/contact"
    payload = {
        "firstname": "Greg",
        "lastname": "Scott",
        "email": "greg.scott@example.com",
        "vehicle_year": "2019",
    }
    # JSON examples send a number field as a JSON number; the form example sends its text.
    as_json = {**payload, "vehicle_year": 2019}
    assert example(page, auto.pk, "curl-json") == curl_json(url, source.token, as_json)
    assert example(page, auto.pk, "curl-form") == curl_form(url, source.token, payload)
    for key in ("python", "php", "javascript"):
        code = html.unescape(example(page, auto.pk, key))
        assert url in code
        assert source.token in code
        assert "vehicle_year" in code
        assert '"vehicle_year": 2019' in code or "'vehicle_year' => 2019" in code


def test_it_lists_every_refusal_message_from_the_catalogue(client, two_campaigns):
    source, _, _ = two_campaigns
    sign_in(client, source)

    page = html.unescape(client.get(f"/source/{source.pk}").content.decode())

    for refusal in errors.ALL_REFUSALS:
        assert refusal_message(refusal) in page
    assert "Cap exceeded: <the limit that was reached>." in page


def test_it_explains_responses_test_mode_idempotency_and_batches(client, two_campaigns):
    source, auto, _ = two_campaigns
    sign_in(client, source)

    page = html.unescape(client.get(f"/source/{source.pk}").content.decode())

    for text in ("X-Test: 1", "Idempotency-Key", '{"contacts": [', "Retry-After"):
        assert text in page
    assert f"{BASE}/source/{source.pk}/campaign/{auto.pk}/contacts" in page
    assert '"status": "accepted"' in page
    assert '"status": "duplicate"' in page
    assert "Vehicle year is required." in page  # the real 422 message for this campaign


def test_the_campaign_page_shows_that_campaign_only(client, two_campaigns):
    source, auto, home = two_campaigns
    sign_in(client, source)

    response = client.get(f"/source/{source.pk}/campaign/{home.pk}")

    page = response.content.decode()
    assert response.status_code == 200
    assert f"(campaign: {home.name})" in page
    assert f'id="campaign-{home.pk}"' in page
    assert f'id="campaign-{auto.pk}"' not in page
    assert f'href="{BASE}/source/{source.pk}/campaign/{auto.pk}"' in page  # still listed


def test_it_leaves_out_inactive_entries_and_unpublished_campaigns(client, two_campaigns):
    source, _, _ = two_campaigns
    hidden = SourceCampaignFactory.create(source=source, campaign__is_published=False).campaign
    paused = SourceCampaignFactory.create(source=source, is_active=False).campaign
    other = CampaignFactory.create()
    sign_in(client, source)

    page = client.get(f"/source/{source.pk}").content.decode()

    for campaign in (hidden, paused, other):
        assert campaign.name not in page
    assert client.get(f"/source/{source.pk}/campaign/{hidden.pk}").status_code == 404


def test_it_is_not_indexed_nor_cached_and_uses_no_javascript(client, two_campaigns):
    source, _, _ = two_campaigns
    sign_in(client, source)

    response = client.get(f"/source/{source.pk}")

    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Cache-Control"] == "private, no-store"
    assert "<script" not in response.content.decode()


def test_it_shows_the_changelog_and_how_to_verify_webhooks(client, two_campaigns):
    source, auto, _ = two_campaigns
    source.notification_url = "https://partner.example.com/hooks"
    source.save()
    campaign_field_create(campaign=auto, key="zipcode", type="zipcode", required=True)
    sign_in(client, source)

    page = client.get(f"/source/{source.pk}").content.decode()

    assert f"Campaign {auto.pk} (Auto insurance): field &#x27;zipcode&#x27; added" in page
    assert source.notification_secret in page
