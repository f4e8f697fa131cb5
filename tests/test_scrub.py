"""Scrub: a deterministic share of identities is kept for the buyer but not charged or counted."""

from __future__ import annotations

import pytest

from finance.models import CapCounter, LedgerEntry
from ingest.admission import is_scrubbed
from ingest.models import Contact, IntakeEvent
from ingest.services import identity_of
from tests.factories import CapFactory


def identities(n):
    return [identity_of({"email": f"person{i}@example.com"}) for i in range(n)]


def test_a_rate_of_20_scrubs_20_percent_of_10000_distinct_identities_give_or_take_2():
    scrubbed = sum(is_scrubbed(identity, 20) for identity in identities(10_000))
    assert 1800 <= scrubbed <= 2200


@pytest.mark.parametrize("rate", [1, 37, 50, 99])
def test_every_rate_scrubs_its_share_give_or_take_2_percent(rate):
    scrubbed = sum(is_scrubbed(identity, rate) for identity in identities(10_000))
    assert abs(scrubbed - rate * 100) <= 200


def test_0_never_scrubs_and_100_always_does():
    people = identities(2000)
    assert not any(is_scrubbed(identity, 0) for identity in people)
    assert all(is_scrubbed(identity, 100) for identity in people)


def test_the_same_identity_always_gets_the_same_decision():
    people = identities(500)
    first = [is_scrubbed(identity, 30) for identity in people]
    assert [is_scrubbed(identity, 30) for identity in people] == first
    # A higher rate scrubs everything the lower one did, and more.
    assert all(is_scrubbed(i, 60) for i, was in zip(people, first, strict=True) if was)


@pytest.mark.django_db
def test_a_scrubbed_contact_is_kept_not_charged_not_counted_and_shown_as_rejected(
    entry, post_contact
):
    entry.scrub_rate = 100
    entry.save()
    cap = CapFactory.create(campaign=entry.campaign, source=entry.source, limit=5)

    response = post_contact(entry, {"email": "s@example.com"}, verbose=entry.source.verbose_key)

    assert response.status_code == 200
    assert response.data["status"] == "rejected"
    assert response.data["success"] is False
    assert response.data["internalStatus"] == "scrubbed"
    contact = Contact.objects.get()
    assert contact.status == "scrubbed"
    assert response.data["contact"] == {"id": contact.pk}
    assert not LedgerEntry.objects.exists()
    event = IntakeEvent.objects.get()
    assert (event.status, event.cost, event.revenue) == ("scrubbed", None, None)
    assert not CapCounter.objects.filter(cap=cap).exists()
    assert response.data["caps"][0]["used"] == 0


@pytest.mark.django_db
def test_reposting_a_lead_gets_the_same_scrub_decision(entry, post_contact):
    entry.scrub_rate = 50
    entry.duplicate_window = None
    entry.save()
    decisions = {
        email: {post_contact(entry, {"email": email}).data["status"] for _ in range(3)}
        for email in [f"again{i}@example.com" for i in range(8)]
    }
    assert all(len(seen) == 1 for seen in decisions.values()), decisions
    assert {"accepted", "rejected"} == set().union(*decisions.values())


@pytest.mark.django_db
def test_a_scrubbed_contact_is_refused_like_any_other_while_a_cap_is_full(entry, post_contact):
    CapFactory.create(campaign=entry.campaign, source=entry.source, limit=1)
    assert post_contact(entry, {"email": "first@example.com"}).status_code == 200
    entry.scrub_rate = 100
    entry.save()

    response = post_contact(entry, {"email": "second@example.com"})

    # Else a source could tell a scrub (200) from a pass (429) while the cap is full.
    assert response.status_code == 429
    assert Contact.objects.count() == 1
