from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.utils import timezone

from sources.models import SourceCampaign
from tests.factories import IntakeEventFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def noon():
    """Mid-day, so "today" and the last days' buckets cannot change under the test."""
    with time_machine.travel("2026-03-10 12:00:00+00:00"):
        yield


URL = "/admin/charts/intake/"


@pytest.fixture
def entry():
    entry = SourceCampaignFactory(cost=Decimal("2.00"), campaign__revenue=Decimal("5.00"))
    IntakeEventFactory.create_batch(2, entry=entry)
    IntakeEventFactory(entry=entry, status="invalid")
    IntakeEventFactory(entry=entry, created_at=timezone.now() - timedelta(days=2))
    return entry


def test_it_answers_chartjs_data_for_intake_by_status(marketer_client, entry):
    today = timezone.localdate()
    start = (today - timedelta(days=2)).isoformat()

    data = marketer_client.get(URL, {"by": "status", "start": start}).json()

    assert set(data) == {"labels", "datasets"}
    assert data["labels"] == [(today - timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    by_label = {d["label"]: d for d in data["datasets"]}
    assert by_label["Accepted"]["data"] == [1, 0, 2]
    assert by_label["Invalid"]["data"] == [0, 0, 1]
    assert by_label["Accepted"]["borderColor"].startswith("rgb(")


def test_it_draws_money_and_groups_for_one_source(marketer_client, entry):
    other: SourceCampaign = SourceCampaignFactory.create(source=entry.source)
    IntakeEventFactory(entry=other)
    params = {"source": entry.source_id, "start": timezone.localdate().isoformat()}

    money = marketer_client.get(URL, {**params, "by": "money"}).json()
    campaigns = marketer_client.get(URL, {**params, "by": "campaign"}).json()

    assert money["labels"][0].endswith(":00")  # one day: hourly buckets
    totals = {d["label"]: sum(d["data"]) for d in money["datasets"]}
    assert totals == {"Cost": 6.5, "Revenue": 15.0, "Margin": 8.5}
    assert {d["label"]: sum(d["data"]) for d in campaigns["datasets"]} == {
        entry.campaign.name: 2,
        other.campaign.name: 1,
    }


def test_it_refuses_an_unknown_chart(marketer_client):
    response = marketer_client.get(URL, {"by": "weather"})

    assert response.status_code == 400
    assert "must be one of" in response.json()["error"]


def test_non_staff_users_are_sent_to_the_login_page(client):
    user = User.objects.create_user("vendor", password="x")
    client.force_login(user)

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_the_permission_are_refused(client):
    client.force_login(User.objects.create_user("intern", password="x", is_staff=True))

    assert client.get(URL).status_code == 403


def test_chartjs_is_served_from_our_static_files_not_a_cdn(marketer_client):
    path = finders.find("vendor/chartjs/chart.umd.min.js")
    assert path is not None
    with open(path, encoding="utf-8") as handle:
        assert "Chart.js v4" in handle.read(200)

    page = marketer_client.get("/admin/dashboard/").content.decode()

    assert '<script src="/static/vendor/chartjs/chart.umd.min.js">' in page
    assert '<script src="http' not in page and "//cdn" not in page
