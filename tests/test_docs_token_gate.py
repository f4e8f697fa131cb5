"""Only a valid token (kept in a signed per-source cookie) or a staff login opens the docs page."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from sources.models import Source
from sources.services import source_rotate_token
from tests.factories import CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db

SECRET_FIELD = "secret_field_name"


@pytest.fixture
def source() -> Source:
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key=SECRET_FIELD, required=True)
    return entry.source


def page(client: Client, source: Source) -> str:
    response = client.get(f"/source/{source.pk}")
    assert response.status_code == 200
    return response.content.decode()


def sign_in(client: Client, source: Source, token: str, next_url: str = ""):
    return client.post(
        f"/source/{source.pk}/docs-login",
        {"token": token, "next": next_url or f"/source/{source.pk}"},
    )


def test_without_a_token_only_the_token_form_shows(client, source):
    html = page(client, source)

    assert 'name="token"' in html
    assert SECRET_FIELD not in html
    assert source.name not in html
    assert source.token not in html


def test_a_valid_token_is_kept_in_a_signed_cookie_for_that_source_only(client, source):
    response = sign_in(client, source, source.token)

    assert response.status_code == 303
    assert response["Location"] == f"/source/{source.pk}"
    cookie = response.cookies[f"cs_docs_{source.pk}"]
    assert cookie["path"] == f"/source/{source.pk}"
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    html = page(client, source)
    assert SECRET_FIELD in html
    assert f"<code>{source.token}</code>" in html


def test_a_wrong_token_shows_the_form_again_and_sets_no_cookie(client, source):
    response = sign_in(client, source, "not-the-token")

    assert response.status_code == 403
    assert "This token is not valid for this source." in response.content.decode()
    assert f"cs_docs_{source.pk}" not in response.cookies
    assert SECRET_FIELD not in page(client, source)


def test_a_cookie_signed_for_one_source_does_not_open_another(client, source):
    other = SourceCampaignFactory.create(source__token=source.token).source
    value = sign_in(client, source, source.token).cookies[f"cs_docs_{source.pk}"].value

    client.cookies[f"cs_docs_{other.pk}"] = value

    assert 'name="token"' in page(client, other)


def test_a_tampered_cookie_is_ignored(client, source):
    client.cookies[f"cs_docs_{source.pk}"] = f"{source.token}:forged-signature"

    assert SECRET_FIELD not in page(client, source)


def test_rotating_the_token_locks_the_cookie_out(client, source):
    sign_in(client, source, source.token)
    assert SECRET_FIELD in page(client, source)

    source_rotate_token(source=source, grace_seconds=0)

    assert SECRET_FIELD not in page(client, source)


def test_staff_with_access_see_the_page_with_a_token_placeholder(client, source):
    user = User.objects.create_user("marketer", password="pw-123456", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_source"))
    client.force_login(user)

    html = page(client, source)

    assert SECRET_FIELD in html
    assert "<code>YOUR_TOKEN</code>" in html
    assert "token: YOUR_TOKEN" in html


def test_a_logged_in_user_without_access_gets_the_form(client, source):
    client.force_login(User.objects.create_user("clerk", password="pw-123456", is_staff=True))

    assert SECRET_FIELD not in page(client, source)


def test_the_token_form_is_csrf_protected(source):
    client = Client(enforce_csrf_checks=True)

    response = sign_in(client, source, source.token)

    assert response.status_code == 403
    assert f"cs_docs_{source.pk}" not in response.cookies


def test_it_only_redirects_back_to_the_sources_own_pages(client, source):
    response = sign_in(client, source, source.token, next_url="https://evil.example.com/")

    assert response["Location"] == f"/source/{source.pk}"
    campaign_page = f"/source/{source.pk}/campaign/{source.entries.get().campaign_id}"
    assert sign_in(client, source, source.token, campaign_page)["Location"] == campaign_page


def test_forgetting_the_token_closes_the_page(client, source):
    sign_in(client, source, source.token)

    response = client.post(
        f"/source/{source.pk}/docs-login", {"forget": "1", "next": f"/source/{source.pk}"}
    )

    assert response.status_code == 303
    assert response.cookies[f"cs_docs_{source.pk}"].value == ""
    assert SECRET_FIELD not in page(client, source)


def test_the_token_never_reaches_the_logs(client, source, caplog):
    caplog.set_level(logging.DEBUG)

    sign_in(client, source, source.token)
    page(client, source)
    sign_in(client, source, source.token + "x")

    assert source.token not in caplog.text
