"""The docs page's session: the cookie holds a random reference, never the token; the server's
record cannot give the token either; it ends after DOCS_SESSION_SECONDS, on "forget", and on a
token rotation past its grace period. Wrong tokens in the form are throttled."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from sources.models import Source
from sources.services import source_rotate_token
from tests.factories import CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db

SECRET_FIELD = "secret_field_name"


@pytest.fixture(autouse=True)
def _long_window(settings: Any) -> None:
    # Failure counts use fixed windows: a day-long one, entered well before its end.
    settings.AUTH_FAILURE_WINDOW_SECONDS = 86400
    left = 86400 - time.time() % 86400
    if left < 120:
        time.sleep(left + 0.1)


@pytest.fixture
def source() -> Source:
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key=SECRET_FIELD, required=True)
    return entry.source


def sign_in(client: Client, source: Source, token: str, **extra: Any) -> Any:
    return client.post(
        f"/source/{source.pk}/docs-login",
        {"token": token, "next": f"/source/{source.pk}"},
        **extra,
    )


def opens(client: Client, source: Source) -> bool:
    return SECRET_FIELD in client.get(f"/source/{source.pk}").content.decode()


def _variants(token: str) -> list[str]:
    raw = token.encode()
    return [
        token,
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        base64.b64encode(raw).decode().rstrip("="),
        raw.hex(),
    ]


def test_the_cookie_holds_a_random_reference_not_the_token(client, source):
    token = source.token
    cookie = sign_in(client, source, token).cookies[f"cs_docs_{source.pk}"]

    for variant in _variants(token):
        assert variant not in cookie.value
    assert ":" not in cookie.value  # not Django's signed "value:signature" either
    assert len(cookie.value) >= 40
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == f"/source/{source.pk}"
    assert int(cookie["max-age"]) == 8 * 3600
    assert opens(client, source)


def test_the_server_record_does_not_hold_the_token_either(client, source):
    token = source.token
    from partnerdocs.access import _session_key

    reference = sign_in(client, source, token).cookies[f"cs_docs_{source.pk}"].value

    record = cache.get(_session_key(reference))

    assert record["source"] == source.pk
    for variant in _variants(token):
        assert variant not in repr(record)
    # The page still shows the partner its token (the examples need it).
    assert f"<code>{token}</code>" in client.get(f"/source/{source.pk}").content.decode()


def test_the_cookie_is_secure_when_the_request_is(client, source):
    response = sign_in(client, source, source.token, secure=True)

    assert response.cookies[f"cs_docs_{source.pk}"]["secure"] is True


def test_two_sign_ins_get_two_different_references(source):
    first = sign_in(Client(), source, source.token).cookies[f"cs_docs_{source.pk}"].value
    second = sign_in(Client(), source, source.token).cookies[f"cs_docs_{source.pk}"].value

    assert first != second


def test_a_made_up_reference_opens_nothing(client, source):
    client.cookies[f"cs_docs_{source.pk}"] = "A" * 43

    assert not opens(client, source)


def test_the_session_ends_after_its_lifetime(client, source, settings):
    settings.DOCS_SESSION_SECONDS = 1
    sign_in(client, source, source.token)
    assert opens(client, source)

    time.sleep(1.6)

    assert not opens(client, source)


def test_forgetting_ends_the_session_on_the_server_too(client, source):
    reference = sign_in(client, source, source.token).cookies[f"cs_docs_{source.pk}"].value
    client.post(f"/source/{source.pk}/docs-login", {"forget": "1"})
    copied = Client()
    copied.cookies[f"cs_docs_{source.pk}"] = reference

    assert not opens(copied, source)


def test_a_rotated_token_keeps_the_session_only_for_its_grace_period(client, source):
    sign_in(client, source, source.token)

    source_rotate_token(source=source, grace_seconds=3600)
    assert opens(client, source)

    source_rotate_token(source=source, grace_seconds=0)
    assert not opens(client, source)


# --- The token form's throttle ---------------------------------------------------------------


def test_after_too_many_wrong_tokens_an_address_gets_a_429_page(client, source, settings):
    settings.AUTH_FAILURE_LIMIT_PER_ADDRESS = 3

    codes = [sign_in(client, source, "wrong").status_code for _ in range(3)]
    refused = sign_in(client, source, "wrong")
    right_token = sign_in(client, source, source.token)

    assert codes == [403, 403, 403]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 86400
    assert "Too many wrong tokens were tried from your address" in refused.content.decode()
    assert 'name="token"' in refused.content.decode()
    # The address is refused before its token is compared.
    assert right_token.status_code == 429
    assert f"cs_docs_{source.pk}" not in right_token.cookies


def test_another_address_still_signs_in(source, settings):
    settings.AUTH_FAILURE_LIMIT_PER_ADDRESS = 2
    for _ in range(3):
        sign_in(Client(), source, "wrong", REMOTE_ADDR="203.0.113.7")

    response = sign_in(Client(), source, source.token, REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 303


def test_a_flooded_source_refuses_wrong_tokens_but_lets_its_partner_in(source, settings):
    settings.AUTH_FAILURE_LIMIT_PER_SOURCE = 3

    codes = [
        sign_in(Client(), source, "wrong", REMOTE_ADDR=f"192.0.2.{i}").status_code
        for i in range(1, 5)
    ]
    partner = sign_in(Client(), source, source.token, REMOTE_ADDR="192.0.2.99")

    assert codes == [403, 403, 403, 429]
    assert partner.status_code == 303


# --- Wrong tokens in a header: openapi.json and returns.csv count as the page does ------------


@pytest.mark.parametrize("document", ["openapi.json", "returns.csv"])
def test_wrong_header_tokens_on_a_document_get_429_with_retry_after(
    client, source, settings, document
):
    settings.AUTH_FAILURE_LIMIT_PER_ADDRESS = 3
    url = f"/source/{source.pk}/{document}"

    codes = [client.get(url, headers={"token": "wrong"}).status_code for _ in range(3)]
    refused = client.get(url, headers={"token": "wrong"})
    right_token = client.get(url, headers={"token": source.token})
    other_client = Client().get(url, headers={"token": source.token}, REMOTE_ADDR="198.51.100.7")

    assert codes == [401, 401, 401]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 86400
    assert "Too many wrong tokens" in refused.content.decode()
    assert right_token.status_code == 429  # the address is refused before its token is compared
    assert other_client.status_code == 200


def test_the_page_and_openapi_json_share_one_count(client, source, settings):
    settings.AUTH_FAILURE_LIMIT_PER_ADDRESS = 3
    page = f"/source/{source.pk}"
    document = f"/source/{source.pk}/openapi.json"

    codes = [
        client.get(page, headers={"token": "wrong"}).status_code,
        sign_in(client, source, "wrong").status_code,
        client.get(document, headers={"token": "wrong"}).status_code,
        client.get(document, headers={"token": "wrong"}).status_code,
        client.get(page, headers={"token": source.token}).status_code,
    ]

    assert codes == [403, 403, 401, 429, 429]


def test_a_flooded_source_refuses_wrong_openapi_tokens_but_serves_its_partner(source, settings):
    settings.AUTH_FAILURE_LIMIT_PER_SOURCE = 3
    url = f"/source/{source.pk}/openapi.json"

    codes = [
        Client().get(url, headers={"token": "wrong"}, REMOTE_ADDR=f"192.0.2.{i}").status_code
        for i in range(1, 5)
    ]
    partner = Client().get(url, headers={"token": source.token}, REMOTE_ADDR="192.0.2.99")

    assert codes == [401, 401, 401, 429]
    assert partner.status_code == 200
