"""JSON bodies meet the forms' field-count limit (DATA_UPLOAD_MAX_NUMBER_FIELDS, 2,000).

A JSON body of 10,000 fields was read whole and each unknown key answered with a soft error.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from ingest.models import Contact, IntakeEvent

pytestmark = pytest.mark.django_db

LIMIT_MESSAGE = "The request body has more than 2000 fields."


def many(count: int) -> dict[str, str]:
    return {"email": "m@example.com", **{f"f{i}": "v" for i in range(count - 1)}}


def test_it_refuses_a_json_body_of_more_than_2000_fields_with_413(entry, post_contact):
    answer = post_contact(entry, many(10_000))

    assert answer.status_code == 413
    assert answer.data["status"] == "invalid"
    assert answer.data["errors"] == {"413": LIMIT_MESSAGE}  # no soft error per key
    assert Contact.objects.count() == 0
    assert IntakeEvent.objects.get().http_status == 413


def test_a_json_body_of_2000_fields_is_read(entry, post_contact):
    answer = post_contact(entry, many(2000))

    assert answer.status_code == 200
    assert Contact.objects.count() == 1


def test_a_json_list_counts_once_per_value_as_a_repeated_form_key_does(entry, post_contact):
    answer = post_contact(entry, {"email": "l@example.com", "tags": ["t"] * 2000})

    assert answer.status_code == 413
    assert answer.data["errors"] == {"413": LIMIT_MESSAGE}


def test_a_form_over_the_limit_gets_the_same_answer(entry, post_contact):
    answer = post_contact(entry, many(2001), as_json=False)

    assert answer.status_code == 413
    assert answer.data["errors"] == {"413": LIMIT_MESSAGE}
    assert len(urlencode(many(2001))) < 1024 * 1024  # refused for its fields, not its size


def test_a_batch_item_over_the_limit_is_refused_on_its_own(entry, client):
    contacts = [{"email": "ok@example.com"}, many(2001), {"email": "ok2@example.com"}]

    answer = client.post(
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contacts",
        json.dumps({"contacts": contacts}),
        content_type="application/json",
        headers={"token": entry.source.token},
    )

    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [r["statusCode"] for r in results] == [200, 413, 200]
    assert results[1]["errors"] == {"413": LIMIT_MESSAGE}
    assert results[1]["status"] == "invalid"
    assert Contact.objects.count() == 2


@pytest.mark.parametrize("path", ["/contact", "/contacts"])
def test_a_query_string_over_the_limit_is_refused_in_the_intakes_shape_and_logged(
    entry, client, path
):
    """Django refuses to read such a query string (where a token may be): it answered its own
    HTML 400 page and logged no event."""
    query = urlencode({f"p{i}": "1" for i in range(2001)})
    url = f"/source/{entry.source_id}/campaign/{entry.campaign_id}{path}?{query}"

    answer = client.post(
        url,
        json.dumps({"contacts": [{"email": "q@example.com"}]}),
        content_type="application/json",
        headers={"token": entry.source.token},
    )

    assert answer.status_code == 400
    assert answer.json()["errors"] == {
        "400": "The query string has more than 2000 parameters. Send the contact's fields in "
        "the body."
    }
    assert Contact.objects.count() == 0
    assert IntakeEvent.objects.get().http_status == 400
