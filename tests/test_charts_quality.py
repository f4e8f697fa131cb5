"""The source-quality charts' data: return and conversion rates and returns by reason per day
(or hour) of the contacts' acceptance, from contacts posted to the intake and returns and
conversions made through the API; staff with `feedback.view_contactreturn` only."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.test import Client

from feedback.models import ReturnPolicy
from tests.api_clients import api_client
from tests.factories import CampaignFieldFactory, SourceCampaignFactory
from tests.feedback_helpers import charged_contact, entry_make, return_url

pytestmark = pytest.mark.django_db

URL = "/admin/charts/quality/"
NOON = datetime.fromisoformat("2026-03-10 12:00:00+00:00")


def posted_at(moment: str, entry, count: int) -> list[int]:
    """`count` contacts posted to the intake at that moment (UTC)."""
    with time_machine.travel(datetime.fromisoformat(f"{moment}+00:00"), tick=False):
        return [charged_contact(entry) for _ in range(count)]


@pytest.fixture
def history():
    """Four contacts two days ago, two today (one source); one today from another source,
    whose campaign holds returns for review. Returned and converted at noon, through the API."""
    entry = entry_make()
    other = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=other.campaign, key="email", type="email")
    ReturnPolicy.objects.create(campaign=other.campaign, review="review")
    older = posted_at("2026-03-08 10:00:00", entry, 4)
    today = posted_at("2026-03-10 09:30:00", entry, 2)
    (pending,) = posted_at("2026-03-10 09:45:00", other, 1)
    with time_machine.travel(NOON, tick=False):
        client = api_client("feedback.add_contactreturn", "feedback.add_conversion")
        for contact_id, reason in [
            (older[0], "fraud"),
            (older[1], "fraud"),
            (older[2], "wrong_number"),
            (today[0], "disconnected"),
            (pending, "fraud"),  # held for review: not a return yet
        ]:
            answer = client.post(return_url(contact_id), {"reason": reason}, format="json")
            assert answer.status_code == 201, answer.json()
        for contact_id in (older[3], today[1]):
            answer = client.post(
                f"/api/v1/contacts/{contact_id}/conversion/", {"value": "40"}, format="json"
            )
            assert answer.status_code == 201, answer.json()
    return entry


@pytest.fixture
def quality_client(client):
    """Staff holding exactly the returns' view permission (not the intake charts')."""
    user = User.objects.create_user("analyst", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_contactreturn"))
    client.force_login(user)
    return client


def chart(client, **params):
    with time_machine.travel(NOON, tick=False):
        response = client.get(URL, params)
    assert response.status_code == 200, response.content
    data = response.json()
    return data["labels"], {d["label"]: d["data"] for d in data["datasets"]}


def test_it_answers_return_and_conversion_rates_per_day_of_acceptance(quality_client, history):
    labels, sets = chart(quality_client, by="rates", source=history.source_id, start="2026-03-08")

    assert labels == ["2026-03-08", "2026-03-09", "2026-03-10"]
    # 3 of 4 returned and 1 converted two days ago; nothing accepted yesterday (no rate, a
    # gap); 1 of 2 returned and 1 converted today.
    assert sets == {
        "Return rate (%)": [75.0, None, 50.0],
        "Conversion rate (%)": [25.0, None, 50.0],
    }


def test_it_counts_approved_returns_only_across_every_source(quality_client, history):
    _labels, sets = chart(quality_client, by="rates", start="2026-03-08")

    # Today: 3 accepted (2 + the other source's 1); its return waits for review.
    assert sets["Return rate (%)"] == [75.0, None, 33.3]
    assert sets["Conversion rate (%)"] == [25.0, None, 33.3]


def test_it_answers_returns_by_reason_most_frequent_first(quality_client, history):
    labels, sets = chart(
        quality_client, by="reasons", campaign=history.campaign_id, start="2026-03-08"
    )

    assert labels == ["2026-03-08", "2026-03-09", "2026-03-10"]
    assert list(sets) == ["fraud", "disconnected", "wrong_number"]
    assert sets == {"fraud": [2, 0, 0], "disconnected": [0, 0, 1], "wrong_number": [1, 0, 0]}


def test_the_reasons_add_up_to_the_source_quality_api(quality_client, history):
    _labels, sets = chart(quality_client, by="reasons", source=history.source_id)
    api = api_client("feedback.view_contactreturn")

    with time_machine.travel(NOON, tick=False):
        (row,) = api.get(f"/api/v1/feedback/source-quality/?source={history.source_id}").json()

    assert {reason: sum(values) for reason, values in sets.items()} == row["reasons"]


def test_one_day_is_drawn_in_hours(quality_client, history):
    labels, sets = chart(
        quality_client, by="rates", source=history.source_id, start="2026-03-10", end="2026-03-10"
    )

    assert len(labels) == 24 and labels[9] == "2026-03-10 09:00"
    assert sets["Return rate (%)"][9] == 50.0
    assert [v for n, v in enumerate(sets["Return rate (%)"]) if n != 9] == [None] * 23


def test_it_refuses_an_unknown_chart(quality_client):
    response = quality_client.get(URL, {"by": "weather"})

    assert response.status_code == 400
    assert response.json() == {"error": "'by' must be one of rates, reasons."}


def test_only_staff_with_the_returns_permission_get_the_data(client, quality_client):
    intern = User.objects.create_user("intern", password="x", is_staff=True)
    intern.user_permissions.add(Permission.objects.get(codename="view_intakeevent"))
    vendor = User.objects.create_user("vendor", password="x")
    vendor.user_permissions.add(Permission.objects.get(codename="view_contactreturn"))
    others = Client()

    others.force_login(intern)
    refused = others.get(URL, {"by": "rates"})
    others.force_login(vendor)
    redirected = others.get(URL, {"by": "rates"})

    assert quality_client.get(URL, {"by": "rates"}).status_code == 200
    assert refused.status_code == 403
    assert redirected.status_code == 302 and redirected["Location"].startswith("/admin/login/")


def page_of(client, url: str, **params) -> str:
    with time_machine.travel(NOON, tick=False):
        response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_source_page_charts_its_quality_over_the_pages_range(marketer_client, history):
    page = page_of(
        marketer_client, f"/admin/sources/source/{history.source_id}/change/", start="2026-03-10"
    )

    panel = page[page.index('id="source-returns"') :]
    query = f"start=2026-03-10&amp;end=2026-03-10&amp;bucket=hour&amp;source={history.source_id}"
    for kind in ("rates", "reasons"):
        assert f'data-chart-url="/admin/charts/quality/?{query}&amp;by={kind}"' in panel
    # The table covers the same range: today's 2 contacts, 1 returned.
    assert "Contacts accepted from 2026-03-10 to 2026-03-10" in panel
    assert '<td class="return-rate">50 %</td>' in panel
    # One range form and one copy of the scripts: the Stats panel's, above.
    assert page.count('class="cs-range"') == 1 and page.count("chart.umd.min.js") == 1
    assert page.index('id="source-stats"') < page.index('id="source-returns"')


def test_without_the_stats_panel_the_returns_panel_brings_the_form_and_scripts(client, history):
    user = User.objects.create_user("analyst", password="x", is_staff=True)
    for codename in ("view_contactreturn", "view_campaign"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(user)

    page = page_of(client, f"/admin/campaigns/campaign/{history.campaign_id}/change/")

    assert 'id="campaign-stats"' not in page
    panel = page[page.index('id="campaign-returns"') :]
    assert 'class="cs-range"' in panel and "chart.umd.min.js" in panel
    assert f"campaign={history.campaign_id}&amp;by=rates" in panel


def test_the_dashboard_charts_return_rates_over_its_range(marketer_client, history):
    page = page_of(marketer_client, "/admin/dashboard/", start="2026-03-08", end="2026-03-09")

    section = page[page.index('id="dashboard-returns"') :]
    query = "start=2026-03-08&amp;end=2026-03-09&amp;bucket=hour"
    for kind in ("rates", "reasons"):
        assert f'data-chart-url="/admin/charts/quality/?{query}&amp;by={kind}"' in section
    assert "Contacts accepted from 2026-03-08 to 2026-03-09" in section
    assert '<td class="return-rate">75 %</td>' in section  # today's contacts are out of range
