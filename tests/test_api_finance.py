"""Caps, budgets and the ledger over the API."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from finance.models import Cap, LedgerEntry
from sources.models import SourceCampaign
from tests.api_clients import api_client, make_entry, superuser_client, token_of

pytestmark = pytest.mark.django_db


def post(entry: SourceCampaign, email: str) -> int:
    return (
        Client()
        .post(
            f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
            json.dumps({"email": email}),
            content_type="application/json",
            headers={"token": token_of(entry.source)},
        )
        .status_code
    )


def test_a_cap_created_over_the_api_limits_the_intake():
    entry = make_entry()
    response = superuser_client().post(
        "/api/v1/caps/",
        {
            "campaign": entry.campaign_id,
            "source": entry.source_id,
            "limit": "2",
            "duration": "P1D",
        },
        format="json",
    )
    assert response.status_code == 201, response.data

    codes = [post(entry, f"c{i}@example.com") for i in range(3)]

    assert codes == [200, 200, 429]


def test_a_cap_takes_its_current_window_from_the_ledger():
    entry = make_entry()
    assert post(entry, "before@example.com") == 200
    api = superuser_client()
    api.post(
        "/api/v1/caps/",
        {"campaign": entry.campaign_id, "limit": "1", "duration": "day"},
        format="json",
    )
    assert post(entry, "after@example.com") == 429
    usage = api.get("/api/v1/caps/usage/").data
    assert [(u["used"], u["remaining"], u["limit"]) for u in usage] == [
        ("1.0000", "0.0000", "1.0000")
    ]
    assert usage[0]["campaign"] == entry.campaign_id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"limit": "5", "duration": "fortnightly"}, "duration"),
        ({"limit": "5", "scope": "utm_source"}, "utm_source"),
    ],
)
def test_invalid_caps_answer_400_with_the_field(body, field):
    entry = make_entry()
    response = superuser_client().post(
        "/api/v1/caps/", {"campaign": entry.campaign_id, **body}, format="json"
    )
    assert response.status_code == 400
    assert field in response.data
    assert not Cap.objects.exists()


def test_caps_update_and_delete():
    entry = make_entry()
    api = superuser_client()
    cap_id = api.post(
        "/api/v1/caps/", {"campaign": entry.campaign_id, "limit": "5"}, format="json"
    ).data["id"]
    patched = api.patch(f"/api/v1/caps/{cap_id}/", {"limit": "7"}, format="json")
    assert patched.status_code == 200
    assert Cap.objects.get().limit == Decimal("7")
    assert api.delete(f"/api/v1/caps/{cap_id}/").status_code == 204
    assert not Cap.objects.exists()


def test_the_ledger_is_read_only_and_totals_per_source():
    entry = make_entry()
    assert post(entry, "l1@example.com") == 200
    assert post(entry, "l2@example.com") == 200
    api = superuser_client()

    rows = api.get("/api/v1/ledger-entries/?kind=cost").data["results"]
    assert [r["amount"] for r in rows] == ["2.5000", "2.5000"]
    assert api.post("/api/v1/ledger-entries/", {}).status_code == 405
    totals = api.get("/api/v1/ledger-entries/totals/?group_by=source").data
    assert totals == [
        {
            "key": str(entry.source_id),
            "contacts": 2,
            "cost": "5.0000",
            "revenue": "10.0000",
            "margin": "5.0000",
        }
    ]
    assert LedgerEntry.objects.count() == 4


def test_the_ledger_needs_its_view_permission():
    assert api_client("finance.view_cap").get("/api/v1/ledger-entries/").status_code == 403
    viewer = api_client("finance.view_ledgerentry")
    assert viewer.get("/api/v1/ledger-entries/").status_code == 200
    assert viewer.get("/api/v1/ledger-entries/totals/").status_code == 200
