"""A script with only the URL and token reads the docs page; the page says how phones are checked
and its errors table lists only keys that real answers carry (DESIGN §8)."""

from __future__ import annotations

import html
import re

import pytest

from tests.test_docs_page import BASE, two_campaigns  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def public_base(settings):
    settings.PUBLIC_BASE_URL = BASE


def test_a_script_opens_the_page_with_the_token_header(client, two_campaigns):  # noqa: F811
    source, auto, _ = two_campaigns

    response = client.get(f"/source/{source.pk}", headers={"token": source.token})

    assert response.status_code == 200
    page = response.content.decode()
    assert f"campaign id {auto.pk}" in page
    assert source.token in page
    assert 'name="token"' not in page  # not the token form


def test_a_script_opens_the_page_with_a_bearer_token(client, two_campaigns):  # noqa: F811
    source, _, home = two_campaigns

    response = client.get(
        f"/source/{source.pk}/campaign/{home.pk}",
        headers={"Authorization": f"Bearer {source.token}"},
    )

    assert response.status_code == 200
    assert source.token in response.content.decode()


def test_a_wrong_header_token_gets_the_form_with_a_403(client, two_campaigns):  # noqa: F811
    source, _, _ = two_campaigns

    response = client.get(f"/source/{source.pk}", headers={"token": "wrong"})

    assert response.status_code == 403
    assert "not valid for this source" in response.content.decode()


def test_the_page_states_each_campaigns_phone_region_and_how_phones_are_checked(
    client,
    two_campaigns,  # noqa: F811
):
    source, _, home = two_campaigns
    home.phone_region = "GB"
    home.save()

    page = client.get(f"/source/{source.pk}", headers={"token": source.token}).content.decode()

    assert "Phone region: <strong>US</strong>" in page
    assert "Phone region: <strong>GB</strong>" in page
    assert "not whether\nit is in service" in page


def test_the_openapi_document_opens_with_the_token_header_and_types_numbers(
    client,
    two_campaigns,  # noqa: F811
):
    source, auto, _ = two_campaigns

    document = client.get(f"/source/{source.pk}/openapi.json", headers={"token": source.token})

    contact = document.json()["components"]["schemas"][f"Contact{auto.pk}"]
    assert contact["examples"][0]["vehicle_year"] == 2019
    assert contact["properties"]["firstname"]["maxLength"] == 255
    assert contact["properties"]["user_agent"]["maxLength"] == 2000
    schemes = document.json()["components"]["securitySchemes"]
    assert {(s["type"], s.get("in"), s.get("name"), s.get("scheme")) for s in schemes.values()} == {
        ("apiKey", "query", "token", None),
        ("apiKey", "header", "token", None),
        ("apiKey", "header", "X-Auth-Token", None),
        ("http", None, None, "bearer"),
        ("http", None, None, "basic"),
    }


def test_the_errors_table_lists_only_keys_that_real_answers_carry(
    client,
    two_campaigns,  # noqa: F811
    post_contact,
):
    source, auto, _ = two_campaigns
    page = client.get(f"/source/{source.pk}", headers={"token": source.token}).content.decode()
    entry = source.entries.get(campaign=auto)

    answer = post_contact(entry, {"firstname": "Ada"})  # a real 422

    assert answer.status_code == 422
    assert "422" not in answer.data["errors"]
    assert set(answer.data["errors"]) == {"email", "vehicle_year"}
    found = re.findall(r"<td><code>([^<]*)</code></td><td class=\"msg\">", page)
    keys = [html.unescape(key) for key in found]
    assert "422" not in keys
    assert "<field>" in keys
