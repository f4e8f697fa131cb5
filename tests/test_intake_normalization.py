"""Each field type's normalisation, at the service level, and end to end for the columns."""

from __future__ import annotations

import pytest

from campaigns.fields import FieldSpec
from ingest.models import Contact
from ingest.normalize import NORMALIZERS, FieldValueError, NormalizeContext
from tests.factories import CampaignFieldFactory

CTX = NormalizeContext(phone_region="US", timezone="America/New_York", country="US")


def norm(type_, value, ctx=CTX, choices=()):
    spec = FieldSpec(key="f", label="Field", type=type_, choices=tuple(choices))
    return NORMALIZERS[type_](spec, value, ctx)


@pytest.mark.parametrize(
    ("type_", "raw", "expected"),
    [
        ("text", "Ada", "Ada"),
        ("email", "Ada.Lovelace@EXAMPLE.com", "Ada.Lovelace@example.com"),
        ("tel", "727-287-0426", "+17272870426"),
        ("tel", "(727) 287 0426", "+17272870426"),
        ("tel", "+44 20 7946 0958", "+442079460958"),
        ("number", "42", 42),
        ("number", "13.75", 13.75),
        ("number", "-3", -3),
        ("boolean", "Yes", True),
        ("boolean", "off", False),
        ("boolean", "1", True),
        ("boolean", "false", False),
        ("date", "03/15/2010", "2010-03-15"),
        ("date", "2010-03-15", "2010-03-15"),
        ("datetime", "2010-03-15T12:15:32Z", "2010-03-15T12:15:32Z"),
        ("datetime", "03/15/2010 12:15:32", "2010-03-15T16:15:32Z"),
        ("datetime", "2010-03-15T12:15:32+02:00", "2010-03-15T10:15:32Z"),
        ("url", "https://example.com/a?b=c", "https://example.com/a?b=c"),
        ("country", "us", "US"),
        ("country", "USA", "US"),
        ("country", "United Kingdom", "GB"),
        ("country", "uk", "GB"),
        ("region", "fl", "FL"),
        ("region", "Florida", "FL"),
        ("region", "US-CA", "CA"),
        ("zipcode", "33602", "33602"),
        ("zipcode", "336021234", "33602-1234"),
        ("ip", "203.0.113.7, 10.0.0.1", "203.0.113.7"),
        ("ip", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_it_normalises_valid_values(type_, raw, expected):
    assert norm(type_, raw) == expected


@pytest.mark.parametrize(
    ("type_", "raw", "fragment"),
    [
        ("email", "not-an-email", "not a valid email"),
        ("tel", "123", "not a valid phone number for region US"),
        ("tel", "555-555-5555", "not a valid phone number"),
        ("number", "abc", "must be a number"),
        ("number", "NaN", "must be a number"),
        ("boolean", "maybe", "true/false"),
        ("date", "15/15/2010", "must be a date"),
        ("datetime", "yesterday", "must be a date and time"),
        ("url", "ftp://example.com", "http or https"),
        ("country", "Atlantis", "country name or ISO code"),
        ("region", "ZZ", "region of US"),
        ("zipcode", "ABCDE", "12345 or 12345-6789"),
        ("ip", "999.1.1.1", "IPv4 or IPv6"),
        ("text", "x" * 300, "longer than 255"),
    ],
)
def test_it_refuses_invalid_values_with_a_message_saying_what_is_allowed(type_, raw, fragment):
    with pytest.raises(FieldValueError, match=fragment):
        norm(type_, raw)


def test_error_messages_never_echo_an_email_or_phone():
    with pytest.raises(FieldValueError) as email_error:
        norm("email", "secret-person@@example.com")
    assert "secret-person" not in str(email_error.value)
    with pytest.raises(FieldValueError) as phone_error:
        norm("tel", "999-111-22")
    assert "999" not in str(phone_error.value)


def test_select_matches_choices_case_insensitively_and_returns_the_canonical_one():
    assert norm("select", "gold", choices=["Gold", "Silver"]) == "Gold"
    with pytest.raises(FieldValueError, match="must be one of: Gold, Silver"):
        norm("select", "bronze", choices=["Gold", "Silver"])


def test_multiselect_splits_on_pipes_and_accepts_lists():
    assert norm("multiselect", "a|B| a", choices=["A", "B"]) == ["A", "B"]
    assert norm("multiselect", ["b"], choices=["A", "B"]) == ["B"]
    with pytest.raises(FieldValueError):
        norm("multiselect", "c", choices=["A", "B"])


def test_phone_numbers_are_read_in_the_campaigns_region():
    uk = NormalizeContext(phone_region="GB", timezone="Europe/London", country="GB")
    assert norm("tel", "020 7946 0958", ctx=uk) == "+442079460958"


def test_zipcodes_follow_the_posted_country():
    ca = NormalizeContext(phone_region="US", timezone="UTC", country="CA")
    assert norm("zipcode", "k1a0b1", ctx=ca) == "K1A 0B1"


@pytest.mark.django_db
def test_it_stores_normalised_columns_and_custom_fields(entry, post_contact):
    campaign = entry.campaign
    CampaignFieldFactory(campaign=campaign, key="homeowner", type="boolean")
    CampaignFieldFactory(campaign=campaign, key="vehicle_year", type="number")
    CampaignFieldFactory(campaign=campaign, key="plan", type="select", choices=["Gold", "Silver"])
    CampaignFieldFactory(campaign=campaign, key="birthday", type="date")
    response = post_contact(
        entry,
        {
            "email": "Norm@Example.COM",
            "phone": "727.287.0426",
            "country": "united states",
            "state": "florida",
            "zipcode": "33602",
            "homeowner": "yes",
            "vehicle_year": "2019",
            "plan": "gold",
            "birthday": "03/15/1990",
        },
        as_json=False,
    )
    assert response.status_code == 200, response.data
    assert response.data["errors"] is None
    contact = Contact.objects.get()
    assert (contact.email, contact.phone, contact.country, contact.state) == (
        "Norm@example.com",
        "+17272870426",
        "US",
        "FL",
    )
    assert contact.custom == {
        "homeowner": True,
        "vehicle_year": 2019,
        "plan": "Gold",
        "birthday": "1990-03-15",
    }
