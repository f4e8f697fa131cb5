"""The per-source document and the server agree at each field's edges: a text at the document's
maxLength is kept and one character more is not; a choice in any letter case matches the
document's pattern and is kept, as written in the campaign; a number is a JSON number.

Schemathesis (tests/test_schemathesis_source_doc.py) drives random requests through the same
document; this test walks every boundary the document states, so a maxLength of 2,000 where the
intake keeps 255, or an enum that leaves out the case rule, fails here on every run.
"""

from __future__ import annotations

import re

import pytest

from tests.factories import CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry():
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email", required=True)
    CampaignFieldFactory.create(
        campaign=entry.campaign, key="metal", type="select", choices=["metal", "Glass"]
    )
    CampaignFieldFactory.create(campaign=entry.campaign, key="age", type="number")
    return entry


def contact_schema(client, entry) -> dict:
    document = client.get(
        f"/source/{entry.source_id}/openapi.json", headers={"token": entry.source.token}
    ).json()
    return document["components"]["schemas"][f"Contact{entry.campaign_id}"]


def stored(post_contact, entry, key, value) -> tuple[bool, dict]:
    """Whether the intake kept `key` (verbose answers show the stored fields)."""
    entry.source.verbose_key = "debug"
    entry.source.save()
    body = {"email": "ada@example.com", key: value}
    response = post_contact(entry, body, verbose="debug", **{"X-Test": "1"})
    assert response.status_code == 200, response.data
    return key in response.data["fields"], response.data["fields"]


def test_every_text_fields_max_length_is_the_one_the_server_keeps(client, entry, post_contact):
    properties = contact_schema(client, entry)["properties"]
    texts = {k: p for k, p in properties.items() if p["x-field-type"] == "text"}
    assert texts["firstname"]["maxLength"] == 255

    for key, schema in texts.items():
        limit = schema["maxLength"]
        assert stored(post_contact, entry, key, "x" * limit)[0], key
        assert not stored(post_contact, entry, key, "x" * (limit + 1))[0], key


def test_a_choice_in_any_case_matches_the_document_and_the_server(client, entry, post_contact):
    metal = contact_schema(client, entry)["properties"]["metal"]
    enum, pattern = metal["anyOf"][0]["enum"], metal["anyOf"][1]["pattern"]
    assert enum == ["metal", "Glass"]

    for sent, kept in [("Metal", "metal"), ("METAL", "metal"), ("glass", "Glass")]:
        assert re.search(pattern, sent), sent
        assert stored(post_contact, entry, "metal", sent)[1]["metal"] == kept
    assert not re.search(pattern, "metals")
    assert not stored(post_contact, entry, "metal", "metals")[0]


def test_number_fields_are_typed_as_numbers_and_their_examples_are_numbers(client, entry):
    schema = contact_schema(client, entry)
    age = schema["properties"]["age"]

    assert age["anyOf"][0]["type"] == "number"
    assert isinstance(schema["examples"][0]["age"], int)
