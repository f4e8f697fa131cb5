"""Every body type the intake reads, and the ones it refuses."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings
from django.test.client import MULTIPART_CONTENT

from ingest.models import Contact, IntakeEvent

pytestmark = pytest.mark.django_db


def url(entry, suffix="/contact"):
    return f"/source/{entry.source_id}/campaign/{entry.campaign_id}{suffix}"


def test_it_reads_a_form_urlencoded_body(entry, post_contact):
    response = post_contact(
        entry, {"email": "form@example.com", "firstname": "Form"}, as_json=False
    )
    assert response.status_code == 200, response.data
    assert Contact.objects.get().email == "form@example.com"


def test_it_reads_a_multipart_body(entry, client: Client):
    response = client.post(
        url(entry),
        {"email": "multi@example.com", "token": entry.source.token},
        content_type=MULTIPART_CONTENT,
    )
    assert response.status_code == 200, response.json()
    assert Contact.objects.get().email == "multi@example.com"


def test_it_reads_a_json_object_with_typed_values(entry, client: Client):
    body = {"email": "json@example.com", "firstname": "  Jay ", "lastname": "", "city": None}
    response = client.post(
        url(entry),
        json.dumps(body),
        content_type="application/json",
        headers={"token": entry.source.token},
    )
    assert response.status_code == 200, response.json()
    contact = Contact.objects.get()
    assert (contact.firstname, contact.lastname, contact.city) == ("Jay", "", "")


def test_it_accepts_put_and_both_route_forms(entry, client: Client):
    headers = {"token": entry.source.token}
    for i, (method, suffix) in enumerate(
        [("put", "/contact"), ("post", ""), ("put", ""), ("post", "/contact/")]
    ):
        response = getattr(client, method)(
            url(entry, suffix),
            json.dumps({"email": f"r{i}@example.com"}),
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code == 200, (method, suffix, response.json())
    assert Contact.objects.count() == 4


def test_it_reads_a_form_body_sent_with_put(entry, client: Client):
    response = client.put(
        url(entry),
        f"email=put%40example.com&token={entry.source.token}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.json()


@override_settings(INTAKE_MAX_BODY_BYTES=200)
def test_it_answers_413_over_the_size_limit(entry, client: Client):
    body = json.dumps({"email": "big@example.com", "notes": "x" * 500})
    response = client.post(
        url(entry), body, content_type="application/json", headers={"token": entry.source.token}
    )
    assert response.status_code == 413
    assert "200 bytes" in response.json()["errors"]["413"]
    assert Contact.objects.count() == 0
    assert IntakeEvent.objects.get().http_status == 413


def test_it_answers_415_to_other_content_types(entry, client: Client):
    response = client.post(
        url(entry), "<xml/>", content_type="application/xml", headers={"token": entry.source.token}
    )
    assert response.status_code == 415
    assert "application/json" in response.json()["errors"]["415"]
    assert IntakeEvent.objects.get().status == "invalid"


def test_it_answers_400_to_malformed_json(entry, client: Client):
    response = client.post(
        url(entry),
        '{"email": ',
        content_type="application/json",
        headers={"token": entry.source.token},
    )
    assert response.status_code == 400
    assert "could not be parsed" in response.json()["errors"]["400"]


def test_it_answers_400_to_json_that_is_not_an_object(entry, client: Client):
    response = client.post(
        url(entry),
        '["a", "b"]',
        content_type="application/json",
        headers={"token": entry.source.token},
    )
    assert response.status_code == 400
    message = response.json()["errors"]["400"]
    assert "must be an object" in message
    assert '{"email": "…"}' in message and "{{" not in message


def test_it_answers_400_to_json_that_is_not_utf8(entry, client: Client):
    response = client.post(
        url(entry),
        b'{"email": "\xff\xfe"}',
        content_type="application/json",
        headers={"token": entry.source.token},
    )
    assert response.status_code == 400
    assert "UTF-8" in response.json()["errors"]["400"]


def test_it_answers_400_to_deeply_nested_json(entry, client: Client):
    body = '{"a": ' + "[" * 5000 + "]" * 5000 + "}"
    response = client.post(
        url(entry), body, content_type="application/json", headers={"token": entry.source.token}
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["errors"]["400"]


def test_it_ignores_nested_objects_with_a_soft_error(entry, post_contact):
    response = post_contact(entry, {"email": "n@example.com", "extra": {"a": 1}})
    assert response.status_code == 200
    assert "Nested objects are not supported" in response.data["errors"]["extra"]


def test_it_strips_nul_characters_instead_of_failing(entry, post_contact):
    response = post_contact(entry, {"email": "nul@example.com", "firstname": "A\x00da"})
    assert response.status_code == 200
    assert Contact.objects.get().firstname == "Ada"


def test_it_answers_405_to_other_methods(entry, client: Client):
    response = client.delete(url(entry))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST, PUT"  # GET serves the docs page (DESIGN §8)
