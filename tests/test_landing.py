"""`/` and `/api/v1/` lead somewhere useful instead of a 404."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_root_links_to_the_admin_the_api_and_health(client):
    response = client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    for href in ('href="/admin/"', 'href="/api/v1/"', 'href="/api/docs/"', 'href="/health/"'):
        assert href in page


def test_the_api_root_lists_the_collections_and_the_schema(admin_client):
    response = admin_client.get("/api/v1/")

    assert response.status_code == 200
    body = response.json()
    assert body["collections"]["source"] == "http://testserver/api/v1/sources/"
    assert body["schema"] == "http://testserver/api/schema/"
    assert admin_client.get(body["collections"]["campaign"]).status_code == 200


def test_the_api_root_answers_an_anonymous_client_in_json_not_a_404(client):
    response = client.get("/api/v1/")

    assert response.status_code in (401, 403)
    assert "credentials" in response.json()["detail"]
