"""Caps, scrub rate, cost, revenue and duplicate window edited inline on a source, validated."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from finance.models import Cap, CapCounter, LedgerEntry
from tests.factories import CampaignFieldFactory, CapFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", None)
    client.force_login(user)
    return client


def form_data(response) -> dict[str, Any]:
    """What the change page would post back unchanged: the form and every inline formset."""
    data: dict[str, Any] = {}

    def add(form):
        for name, field in form.fields.items():
            value = form[name].value()
            if value is None or value is False:
                continue
            if isinstance(value, list | tuple):
                data[form.add_prefix(name)] = [str(v) for v in value]
            else:
                data[form.add_prefix(name)] = field.widget.format_value(value) or value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for form in formset.forms:
            add(form)
    return data


def edit_source(staff, entry, **changes):
    url = f"/admin/sources/source/{entry.source_id}/change/"
    data = form_data(staff.get(url))
    data.update(changes)
    return staff.post(url, data)


def add_cap(data, prefix="caps", **fields):
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = index + 1
    for name, value in fields.items():
        data[f"{prefix}-{index}-{name}"] = value
    return data


def test_a_cap_added_on_the_source_page_applies_and_starts_from_the_ledger(staff, post_contact):
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    post_contact(entry, {"email": "before@example.com"})
    url = f"/admin/sources/source/{entry.source_id}/change/"
    data = add_cap(
        form_data(staff.get(url)),
        campaign=entry.campaign_id,
        kind="quantity",
        limit="2",
        scope="campaign",
        duration="day",
        is_active="on",
    )

    response = staff.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    cap = Cap.objects.get()
    assert (cap.source_id, cap.campaign_id, cap.limit) == (entry.source_id, entry.campaign_id, 2)
    # The contact accepted earlier today already counts: one more fits, then 429.
    assert CapCounter.objects.get(cap=cap).used == 1
    assert post_contact(entry, {"email": "second@example.com"}).status_code == 200
    assert post_contact(entry, {"email": "third@example.com"}).status_code == 429


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"limit": "0"}, "limit", "at least one contact"),
        ({"limit": "-5"}, "limit", "at least one contact"),
        ({"limit": "2.5"}, "limit", "whole number"),
        ({"duration": "daily"}, "duration", "is not a duration"),
        ({"duration": "P0D"}, "duration", "between 1 second and 366 days"),
        ({"scope": "utm_source"}, "utm_source", "Name the utm_source"),
    ],
)
def test_a_cap_that_makes_no_sense_is_refused_with_a_reason(staff, fields, field, message):
    entry = SourceCampaignFactory.create()
    url = f"/admin/sources/source/{entry.source_id}/change/"
    cap = {
        "campaign": entry.campaign_id,
        "kind": "quantity",
        "limit": "10",
        "scope": "campaign",
        "duration": "day",
        "is_active": "on",
    }
    cap.update(fields)

    response = staff.post(url, add_cap(form_data(staff.get(url)), **cap))

    assert response.status_code == 200
    [caps_formset] = [f for f in response.context["inline_admin_formsets"] if f.opts.model is Cap]
    assert message in " ".join(caps_formset.formset.forms[-1].errors[field])
    assert not Cap.objects.exists()


def test_a_cap_on_a_campaign_the_source_is_not_whitelisted_for_is_refused(staff):
    entry = SourceCampaignFactory.create()
    stranger = SourceCampaignFactory.create()
    url = f"/admin/sources/source/{entry.source_id}/change/"
    data = add_cap(
        form_data(staff.get(url)),
        campaign=stranger.campaign_id,
        kind="quantity",
        limit="10",
        scope="campaign",
        duration="day",
    )
    response = staff.post(url, data)
    assert response.status_code == 200
    assert not Cap.objects.exists()


def test_the_whitelist_inline_edits_cost_scrub_revenue_and_duplicate_window(staff):
    entry = SourceCampaignFactory.create()

    response = edit_source(
        staff,
        entry,
        **{
            "entries-0-cost": "3.2500",
            "entries-0-scrub_rate": "15",
            "entries-0-revenue": "9.5000",
            "entries-0-duplicate_window": "7 00:00:00",
        },
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    entry.campaign.refresh_from_db()
    assert (entry.cost, entry.scrub_rate, entry.campaign.revenue) == (
        Decimal("3.25"),
        15,
        Decimal("9.50"),
    )
    assert entry.duplicate_window.days == 7


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("scrub_rate", "101"),
        ("scrub_rate", "-1"),
        ("cost", "-0.01"),
        ("revenue", "-1"),
        ("duplicate_window", "-1 00:00:00"),
        ("duplicate_window", "00:00:00"),
    ],
)
def test_the_whitelist_inline_refuses_out_of_range_values(staff, field, value):
    entry = SourceCampaignFactory.create()
    response = edit_source(staff, entry, **{f"entries-0-{field}": value})
    assert response.status_code == 200
    [entries] = [
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "entries"
    ]
    assert entries.formset.forms[0].errors[field]


def test_the_caps_list_shows_use_and_forecast(staff, post_contact):
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    CapFactory.create(campaign=entry.campaign, limit=4)
    post_contact(entry, {"email": "a@example.com"})

    response = staff.get("/admin/finance/cap/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "no more than 4 contacts per day for this campaign across all sources" in page
    assert "1 / 4 (25.0%)" in page


def test_the_ledger_is_read_only_and_reverses_charges_with_an_action(staff, post_contact):
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    post_contact(entry, {"email": "a@example.com"})
    cost = LedgerEntry.objects.get(kind="cost")
    assert staff.get(f"/admin/finance/ledgerentry/{cost.pk}/change/").status_code == 200
    assert staff.get("/admin/finance/ledgerentry/add/").status_code == 403

    response = staff.post(
        "/admin/finance/ledgerentry/",
        {"action": "reverse_charge", "_selected_action": [cost.pk]},
    )

    assert response.status_code == 302
    assert LedgerEntry.objects.filter(kind="reversal").count() == 2
    cost.refresh_from_db()
    assert cost.amount == Decimal("2.50")
