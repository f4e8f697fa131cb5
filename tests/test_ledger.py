"""The append-only ledger: written with the contact, equal to the sum over accepted contacts,
corrected by reversal rows, and reported per source, campaign and day."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Sum

from finance.models import LedgerEntry
from finance.selectors import ledger_totals
from finance.services import ledger_reverse_contact
from ingest.admission import is_scrubbed
from ingest.models import Contact, IntakeEvent
from sources.models import SourceCampaign
from tests.factories import CampaignFieldFactory, CapFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db

AT = datetime(2024, 1, 10, 20, 0, tzinfo=UTC)


def scrubbed_email(rate, *, want):
    """An email whose fixed scrub bucket gives the wanted decision at this rate."""
    for i in range(1000):
        email = f"s{i}-{want}@example.com"
        if is_scrubbed(email.lower() + "||", rate) == want:
            return email
    raise AssertionError("no such email")


@time_machine.travel(AT, tick=False)
def test_the_ledger_equals_the_sum_over_accepted_contacts_in_a_mix_of_outcomes(post_contact):
    entry = SourceCampaignFactory.create(cost=Decimal("2.35"), scrub_rate=50)
    entry.campaign.revenue = Decimal("7.10")
    entry.campaign.save()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email", required=True)
    CapFactory.create(campaign=entry.campaign, source=entry.source, limit=3, duration="day")
    other = SourceCampaignFactory.create(campaign=entry.campaign, cost=Decimal("1.00"))
    kept = scrubbed_email(50, want=False)
    posts = [
        (entry, {"email": kept}),  # accepted
        (entry, {"email": kept}),  # duplicate
        (entry, {"email": scrubbed_email(50, want=True)}),  # scrubbed
        (entry, {"firstname": "No email"}),  # 422
        (other, {"email": "other@example.com"}),  # accepted, other source and price
    ]
    for i in range(10):
        email = f"a{i}@example.com"
        if not is_scrubbed(email + "||", 50):
            posts.append((entry, {"email": email}))  # two more accepted, then 429s
    posts.append((entry, {"email": "t@example.com", "test": "1"}))  # test mode

    statuses = Counter(post_contact(e, data).data["status"] for e, data in posts)

    assert statuses["accepted"] == 4 and statuses["limited"] >= 1
    assert {"duplicate", "rejected", "invalid"} <= set(statuses)
    accepted = list(Contact.objects.filter(status="accepted"))
    costs = LedgerEntry.objects.filter(kind="cost")
    revenues = LedgerEntry.objects.filter(kind="revenue")
    prices = {(e.source_id, e.campaign_id): e.cost for e in SourceCampaign.objects.all()}
    assert costs.aggregate(s=Sum("amount"))["s"] == sum(
        prices[(c.source_id, c.campaign_id)] for c in accepted
    )
    assert costs.aggregate(s=Sum("amount"))["s"] == Decimal("2.35") * 3 + Decimal("1.00")
    assert revenues.aggregate(s=Sum("amount"))["s"] == Decimal("7.10") * 4
    # One cost and one revenue row per accepted contact; nothing for any other outcome.
    # (The ledger's contact_id is a plain nullable id since the apps were layered: mypy only.)
    assert sorted(costs.values_list("contact_id", flat=True)) == sorted(a.pk for a in accepted)  # type: ignore[type-var]
    assert sorted(revenues.values_list("contact_id", flat=True)) == sorted(a.pk for a in accepted)  # type: ignore[type-var]
    # The events say the same money as the ledger.
    events = IntakeEvent.objects.filter(status="accepted", is_test=False)
    assert events.aggregate(s=Sum("cost"))["s"] == costs.aggregate(s=Sum("amount"))["s"]
    assert events.aggregate(s=Sum("revenue"))["s"] == revenues.aggregate(s=Sum("amount"))["s"]


@time_machine.travel(AT, tick=False)
def test_a_reversal_appends_rows_and_never_edits_the_charge(entry, post_contact):
    contact_id = post_contact(entry, {"email": "r@example.com"}).data["contact"]["id"]
    before = list(LedgerEntry.objects.order_by("pk").values_list("pk", "kind", "amount"))

    reversals = ledger_reverse_contact(contact_id=contact_id, memo="bad lead")

    assert sorted((r.kind, r.amount) for r in reversals) == [
        ("reversal", Decimal("-5.00")),
        ("reversal", Decimal("-2.50")),
    ]
    assert (
        list(
            LedgerEntry.objects.filter(pk__in=[b[0] for b in before])
            .order_by("pk")
            .values_list("pk", "kind", "amount")
        )
        == before
    )
    assert ledger_reverse_contact(contact_id=contact_id) == []
    [totals] = ledger_totals(group_by="source")
    assert (totals.cost, totals.revenue, totals.margin, totals.contacts) == (0, 0, 0, 0)


def test_totals_per_source_campaign_and_day_give_cost_revenue_and_margin(post_contact):
    a = SourceCampaignFactory.create(cost=Decimal("1.50"))
    CampaignFieldFactory.create(campaign=a.campaign, key="email", type="email")
    b = SourceCampaignFactory.create(campaign=a.campaign, cost=Decimal("4.00"))
    with time_machine.travel(datetime(2024, 1, 10, 4, 0, tzinfo=UTC), tick=False):
        post_contact(a, {"email": "1@example.com"})  # the 9th in New York
    with time_machine.travel(datetime(2024, 1, 10, 15, 0, tzinfo=UTC), tick=False):
        post_contact(a, {"email": "2@example.com"})
        post_contact(b, {"email": "3@example.com"})

    by_source = {t.key: t for t in ledger_totals(group_by="source")}
    assert by_source[a.source_id].cost == Decimal("3.00")
    assert by_source[a.source_id].revenue == Decimal("10.00")
    assert by_source[a.source_id].margin == Decimal("7.00")
    assert by_source[b.source_id].margin == Decimal("1.00")
    [campaign] = ledger_totals(group_by="campaign")
    assert (campaign.key, campaign.cost, campaign.contacts) == (a.campaign_id, Decimal("7.00"), 3)
    by_day = {t.key: t.contacts for t in ledger_totals(group_by="day", timezone="America/New_York")}
    assert by_day == {date(2024, 1, 9): 1, date(2024, 1, 10): 2}
