"""Test mode (full pipeline, nothing stored) and verbose mode (the source's verbose key)."""

from __future__ import annotations

import pytest

from ingest.models import Contact, IntakeEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("how", ["header", "field"])
def test_test_mode_answers_as_usual_but_stores_nothing(entry, post_contact, how):
    data = {"email": "test@example.com"}
    headers = {}
    if how == "header":
        headers["X-Test"] = "1"
    else:
        data["test"] = "1"
    response = post_contact(entry, data, **headers)

    assert response.status_code == 200
    assert response.data["success"] is True
    assert response.data["status"] == "accepted"
    assert response.data["contact"] is None
    assert response.data["test"] is True
    assert Contact.objects.count() == 0
    event = IntakeEvent.objects.get()
    assert event.is_test is True
    assert event.contact_id is None
    assert event.status == "accepted"


def test_test_mode_still_reports_validation_failures(entry, post_contact):
    entry.campaign.fields.filter(key="email").update(required=True)
    response = post_contact(entry, {"firstname": "Ada"}, **{"X-Test": "1"})
    assert response.status_code == 422
    assert IntakeEvent.objects.get().is_test is True


def test_test_mode_does_not_make_the_next_real_post_a_duplicate(entry, post_contact):
    post_contact(entry, {"email": "d@example.com"}, **{"X-Test": "1"})
    response = post_contact(entry, {"email": "d@example.com"})
    assert response.status_code == 200
    assert response.data["contact"] is not None


def test_verbose_mode_adds_the_stored_fields_cost_and_internal_status(entry, post_contact):
    response = post_contact(
        entry, {"email": "V@Example.com", "firstname": "Vee"}, verbose=entry.source.verbose_key
    )
    assert response.status_code == 200
    body = response.data
    assert body["fields"] == {"email": "V@example.com", "firstname": "Vee"}
    assert body["cost"] == "2.5000"
    assert body["internalStatus"] == "accepted"
    assert body["caps"] == []
    assert list(body) == sorted(body)


def test_a_wrong_verbose_key_is_refused_with_401(entry, post_contact):
    response = post_contact(entry, {"email": "v@example.com"}, verbose="1")
    assert response.status_code == 401
    assert "verbose key" in response.data["errors"]["verbose"]
    assert Contact.objects.count() == 0


def test_verbose_mode_is_off_for_a_source_without_a_key(entry, post_contact):
    entry.source.verbose_key = ""
    entry.source.save()
    response = post_contact(entry, {"email": "v@example.com"}, verbose="")
    assert response.status_code == 401


def test_a_plain_answer_never_carries_verbose_detail(entry, post_contact):
    response = post_contact(entry, {"email": "p@example.com"})
    assert not {"fields", "cost", "caps", "internalStatus"} & set(response.data)
