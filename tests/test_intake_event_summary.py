"""What the event log keeps of a post: a bounded summary for strangers, cut values for sources.

A 940 KB body of 10,001 keys to an unknown source was stored whole as one event, and a
500,000-character value was kept whole in the log of an authenticated post.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from ingest.models import IntakeEvent

pytestmark = pytest.mark.django_db

NOT_KEPT = "not kept: the request was answered before its source was authenticated"


def stranger_body(keys: int) -> dict[str, str]:
    return {
        "email": "victim@example.com",
        "phone": "+17275550100",
        **{f"field_{i}_{'n' * 80}": "secret value" for i in range(keys - 2)},
    }


def post_unknown_source(client: Client, body: dict[str, Any]) -> Any:
    return client.post(
        "/source/999999/campaign/1/contact",
        json.dumps(body),
        content_type="application/json",
        headers={"token": "anything"},
    )


def test_a_post_to_an_unknown_source_logs_field_names_and_count_but_no_value(client):
    answer = post_unknown_source(client, stranger_body(1500))

    assert answer.status_code == 404
    event = IntakeEvent.objects.get()
    provided: Any = event.fields_provided
    assert provided["field_count"] == 1500
    assert provided["values"] == NOT_KEPT
    assert provided["field_names"][:2] == ["email", "phone"]
    assert len(provided["field_names"]) == 20
    assert all(len(name) <= 50 for name in provided["field_names"])
    logged = json.dumps([event.fields_provided, event.fields_stored, event.errors])
    assert "victim@example.com" not in logged
    assert "secret value" not in logged
    assert len(logged) < 3000


def test_the_findings_940_kb_body_of_10001_keys_is_not_logged_whole(client):
    body = {f"key_{i:05d}": "v" * 80 for i in range(10_001)}
    assert 900_000 < len(json.dumps(body)) < 1024 * 1024

    answer = post_unknown_source(client, body)

    assert answer.status_code == 413  # over the field-count limit, before the source is looked up
    event = IntakeEvent.objects.get()
    assert len(json.dumps([event.fields_provided, event.errors])) < 500


def test_a_stranger_nested_objects_do_not_log_a_soft_error_each(client):
    body = {"email": "x@example.com", **{f"k{i}": {"deep": 1} for i in range(1500)}}

    post_unknown_source(client, body)

    event = IntakeEvent.objects.get()
    assert event.errors == {"sourceId": "The sourceId specified does not exist."}


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"token": "wrong-token"}, 401)],
    ids=["no token", "bad token"],
)
def test_a_post_without_a_valid_token_logs_no_value(entry, client, headers, status):
    answer = client.post(
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
        json.dumps({"email": "someone@example.com", "firstname": "Private"}),
        content_type="application/json",
        headers=headers,
    )

    assert answer.status_code == status
    event = IntakeEvent.objects.get()
    assert event.fields_provided == {
        "field_count": 2,
        "field_names": ["email", "firstname"],
        "values": NOT_KEPT,
    }
    assert "someone@example.com" not in json.dumps([event.fields_provided, event.errors])


def test_an_authenticated_post_logs_each_value_cut_to_1000_characters(entry, post_contact):
    answer = post_contact(
        entry,
        {"email": "long@example.com", "firstname": "A" * 500_000, "tags": ["b" * 3000, "c"]},
    )

    assert answer.status_code == 200
    provided: Any = IntakeEvent.objects.get().fields_provided
    assert provided["email"] == "long@example.com"
    assert provided["firstname"] == "A" * 1000 + "…[cut: 500,000 characters]"
    assert provided["tags"] == ["b" * 1000 + "…[cut: 3,000 characters]", "c"]


def test_a_value_of_1000_characters_is_logged_whole(entry, post_contact):
    post_contact(entry, {"email": "w@example.com", "notes": "n" * 1000})

    provided: Any = IntakeEvent.objects.get().fields_provided
    assert provided["notes"] == "n" * 1000
