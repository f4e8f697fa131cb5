"""An accepted or scrubbed contact creates or merges a Person and subscribes it (DESIGN §7)."""

from __future__ import annotations

import pytest

from ingest.models import Contact
from subscriptions.models import Person, Subscription
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_it_creates_a_person_and_a_subscription_for_an_accepted_contact(person_entry, post_contact):
    response = post_contact(
        person_entry,
        {"email": "Ada@Example.com", "mobile": "727-287-0426", "firstname": "Ada", "lastname": "L"},
    )

    assert response.data["status"] == "accepted"
    person = Person.objects.get()
    assert person.mobile_phone == "+17272870426"
    assert person.email == "Ada@example.com"
    assert (person.first_name, person.last_name) == ("Ada", "L")
    subscription = Subscription.objects.get()
    assert subscription.person == person
    assert subscription.campaign_id == person_entry.campaign_id
    assert subscription.acquisition_source_id == person_entry.source_id
    assert subscription.contact_id == Contact.objects.get().pk
    assert subscription.opt_in_date == Contact.objects.get().created_at
    assert subscription.opt_out_date is None


def test_it_uses_the_phone_as_the_mobile_number_when_there_is_no_mobile(person_entry, post_contact):
    post_contact(person_entry, {"phone": "7272870426"})

    assert Person.objects.get().mobile_phone == "+17272870426"


def test_it_merges_into_the_person_with_the_same_mobile_phone(person_entry, post_contact):
    known = PersonFactory.create(
        mobile_phone="+17272870426", email="old@example.com", first_name=""
    )

    post_contact(
        person_entry, {"mobile": "7272870426", "email": "new@example.com", "firstname": "A"}
    )

    person = Person.objects.get()
    assert person.pk == known.pk
    # A contact completes a person; it never overwrites what is known.
    assert person.email == "old@example.com"
    assert person.first_name == "A"
    assert Subscription.objects.get().person_id == known.pk


def test_it_merges_by_email_when_the_mobile_phone_is_unknown(person_entry, post_contact):
    known = PersonFactory.create(mobile_phone=None, email="ada@example.com")

    post_contact(person_entry, {"mobile": "7272870426", "email": "ada@example.com"})

    person = Person.objects.get()
    assert person.pk == known.pk
    assert person.mobile_phone == "+17272870426"


def test_it_prefers_the_mobile_phone_match_over_the_email_match(person_entry, post_contact):
    PersonFactory.create(mobile_phone=None, email="ada@example.com")
    by_phone = PersonFactory.create(mobile_phone="+17272870426", email="other@example.com")

    post_contact(person_entry, {"mobile": "7272870426", "email": "ada@example.com"})

    assert Subscription.objects.get().person_id == by_phone.pk


def test_two_different_mobile_phones_are_two_people_even_with_one_email(person_entry, post_contact):
    PersonFactory.create(mobile_phone="+17272870000", email="family@example.com")

    post_contact(person_entry, {"mobile": "7272870426", "email": "family@example.com"})

    assert Person.objects.count() == 2


def test_a_scrubbed_contact_is_subscribed_too(person_entry, post_contact):
    person_entry.scrub_rate = 100
    person_entry.save()

    response = post_contact(person_entry, {"email": "ada@example.com"})

    assert Contact.objects.get().status == "scrubbed"
    assert response.data["status"] == "rejected"
    assert Subscription.objects.count() == 1


def test_refused_and_test_posts_create_no_person(person_entry, post_contact):
    post_contact(person_entry, {"email": "ada@example.com"}, **{"X-Test": "1"})
    post_contact(person_entry, {"email": "not-an-email"})  # nothing usable: 400

    assert Person.objects.count() == 0
    assert Subscription.objects.count() == 0


def test_a_second_contact_for_the_same_person_keeps_one_subscription(person_entry, post_contact):
    person_entry.duplicate_window = None
    person_entry.save()

    post_contact(person_entry, {"email": "ada@example.com"})
    post_contact(person_entry, {"email": "ada@example.com"})

    assert Contact.objects.count() == 2
    assert Person.objects.count() == 1
    assert Subscription.objects.count() == 1
