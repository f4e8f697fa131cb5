from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User

from tests.factories import IntakeEventFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def noon():
    """Mid-day, so "today" and the last days' buckets cannot change under the test."""
    with time_machine.travel("2026-03-10 12:00:00+00:00"):
        yield


def test_the_dashboard_shows_todays_totals_and_four_charts(marketer_client):
    entry = SourceCampaignFactory(cost=Decimal("2.00"), campaign__revenue=Decimal("5.00"))
    IntakeEventFactory.create_batch(3, entry=entry)
    IntakeEventFactory(entry=entry, status="duplicate")

    response = marketer_client.get(
        "/admin/dashboard/", {"start": "2026-01-01", "end": "2026-01-31"}
    )

    assert response.status_code == 200
    today = response.context["today_totals"]
    assert (today.accepted, today.rejected, today.cost, today.margin) == (
        3,
        1,
        Decimal("6.00"),
        Decimal("9.00"),
    )
    assert response.context["range_totals"].total == 0  # January has nothing
    page = response.content.decode()
    for kind in ("status", "campaign", "source", "money"):
        assert f'data-chart-kind="{kind}"' in page
    assert "start=2026-01-01&amp;end=2026-01-31&amp;bucket=day&amp;by=money" in page


def test_the_admin_index_links_the_marketers_pages(marketer_client):
    page = marketer_client.get("/admin/").content.decode()

    for url in (
        "/admin/dashboard/",
        "/admin/ingest/intakeevent/",
        "/admin/imports/contactimport/add/",
    ):
        assert f'href="{url}"' in page


def test_the_dashboard_is_for_staff_only(client):
    assert client.get("/admin/dashboard/")["Location"].startswith("/admin/login/")
    client.force_login(User.objects.create_user("vendor", password="x"))
    assert client.get("/admin/dashboard/")["Location"].startswith("/admin/login/")
