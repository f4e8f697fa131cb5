"""Saving a callback endpoint or a source's notification URL refuses what a call would refuse
always (link-local and metadata targets, schemes but http(s)) and unsafe custom headers, with a
400 (REST API) or a form error (admin) that names the field and why.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.test_security_callback_targets import NEVER


@pytest.fixture
def api(db: None, private_callbacks: None) -> Any:
    from tests.api_clients import superuser_client

    return superuser_client()


def _create(api: Any, **fields: Any) -> Any:
    body = {"name": "CRM", "url": "https://crm.example.com/hook", **fields}
    return api.post("/api/v1/callback-endpoints/", body, format="json")


@pytest.mark.parametrize("url", [*NEVER, "ftp://127.0.0.1/x", "ftps://crm.example.com/x"])
def test_the_api_refuses_to_save_an_endpoint_url_it_would_never_call(api: Any, url: str) -> None:
    response = _create(api, url=url)

    assert response.status_code == 400, response.data
    message = " ".join(response.data["url"])
    # Some forms are not URLs to Django's URLValidator already; the rest are refused by the rule.
    reasons = ("link-local or cloud metadata", "Only absolute http and https", "valid URL")
    assert any(reason in message for reason in reasons), message


def test_the_api_refuses_to_change_an_endpoint_url_to_the_metadata_service(api: Any) -> None:
    from tests.factories import CallbackEndpointFactory

    endpoint = CallbackEndpointFactory.create(url="https://crm.example.com/hook")

    response = api.patch(
        f"/api/v1/callback-endpoints/{endpoint.pk}/",
        {"url": "http://[::ffff:169.254.169.254]/"},
        format="json",
    )

    assert response.status_code == 400
    assert "link-local or cloud metadata" in response.data["url"][0]
    endpoint.refresh_from_db()
    assert endpoint.url == "https://crm.example.com/hook"


def test_the_api_still_saves_a_loopback_url_when_private_targets_are_allowed(api: Any) -> None:
    assert _create(api, url="http://127.0.0.1:8080/hook").status_code == 201


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"X-Key": "a\r\nX-Injected: 1"}, "X-Key"),
        ({"X-Key": "a\nb"}, "X-Key"),
        ({"X-Key": "a\rb"}, "X-Key"),
        ({"X-Key": "é"}, "X-Key"),
        ({"X-Key": "x" * 1001}, "X-Key"),
        ({"X Key": "a"}, "X Key"),
        ({"X-Key:": "a"}, "X-Key:"),
        ({"X-Key\r\nX-Injected": "a"}, "X-Key"),
        ({"k" * 101: "a"}, "kkkk"),
        ({"Webhook-Signature": "v1,forged"}, "Webhook-Signature"),
        ({"Host": "internal.example"}, "Host"),
        ({"Content-Type": "text/plain"}, "Content-Type"),
    ],
)
def test_the_api_refuses_unsafe_custom_headers_naming_the_header(
    api: Any, headers: dict[str, str], named: str
) -> None:
    response = _create(api, headers=headers)

    assert response.status_code == 400, response.data
    assert named in " ".join(response.data["headers"])


def test_the_api_refuses_a_nul_byte_in_a_custom_header(api: Any) -> None:
    response = _create(api, headers={"X-Key": "a\x00b"})

    assert response.status_code == 400
    assert "headers" in response.data


def test_the_api_refuses_more_than_twenty_custom_headers(api: Any) -> None:
    response = _create(api, headers={f"X-K{i}": "v" for i in range(21)})

    assert response.status_code == 400
    assert "At most 20 headers" in " ".join(response.data["headers"])


def test_the_admin_form_refuses_a_metadata_url_and_a_header_with_a_line_break(
    admin_client: Any, private_callbacks: None
) -> None:
    from subscriptions.models import CallbackEndpoint

    response = admin_client.post(
        "/admin/subscriptions/callbackendpoint/add/",
        {
            "name": "CRM",
            "url": "http://169.254.169.254/latest/meta-data/",
            "is_active": "on",
            "event_types": ["subscription_added"],
            "secret": "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "headers": '{"X-Key": "a\\r\\nX-Injected: 1"}',
        },
    )

    assert response.status_code == 200  # the form again, with its errors
    errors = response.context["adminform"].form.errors
    assert "link-local or cloud metadata" in errors["url"][0]
    assert "X-Key" in errors["headers"][0]
    assert not CallbackEndpoint.objects.exists()


# --- Source change notifications follow the same rule ----------------------------------------


@pytest.mark.parametrize("url", ["http://169.254.169.254/", "ftp://127.0.0.1/x"])
def test_the_api_refuses_a_source_notification_url_it_would_never_call(api: Any, url: str) -> None:
    response = api.post(
        "/api/v1/sources/", {"name": "Vendor", "notification_url": url}, format="json"
    )

    assert response.status_code == 400, response.data
    assert "notification_url" in response.data


def test_the_admin_refuses_a_source_notification_url_on_the_metadata_service(
    admin_client: Any, private_callbacks: None
) -> None:
    from sources.models import Source
    from tests.test_admin_sources import form_values

    values = form_values(admin_client, "/admin/sources/source/add/")
    values.update(name="Vendor X", notification_url="http://metadata.google.internal/")

    response = admin_client.post("/admin/sources/source/add/", values)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "link-local or cloud metadata" in errors["notification_url"][0]
    assert not Source.objects.filter(name="Vendor X").exists()


@override_settings(CALLBACK_ALLOW_PRIVATE=True)
def test_a_notification_saved_before_the_rule_is_not_sent_to_the_metadata_service(
    db: None,
) -> None:
    from sources.models import SourceChange
    from sources.services import source_change_notify
    from tests.factories import SourceFactory

    source = SourceFactory.create(notification_url="http://169.254.169.254/latest/")
    change = SourceChange.objects.create(
        source=source,
        webhook_status="pending",
        email_status="skipped",
        next_attempt_at=timezone.now(),
    )

    source_change_notify(change_id=change.pk)

    change.refresh_from_db()
    assert change.webhook_status != "sent"
    assert "link-local or cloud metadata" in change.last_error
