"""Batch intake: POST /source/<sid>/campaign/<cid>/contacts, one result per item, in order."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from ingest.models import Contact, IntakeEvent
from sources.models import SourceCampaign

pytestmark = pytest.mark.django_db


def post_batch(
    client: Client, entry: SourceCampaign, body: Any, *, token: str | None = None, **headers: str
) -> Any:
    url = f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contacts"
    headers.setdefault("token", token if token is not None else entry.source.token)  # type: ignore[attr-defined]
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    response = client.post(url, raw, content_type="application/json", headers=headers)
    response.data = response.json()  # type: ignore[attr-defined]
    return response


def test_it_answers_each_item_in_order_with_its_index(client, entry):
    contacts = [{"email": f"ada{i}@example.com", "firstname": f"Ada {i}"} for i in range(3)]

    response = post_batch(client, entry, {"contacts": contacts})

    assert response.status_code == 200
    body = response.data
    assert body["success"] is True
    assert body["statusCode"] == 200
    assert body["source"] == {"id": entry.source_id, "name": entry.source.name}
    assert body["campaign"] == {"id": entry.campaign_id, "name": entry.campaign.name}
    assert [r["index"] for r in body["results"]] == [0, 1, 2]
    stored = {c.email: c.pk for c in Contact.objects.all()}
    for i, result in enumerate(body["results"]):
        assert result["status"] == "accepted"
        assert result["statusCode"] == 200
        assert result["success"] is True
        assert result["errors"] is None
        assert result["contact"] == {"id": stored[f"ada{i}@example.com"]}
        assert set(result) == {"contact", "errors", "index", "status", "statusCode", "success"}
    assert body["counts"] == {"accepted": 3}


def test_each_item_writes_its_own_event_sharing_the_batch_request_id(client, entry):
    contacts = [{"email": "one@example.com"}, {"email": "two@example.com"}]

    response = post_batch(client, entry, {"contacts": contacts})

    events = list(IntakeEvent.objects.order_by("batch_index"))
    assert [e.batch_index for e in events] == [0, 1]
    assert {str(e.request_id) for e in events} == {response.data["id"]}
    assert [e.status for e in events] == ["accepted", "accepted"]
    assert all(e.contact_id for e in events)


def test_a_bad_item_never_fails_the_others(client, entry):
    entry.campaign.fields.filter(key="email").update(required=True)
    contacts = [
        {"email": "good@example.com"},
        {"firstname": "No email"},
        "not an object",
        {"email": "also.good@example.com"},
    ]

    response = post_batch(client, entry, {"contacts": contacts})

    assert response.status_code == 200
    results = response.data["results"]
    assert [r["statusCode"] for r in results] == [200, 422, 400, 200]
    assert [r["status"] for r in results] == ["accepted", "invalid", "invalid", "accepted"]
    assert "email" in results[1]["errors"]
    assert results[2]["errors"] == {"400": results[2]["errors"]["400"]}
    assert Contact.objects.count() == 2
    assert IntakeEvent.objects.count() == 4
    assert response.data["counts"] == {"accepted": 2, "invalid": 2}


def test_duplicates_apply_within_the_batch_in_order(client, entry):
    contacts = [{"email": "same@example.com"}, {"email": "SAME@example.com"}]

    response = post_batch(client, entry, {"contacts": contacts})

    first, second = response.data["results"]
    assert first["status"] == "accepted"
    assert second["status"] == "duplicate"
    assert second["statusCode"] == 409
    assert second["contact"] is None
    assert Contact.objects.count() == 1


def test_soft_errors_appear_on_the_item_they_belong_to(client, entry):
    contacts = [{"email": "ok@example.com"}, {"email": "ok2@example.com", "emial": "typo"}]

    response = post_batch(client, entry, {"contacts": contacts})

    first, second = response.data["results"]
    assert first["errors"] is None
    assert second["success"] is True
    assert "emial" in second["errors"]


def test_a_token_in_the_body_authenticates_the_batch(client, entry):
    body = {"token": entry.source.token, "contacts": [{"email": "body@example.com"}]}

    response = post_batch(client, entry, body, token="")

    assert response.status_code == 200
    assert response.data["results"][0]["status"] == "accepted"


def test_a_token_inside_an_item_does_not_become_a_field(client, entry):
    body = {"contacts": [{"email": "t@example.com", "token": "other"}]}

    response = post_batch(client, entry, body)

    assert response.data["results"][0]["errors"] is None
    assert "token" not in Contact.objects.get().custom


def test_test_mode_runs_every_item_and_stores_nothing(client, entry):
    contacts = [{"email": "a@example.com"}, {"email": "a@example.com"}]

    response = post_batch(client, entry, {"contacts": contacts}, **{"X-Test": "1"})

    assert response.status_code == 200
    assert response.data["test"] is True
    results = response.data["results"]
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    assert all(r["contact"] is None and r["test"] is True for r in results)
    assert Contact.objects.count() == 0
    assert IntakeEvent.objects.filter(is_test=True).count() == 2


def test_verbose_mode_shows_each_items_stored_fields(client, entry):
    body = {"contacts": [{"email": "V@Example.com"}]}

    response = post_batch(client, entry, body, verbose=entry.source.verbose_key)

    result = response.data["results"][0]
    assert result["fields"]["email"] == "V@example.com"
    assert result["internalStatus"] == "accepted"


def test_one_crashing_item_answers_500_and_the_others_are_kept(client, entry, monkeypatch):
    from ingest.services import decide

    original = decide._read_fields

    def flaky(fields, outcome, soft, specs=None):
        if fields.get("email") == "c1@example.com":
            raise RuntimeError("boom")
        return original(fields, outcome, soft, specs)

    monkeypatch.setattr(decide, "_read_fields", flaky)
    contacts = [{"email": f"c{i}@example.com"} for i in range(3)]

    response = post_batch(client, entry, {"contacts": contacts})

    assert response.status_code == 200
    results = response.data["results"]
    assert [r["statusCode"] for r in results] == [200, 500, 200]
    assert results[1]["status"] == "error"
    assert "boom" not in json.dumps(results[1])
    assert Contact.objects.count() == 2
    assert IntakeEvent.objects.filter(status="error", batch_index=1).count() == 1
