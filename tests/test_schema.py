"""The OpenAPI schema: valid without warnings, every operation described, docs served locally."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from django.urls import resolve

from contactsource.urls import contact_route
from ingest import views as intake_views
from ingest.errors import ALL_REFUSALS
from ingest.schema import intake_paths

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, item[method])
        for path, item in schema["paths"].items()
        for method in METHODS
        if method in item
    ]


def test_it_generates_without_a_single_warning(tmp_path):
    # The same check as `make check`: any warning fails.
    out = StringIO()
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "s.yaml"),
        stderr=out,
    )
    assert (tmp_path / "s.yaml").read_text().startswith("openapi: 3.0")


def test_every_operation_has_a_summary_an_id_and_a_tag(schema):
    ids = []
    for path, method, operation in operations(schema):
        assert operation.get("summary") or operation.get("description"), (path, method)
        assert operation.get("tags"), (path, method)
        ids.append(operation["operationId"])
    assert len(ids) == len(set(ids))


def test_the_management_api_is_under_v1_and_needs_auth(schema):
    management = [op for path, _m, op in operations(schema) if path.startswith("/api/v1/")]
    assert len(management) > 40
    for operation in management:
        assert operation.get("security"), operation["operationId"]
        assert {} not in operation["security"], operation["operationId"]
        assert {"401", "403", "429"} <= set(operation["responses"]), operation["operationId"]


@pytest.mark.parametrize(
    "resource",
    [
        "sources",
        "whitelist-entries",
        "campaigns",
        "campaign-fields",
        "caps",
        "contacts",
        "intake-events",
        "ledger-entries",
        "callback-endpoints",
        "deliveries",
        "imports",
    ],
)
def test_every_list_filters_by_date_orders_and_pages(schema, resource):
    parameters = {p["name"] for p in schema["paths"][f"/api/v1/{resource}/"]["get"]["parameters"]}
    assert {"created_after", "created_before", "ordering", "page", "page_size"} <= parameters


def test_the_intake_routes_are_documented_at_their_real_paths(schema):
    for path in intake_paths():
        assert path in schema["paths"]
        concrete = re.sub(r"\{\w+\}", "1", path)
        # The single route's GET is the docs page: the root URLconf dispatches by method
        # (contactsource/urls.py), and hands every other method to the intake's view.
        assert resolve(concrete).func in (contact_route, intake_views.contacts_batch)
    batch = schema["paths"]["/source/{source_id}/campaign/{campaign_id}/contacts"]
    assert set(batch) == {"post"}


def test_every_intake_answer_code_is_documented(schema):
    single = schema["paths"]["/source/{source_id}/campaign/{campaign_id}/contact"]
    for method in ("post", "put"):
        documented = set(single[method]["responses"])
        assert {str(r.http_status) for r in ALL_REFUSALS} | {"200"} <= documented
    batch = schema["paths"]["/source/{source_id}/campaign/{campaign_id}/contacts"]["post"]
    assert {"200", "400", "401", "404", "410", "413", "415", "418", "500", "503"} <= set(
        batch["responses"]
    )
    assert single["post"]["security"] == [{"sourceToken": []}]


def test_the_429_documents_retry_after(schema):
    single = schema["paths"]["/source/{source_id}/campaign/{campaign_id}/contact"]["post"]
    assert "Retry-After" in single["responses"]["429"]["headers"]


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_the_schema_and_docs_are_readable_without_login(client, url):
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_docs_load_their_assets_locally_not_from_a_cdn(client, url):
    html = client.get(url).content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', html)
    assert assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset
    assert "cdn" not in html.lower()


def test_an_endpoints_secret_is_not_promised_in_every_answer(schema):
    # Answers leave `secret` out for users without subscriptions.manage_endpoint_secret.
    endpoint = schema["components"]["schemas"]["CallbackEndpoint"]

    assert "secret" in endpoint["properties"]
    assert "secret" not in endpoint.get("required", [])
    assert "manage_endpoint_secret" in endpoint["properties"]["secret"]["description"]
    assert "name" in endpoint["required"]  # the other fields are still promised
