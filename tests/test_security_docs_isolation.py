"""A partner's docs page never shows another source's data, whatever the partner tries."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from sources.models import Source, SourceCampaign
from tests.factories import CampaignFactory, CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db


@dataclass
class Partner:
    source: Source
    entry: SourceCampaign
    token: str
    secrets: tuple[str, ...]  # strings that only this partner may ever see


def _partner(tag: str, token: str) -> Partner:
    campaign = CampaignFactory(name=f"Campaign {tag} Zebra")
    entry: SourceCampaign = SourceCampaignFactory.create(
        source__name=f"Source {tag} Walrus",
        source__public_description=f"Private notes {tag} Narwhal",
        source__token=token,
        source__verbose_key=f"verbose-{tag}-key",
        campaign=campaign,
    )
    CampaignFieldFactory(campaign=campaign, key=f"secret_{tag.lower()}_field", example=f"ex-{tag}")
    secrets = (
        f"Source {tag} Walrus",
        f"Private notes {tag} Narwhal",
        f"Campaign {tag} Zebra",
        f"secret_{tag.lower()}_field",
        token,
        entry.source.verbose_key,
    )
    return Partner(entry.source, entry, token, secrets)


@pytest.fixture
def partners() -> tuple[Partner, Partner]:
    return _partner("A", "token-of-partner-a-0123456789"), _partner("B", "token-of-partner-b-98765")


def _logged_in(partner: Partner) -> Client:
    client = Client()
    response = client.post(
        f"/source/{partner.source.pk}/docs-login", {"token": partner.token, "next": ""}
    )
    assert response.status_code == 303
    return client


def _assert_none_of(content: bytes, partner: Partner) -> None:
    text = content.decode()
    for secret in partner.secrets:
        assert secret not in text, secret


def test_a_partner_sees_its_own_page(partners: tuple[Partner, Partner]) -> None:
    a, b = partners
    page = _logged_in(a).get(f"/source/{a.source.pk}")
    assert page.status_code == 200
    for secret in a.secrets:
        assert secret in page.content.decode()
    _assert_none_of(page.content, b)


def test_a_partners_cookie_does_not_open_another_sources_page(
    partners: tuple[Partner, Partner],
) -> None:
    a, b = partners
    client = _logged_in(a)
    for url in (f"/source/{b.source.pk}", f"/source/{b.source.pk}/campaign/{b.entry.campaign_id}"):
        response = client.get(url)
        # Refused means B's token form (a page of its own, answered 200), never B's page.
        assert response.status_code == 200, url
        assert response.templates[0].name == "docs/login.html", url
        assert f'action="/source/{b.source.pk}/docs-login"' in response.content.decode(), url
        _assert_none_of(response.content, b)
    response = client.get(f"/source/{b.source.pk}/openapi.json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="source documentation"'
    assert response.json() == {
        "detail": "Send this source's token in the token header, or open its docs page."
    }
    _assert_none_of(response.content, b)


def test_a_cookie_signed_for_one_source_is_worthless_for_another(
    partners: tuple[Partner, Partner],
) -> None:
    a, b = partners
    client = _logged_in(a)
    signed = client.cookies[f"cs_docs_{a.source.pk}"].value
    forged = Client()
    forged.cookies[f"cs_docs_{b.source.pk}"] = signed
    response = forged.get(f"/source/{b.source.pk}")
    _assert_none_of(response.content, b)


def test_another_sources_campaign_is_not_shown_on_a_partners_page(
    partners: tuple[Partner, Partner],
) -> None:
    a, b = partners
    response = _logged_in(a).get(f"/source/{a.source.pk}/campaign/{b.entry.campaign_id}")
    assert response.status_code == 404
    _assert_none_of(response.content, b)


def test_a_token_of_one_source_does_not_log_in_to_another(
    partners: tuple[Partner, Partner],
) -> None:
    a, b = partners
    client = Client()
    response = client.post(f"/source/{b.source.pk}/docs-login", {"token": a.token})
    assert response.status_code == 403
    assert (
        f"cs_docs_{b.source.pk}" not in client.cookies
        or not client.cookies[f"cs_docs_{b.source.pk}"].value
    )
    _assert_none_of(client.get(f"/source/{b.source.pk}").content, b)


def test_openapi_with_another_sources_token_header_is_refused(
    partners: tuple[Partner, Partner],
) -> None:
    a, b = partners
    response = Client().get(f"/source/{b.source.pk}/openapi.json", headers={"token": a.token})
    assert response.status_code == 401
    _assert_none_of(response.content, b)
