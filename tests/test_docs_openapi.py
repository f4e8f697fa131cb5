"""Each source has its own OpenAPI 3.1 document: valid, complete, and token-gated like the page."""

from __future__ import annotations

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from campaigns.services import campaign_field_create
from tests.factories import CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(settings):
    settings.PUBLIC_BASE_URL = "https://leads.example.com"
    auto = SourceCampaignFactory.create(campaign__name="Auto")
    CampaignFieldFactory.create(campaign=auto.campaign, key="email", type="email", required=True)
    CampaignFieldFactory.create(
        campaign=auto.campaign, key="plan", type="select", choices=["basic", "gold"]
    )
    home = SourceCampaignFactory.create(source=auto.source, campaign__name="Home")
    CampaignFieldFactory.create(
        campaign=home.campaign, key="colours", type="multiselect", choices=["red", "blue"]
    )
    CampaignFieldFactory.create(campaign=home.campaign, key="phone", type="tel", required=True)
    SourceCampaignFactory.create(campaign=home.campaign)  # another source: not in this document
    return auto.source


def fetch(client, source, **headers):
    return client.get(f"/source/{source.pk}/openapi.json", headers=headers)


def test_it_is_a_valid_openapi_3_1_document(client, source):
    document = fetch(client, source, token=source.token).json()

    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)  # raises on any violation


def test_it_describes_this_sources_campaigns_fields_and_required_ones(client, source):
    document = fetch(client, source, token=source.token).json()

    entries = {e.campaign.name: e.campaign_id for e in source.entries.select_related("campaign")}
    auto, home = entries["Auto"], entries["Home"]
    assert document["servers"] == [{"url": "https://leads.example.com"}]
    assert set(document["paths"]) == {
        f"/source/{source.pk}/campaign/{auto}/contact",
        f"/source/{source.pk}/campaign/{auto}/contacts",
        f"/source/{source.pk}/campaign/{home}/contact",
        f"/source/{source.pk}/campaign/{home}/contacts",
    }
    schemas = document["components"]["schemas"]
    assert schemas[f"Contact{auto}"]["required"] == ["email"]
    plan = schemas[f"Contact{auto}"]["properties"]["plan"]
    assert plan["anyOf"][0]["enum"] == ["basic", "gold"]
    assert plan["anyOf"][1]["pattern"] == "^(?:[bB][aA][sS][iI][cC]|[gG][oO][lL][dD])$"
    assert schemas[f"Contact{home}"]["required"] == ["phone"]
    assert "firstname" in schemas[f"Contact{home}"]["properties"]
    responses = document["paths"][f"/source/{source.pk}/campaign/{auto}/contact"]["post"][
        "responses"
    ]
    assert {"200", "401", "404", "409", "410", "422", "429"} <= set(responses)
    assert "The token specified is invalid." in responses["401"]["description"]


def test_its_version_moves_with_each_api_change(client, source):
    before = fetch(client, source, token=source.token).json()["info"]["version"]

    campaign_field_create(campaign=source.entries.first().campaign, key="age", type="number")

    after = fetch(client, source, token=source.token).json()
    assert after["info"]["version"] != before
    validate(after, cls=OpenAPIV31SpecValidator)


def test_it_needs_the_token_or_the_docs_cookie(client, source):
    assert fetch(client, source).status_code == 401
    assert fetch(client, source, token="wrong").status_code == 401
    assert fetch(client, source, Authorization=f"Bearer {source.token}").status_code == 200

    client.post(f"/source/{source.pk}/docs-login", {"token": source.token})

    assert fetch(client, source).status_code == 200


def test_the_documents_not_blank_pattern_trims_exactly_what_the_intake_trims():
    # A JSON Schema pattern is an ECMA-262 regex, whose `\s` is not Python's: the pattern names
    # each character instead, and must say "blank" for exactly the values the intake empties
    # (a value of only U+0085 was valid by the document and refused by the intake).
    import re

    from ingest.parsing import clean_text
    from partnerdocs.openapi import _NOT_BLANK

    assert "\\s" not in _NOT_BLANK
    pattern = re.compile(_NOT_BLANK)
    for code in [*range(0x3100), 0xFEFF]:
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue  # lone surrogates: the body's JSON cannot carry them
        blank = pattern.search(char) is None
        assert blank == (clean_text(char) == ""), hex(code)
