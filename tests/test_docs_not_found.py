"""Unknown sources and sources whose documentation is off answer the same 404: nothing leaks."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from tests.factories import SourceCampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden():
    """A source whose documentation is turned off."""
    entry = SourceCampaignFactory.create(source__documentation_enabled=False)
    return entry.source


@pytest.fixture
def staff(client):
    client.force_login(User.objects.create_superuser("admin", password="pw-123456"))
    return client


def test_an_unknown_source_and_a_hidden_one_answer_the_same_404(client, hidden):
    unknown = client.get(f"/source/{hidden.pk + 1000}")
    off = client.get(f"/source/{hidden.pk}")
    junk = client.get("/source/not-a-number")

    assert unknown.status_code == off.status_code == junk.status_code == 404
    assert unknown.content == off.content == junk.content
    assert hidden.name.encode() not in off.content
    assert b'name="token"' not in off.content


def test_hidden_docs_stay_hidden_even_with_the_token(client, hidden):
    login = client.post(f"/source/{hidden.pk}/docs-login", {"token": hidden.token})
    page = client.get(f"/source/{hidden.pk}")
    campaign = hidden.entries.get().campaign_id

    assert login.status_code == page.status_code == 404
    assert client.get(f"/source/{hidden.pk}/campaign/{campaign}").status_code == 404
    assert client.get(
        f"/source/{hidden.pk}/openapi.json", headers={"token": hidden.token}
    ).json() == {"detail": "Not found."}


def test_the_openapi_document_of_an_unknown_source_is_the_same_404(client, hidden):
    off = client.get(f"/source/{hidden.pk}/openapi.json")
    unknown = client.get(f"/source/{hidden.pk + 1000}/openapi.json")

    assert off.status_code == unknown.status_code == 404
    assert off.content == unknown.content


def test_staff_may_preview_hidden_docs(staff, hidden):
    response = staff.get(f"/source/{hidden.pk}")

    assert response.status_code == 200
    assert "Documentation is turned off for this source" in response.content.decode()


def test_a_campaign_the_source_may_not_post_into_is_a_404_once_signed_in(client):
    entry = SourceCampaignFactory.create()
    other = SourceCampaignFactory.create().campaign
    client.post(f"/source/{entry.source_id}/docs-login", {"token": entry.source.token})

    assert client.get(f"/source/{entry.source_id}/campaign/{other.pk}").status_code == 404
    assert client.get(f"/source/{entry.source_id}/campaign/abc").status_code == 404
    assert client.get(f"/source/{entry.source_id}/campaign/{entry.campaign_id}").status_code == 200


def test_other_methods_on_the_docs_url_are_refused(client):
    entry = SourceCampaignFactory.create()

    assert client.post(f"/source/{entry.source_id}").status_code == 405
    assert (
        client.delete(f"/source/{entry.source_id}/campaign/{entry.campaign_id}").status_code == 405
    )
