"""Required fields (422), soft errors (unknown or invalid optional fields), nothing usable (400)."""

from __future__ import annotations

import pytest

from ingest.models import Contact, IntakeEvent
from tests.factories import CampaignFieldFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict(entry):
    campaign = entry.campaign
    campaign.fields.filter(key="email").update(required=True)
    CampaignFieldFactory(campaign=campaign, key="phone", type="tel", required=True)
    CampaignFieldFactory(campaign=campaign, key="plan", type="select", choices=["A"], required=True)
    return entry


def test_it_answers_422_listing_every_missing_or_invalid_required_field(strict, post_contact):
    response = post_contact(strict, {"email": "bad", "firstname": "Ada", "colour": "red"})

    assert response.status_code == 422
    errors = response.data["errors"]
    assert "not a valid email" in errors["email"]
    assert errors["phone"] == "Phone is required."
    assert errors["plan"] == "Plan is required."
    assert "not supported" in errors["colour"]
    assert response.data["status"] == "invalid"
    assert Contact.objects.count() == 0
    assert IntakeEvent.objects.get().http_status == 422


def test_it_accepts_once_every_required_field_is_valid(strict, post_contact):
    response = post_contact(strict, {"email": "a@example.com", "phone": "7272870426", "plan": "a"})
    assert response.status_code == 200, response.data


def test_it_drops_an_unknown_field_and_suggests_the_closest(entry, post_contact):
    response = post_contact(entry, {"email": "a@example.com", "firstnam": "Ada"})
    assert response.status_code == 200
    assert response.data["success"] is True
    assert response.data["errors"] == {
        "firstnam": "This field is not supported and was ignored. "
        "Did you mean 'firstname' (First name)?"
    }


def test_it_drops_an_invalid_optional_value_with_a_soft_error(entry, post_contact):
    response = post_contact(entry, {"email": "a@example.com", "phone": "12", "zipcode": "x"})
    assert response.status_code == 200
    errors = response.data["errors"]
    assert "not a valid phone number" in errors["phone"] and "not stored" in errors["phone"]
    assert "zip" in errors["zipcode"].lower()
    contact = Contact.objects.get()
    assert (contact.phone, contact.zipcode) == ("", "")


def test_it_answers_400_when_nothing_usable_remains(entry, post_contact):
    response = post_contact(entry, {"email": "nope", "utm_source": "x", "ip": "203.0.113.9"})
    assert response.status_code == 400
    assert "no valid contact fields" in response.data["errors"]["400"]
    assert "not a valid email" in response.data["errors"]["email"]
    assert Contact.objects.count() == 0


def test_only_unknown_fields_answers_400_not_418(entry, post_contact):
    response = post_contact(entry, {"colour": "red"})
    assert response.status_code == 400
    assert "colour" in response.data["errors"]


def test_the_sources_utm_source_override_replaces_the_posted_one(entry, post_contact):
    entry.source.utm_source = "vendor-x"
    entry.source.save()
    response = post_contact(entry, {"email": "a@example.com", "utm_source": "other"})
    assert response.status_code == 200
    assert Contact.objects.get().utm_source == "vendor-x"


def test_keys_are_trimmed_and_case_insensitive(entry, post_contact):
    response = post_contact(entry, {" Email ": "a@example.com", "FirstName": "Ada"})
    assert response.status_code == 200
    assert response.data["errors"] is None
    assert Contact.objects.get().firstname == "Ada"


def test_a_repeated_single_value_field_keeps_the_last_value_and_says_so(entry, client):
    response = client.post(
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}",
        "email=a%40example.com&firstname=One&firstname=Two",
        content_type="application/x-www-form-urlencoded",
        headers={"token": entry.source.token},
    )
    assert response.status_code == 200
    assert "sent 2 times" in response.json()["errors"]["firstname"]
    assert Contact.objects.get().firstname == "Two"


# Columns the intake sets itself: a campaign may still take a field of that name (an
# applicant's "status"), and it is the partner's data. It used to collide with the column and
# answer 500.
INTAKE_SET_KEYS = ["status", "created_at", "identity_hash", "source", "campaign"]


@pytest.fixture
def fields_named_like_intake_columns(entry):
    for key in INTAKE_SET_KEYS:
        CampaignFieldFactory(campaign=entry.campaign, key=key, type="text")
    return entry


def test_a_field_named_like_a_column_the_intake_sets_is_kept_as_custom_data(
    fields_named_like_intake_columns, post_contact
):
    entry = fields_named_like_intake_columns
    posted = {key: f"partner {key}" for key in INTAKE_SET_KEYS}

    response = post_contact(entry, {"email": "a@example.com", **posted})

    assert response.status_code == 200, response.data
    contact = Contact.objects.get()
    assert contact.status == "accepted"
    assert (contact.source_id, contact.campaign_id) == (entry.source_id, entry.campaign_id)
    assert contact.custom == posted


def test_a_batch_keeps_those_fields_as_custom_data_too(fields_named_like_intake_columns, client):
    from tests.test_batch_intake import post_batch

    entry = fields_named_like_intake_columns
    items = [{"email": f"b{i}@example.com", "status": f"s{i}"} for i in range(25)]

    response = post_batch(client, entry, {"contacts": items})

    assert response.status_code == 200, response.data
    stored = {c.email: (c.status, c.custom) for c in Contact.objects.all()}
    assert stored == {f"b{i}@example.com": ("accepted", {"status": f"s{i}"}) for i in range(25)}
