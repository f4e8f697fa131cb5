"""Least privilege: person-API keys, signing secrets, deletes and secret lookups (docs/admin.md).

A marketer runs sources, campaigns and endpoints day to day; handing out person-API keys needs
the person-API permission, seeing or changing an endpoint's signing secret its own permission,
and deleting sources, campaigns or endpoints the delete permissions the group does not hold.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from campaigns.models import Campaign
from sources.models import Source
from subscriptions.models import CallbackEndpoint
from subscriptions.services import endpoint_api_key_issue
from tests.api_clients import api_client, client_for, make_campaign, make_source
from tests.factories import CallbackEndpointFactory, PersonFactory

pytestmark = pytest.mark.django_db

CHANGE = ("subscriptions.view_callbackendpoint", "subscriptions.change_callbackendpoint")
SECRET_PERMISSION = "subscriptions.manage_endpoint_secret"


@pytest.fixture
def marketer_api(marketer: User) -> APIClient:
    return client_for(marketer)


def test_issuing_a_person_api_key_needs_the_person_api_permission(marketer_api):
    endpoint: CallbackEndpoint = CallbackEndpointFactory.create()
    url = f"/api/v1/callback-endpoints/{endpoint.pk}/api-key/"

    assert marketer_api.post(url).status_code == 403
    assert api_client(*CHANGE).post(url).status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.api_key_hash == ""

    issued = api_client(*CHANGE, "subscriptions.use_person_api").post(url)
    assert issued.status_code == 201
    assert issued.json()["api_key"].startswith("cscrm_")


def test_revoking_a_person_api_key_needs_the_person_api_permission(marketer_api):
    endpoint: CallbackEndpoint = CallbackEndpointFactory.create()
    endpoint_api_key_issue(endpoint_id=endpoint.pk)
    url = f"/api/v1/callback-endpoints/{endpoint.pk}/api-key/"

    assert marketer_api.delete(url).status_code == 403
    assert api_client(*CHANGE).delete(url).status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.api_key_hash != ""

    assert api_client(*CHANGE, "subscriptions.use_person_api").delete(url).status_code == 204


@pytest.mark.parametrize("action", ["issue_api_key", "revoke_api_key"])
def test_the_admin_offers_no_key_actions_to_a_marketer(marketer_client, action):
    endpoint: CallbackEndpoint = CallbackEndpointFactory.create()
    endpoint_api_key_issue(endpoint_id=endpoint.pk)
    endpoint.refresh_from_db()
    before = endpoint.api_key_hash
    page = marketer_client.get("/admin/subscriptions/callbackendpoint/").content.decode()

    response = marketer_client.post(
        "/admin/subscriptions/callbackendpoint/",
        {"action": action, "_selected_action": endpoint.pk},
    )

    assert f'value="{action}"' not in page
    assert "cscrm_" not in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.api_key_hash == before


def test_the_admin_key_actions_work_for_a_holder_of_the_person_api_permission(client, marketer):
    endpoint: CallbackEndpoint = CallbackEndpointFactory.create()
    marketer.user_permissions.add(*permissions("subscriptions.use_person_api"))
    client.force_login(marketer)

    response = client.post(
        "/admin/subscriptions/callbackendpoint/",
        {"action": "issue_api_key", "_selected_action": endpoint.pk},
        follow=True,
    )

    assert "cscrm_" in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.api_key_hash != ""


def test_it_refuses_the_key_of_an_inactive_endpoint_as_an_invalid_one():
    PersonFactory.create(external_id="crm-1")
    endpoint: CallbackEndpoint = CallbackEndpointFactory.create()
    key = endpoint_api_key_issue(endpoint_id=endpoint.pk)
    CallbackEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    client, wrong = APIClient(), APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    wrong.credentials(HTTP_AUTHORIZATION="Token cscrm_wrong")

    response = client.get("/api/v1/persons/external/crm-1/")

    assert response.status_code == 401
    assert response.json() == wrong.get("/api/v1/persons/external/crm-1/").json()


def permissions(*names: str) -> list[Any]:
    from django.contrib.auth.models import Permission

    return [
        Permission.objects.get(content_type__app_label=n.split(".")[0], codename=n.split(".")[1])
        for n in names
    ]


def test_a_marketer_does_not_see_an_endpoints_signing_secret(marketer_api, marketer_client):
    endpoint: CallbackEndpoint = CallbackEndpointFactory.create()

    one = marketer_api.get(f"/api/v1/callback-endpoints/{endpoint.pk}/")
    listed = marketer_api.get("/api/v1/callback-endpoints/")
    page = marketer_client.get(f"/admin/subscriptions/callbackendpoint/{endpoint.pk}/change/")

    assert one.status_code == listed.status_code == page.status_code == 200
    assert "secret" not in one.json()
    assert "secret" not in listed.json()["results"][0]
    assert endpoint.secret not in page.content.decode()


def test_a_marketer_cannot_change_an_endpoints_signing_secret(marketer_client):
    endpoint: CallbackEndpoint = CallbackEndpointFactory.create()
    secret = endpoint.secret

    marketer_client.post(
        f"/admin/subscriptions/callbackendpoint/{endpoint.pk}/change/",
        {
            "name": "Renamed",
            "url": endpoint.url,
            "is_active": "on",
            "event_types": ["subscription_added"],
            "secret": "whsec_chosen-by-the-marketer",
            "headers": "{}",
        },
    )

    endpoint.refresh_from_db()
    assert endpoint.name == "Renamed"
    assert endpoint.secret == secret


def test_the_signing_secret_permission_shows_it(client, marketer):
    endpoint: CallbackEndpoint = CallbackEndpointFactory.create()
    marketer.user_permissions.add(*permissions(SECRET_PERMISSION))
    client.force_login(marketer)

    page = client.get(f"/admin/subscriptions/callbackendpoint/{endpoint.pk}/change/")

    assert endpoint.secret in page.content.decode()
    assert client_for(marketer).get("/api/v1/callback-endpoints/").json()["results"][0][
        "secret"
    ] == (endpoint.secret)


def test_a_marketer_cannot_delete_sources_campaigns_or_endpoints(marketer_api, marketer_client):
    source, campaign = make_source(), make_campaign()
    endpoint: CallbackEndpoint = CallbackEndpointFactory.create()
    objects = [
        ("sources", "source", "sources", source),
        ("campaigns", "campaign", "campaigns", campaign),
        ("subscriptions", "callbackendpoint", "callback-endpoints", endpoint),
    ]

    for app, model, route, obj in objects:
        assert marketer_api.delete(f"/api/v1/{route}/{obj.pk}/").status_code == 403
        assert marketer_client.get(f"/admin/{app}/{model}/{obj.pk}/delete/").status_code == 403
        marketer_client.post(
            f"/admin/{app}/{model}/", {"action": "delete_selected", "_selected_action": obj.pk}
        )
        marketer_client.post(f"/admin/{app}/{model}/{obj.pk}/delete/", {"post": "yes"})

    assert Source.objects.filter(pk=source.pk).exists()
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    assert CallbackEndpoint.objects.filter(pk=endpoint.pk).exists()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/sources/source/?token_hash__startswith=a",
        "/admin/sources/source/?previous_token_hash__startswith=a",
        "/admin/sources/source/?token_hash=x",
        "/admin/sources/source/?notification_secret__startswith=whsec_",
        "/admin/subscriptions/callbackendpoint/?secret__startswith=whsec_",
        "/admin/subscriptions/callbackendpoint/?api_key_hash__startswith=a",
        "/admin/subscriptions/callbackendpoint/?api_key_hash__gt=",
    ],
)
def test_the_admin_refuses_lookups_on_secret_fields(marketer_client, url):
    make_source()
    endpoint_api_key_issue(endpoint_id=CallbackEndpointFactory.create().pk)

    assert marketer_client.get(url).status_code == 400


def test_the_admin_still_filters_on_ordinary_fields(marketer_client):
    assert marketer_client.get("/admin/sources/source/?is_published__exact=1").status_code == 200
    assert marketer_client.get(
        "/admin/subscriptions/callbackendpoint/?state=active"
    ).status_code == (200)


def test_the_api_ignores_lookups_on_secret_fields(marketer_api):
    first, second = make_source(), make_source()
    prefix = first.token_hash[:2]

    response = marketer_api.get(f"/api/v1/sources/?token_hash__startswith={prefix}")

    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {first.pk, second.pk}


def test_anonymous_admin_lookups_go_to_the_login(client: Client):
    response = client.get("/admin/sources/source/?token_hash__startswith=a")

    assert response.status_code == 302


def test_a_marketer_cannot_change_which_persons_an_existing_key_reaches(
    marketer_api, marketer_client
):
    first, second = make_campaign(), make_campaign()
    keyed: CallbackEndpoint = CallbackEndpointFactory.create(campaigns=[first])
    endpoint_api_key_issue(endpoint_id=keyed.pk)
    plain: CallbackEndpoint = CallbackEndpointFactory.create(campaigns=[first])
    url = "/api/v1/callback-endpoints/{}/"

    refused = marketer_api.patch(url.format(keyed.pk), {"campaigns": []}, format="json")
    renamed = marketer_api.patch(url.format(keyed.pk), {"name": "Renamed"}, format="json")
    allowed = marketer_api.patch(url.format(plain.pk), {"campaigns": []}, format="json")
    marketer_client.post(
        f"/admin/subscriptions/callbackendpoint/{keyed.pk}/change/",
        {
            "name": "Again",
            "url": keyed.url,
            "is_active": "on",
            "event_types": ["subscription_added"],
            "campaigns": [second.pk],
            "headers": "{}",
        },
    )

    assert refused.status_code == 403
    assert "person-API permission" in refused.json()["detail"]
    assert renamed.status_code == allowed.status_code == 200
    keyed.refresh_from_db()
    assert keyed.name == "Again"
    assert list(keyed.campaigns.all()) == [first]
    assert list(plain.campaigns.all()) == []
