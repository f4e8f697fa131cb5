"""Answers with personal data are never stored by caches; admin and docs pages carry a
Content-Security-Policy (tests/browser/test_csp_browser.py shows their scripts pass it)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from subscriptions.services import endpoint_api_key_issue
from tests.api_clients import superuser_client
from tests.factories import CallbackEndpointFactory, CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db


def test_management_api_answers_are_not_stored():
    client = superuser_client()

    for url in ["/api/v1/campaigns/", "/api/v1/sources/", "/api/v1/intake-events/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "no-store", url


def test_person_api_answers_are_not_stored():
    key = endpoint_api_key_issue(endpoint_id=CallbackEndpointFactory.create().pk)

    response = Client().get(
        "/api/v1/persons/external/nobody/", headers={"Authorization": f"Token {key}"}
    )

    assert response["Cache-Control"] == "no-store"


def test_intake_answers_are_not_stored():
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    url = f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact"

    accepted = Client().post(
        url,
        json.dumps({"email": "a@example.com"}),
        content_type="application/json",
        headers={"token": entry.source.token},
    )
    refused = Client().post(url, json.dumps({"email": "a@example.com"}), "application/json")

    assert accepted.status_code == 200
    assert accepted["Cache-Control"] == "no-store"
    assert refused["Cache-Control"] == "no-store"


def test_the_timeline_export_is_not_stored(marketer_client):
    response = marketer_client.get("/admin/ingest/intakeevent/export.csv")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_admin_pages_carry_a_content_security_policy(client):
    client.force_login(User.objects.create_superuser("root", "r@example.com", None))

    for url in ["/admin/login/", "/admin/", "/admin/dashboard/", "/admin/sources/source/"]:
        policy = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in policy, url
        assert "object-src 'none'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-eval" not in policy


def test_docs_pages_carry_a_policy_that_allows_no_script(client):
    entry = SourceCampaignFactory.create()

    for url in [f"/source/{entry.source_id}", f"/source/{entry.source_id}/campaign/1"]:
        response = client.get(url)
        assert "script-src 'none'" in response["Content-Security-Policy"], url
        assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_swagger_ui_and_redoc_keep_working(client, url):
    response = client.get(url)

    assert response.status_code == 200
    # Their inline bootstrap scripts would be blocked by the pages' policy: they have none.
    assert "Content-Security-Policy" not in response
