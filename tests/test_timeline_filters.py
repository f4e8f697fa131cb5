from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from reports.selectors import Cursor, TimelineFilter, timeline_page
from tests.factories import IntakeEventFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db

URL = "/admin/ingest/intakeevent/"
NOON = datetime(2026, 3, 10, 12, tzinfo=UTC)


@pytest.fixture
def events():
    first, second = SourceCampaignFactory(), SourceCampaignFactory()
    return {
        "ada": IntakeEventFactory(
            entry=first, email="Ada@example.com", phone="+17272870426", created_at=NOON
        ),
        "bad": IntakeEventFactory(
            entry=first,
            status="invalid",
            email="",
            errors={"email": "Email is not a valid email address."},
            fields_stored={"firstname": "Bob"},
            created_at=NOON + timedelta(hours=1),
        ),
        "grace": IntakeEventFactory(
            entry=second, email="grace@example.com", created_at=NOON - timedelta(days=1)
        ),
        "entries": (first, second),
    }


def ids(rows):
    return [row.pk for row in rows]


def test_it_lists_newest_first_and_filters_by_source_campaign_and_status(events):
    first, second = events["entries"]
    everything, _ = timeline_page(TimelineFilter())
    assert ids(everything) == [events["bad"].pk, events["ada"].pk, events["grace"].pk]

    by_source, _ = timeline_page(TimelineFilter(source_id=first.source_id))
    by_campaign, _ = timeline_page(TimelineFilter(campaign_id=second.campaign_id))
    invalid, _ = timeline_page(TimelineFilter(status="invalid"))

    assert ids(by_source) == [events["bad"].pk, events["ada"].pk]
    assert ids(by_campaign) == [events["grace"].pk]
    assert ids(invalid) == [events["bad"].pk]


def test_it_filters_by_a_date_range(events):
    day = TimelineFilter(start=NOON - timedelta(hours=12), end=NOON + timedelta(hours=12))

    rows, _ = timeline_page(day)

    assert ids(rows) == [events["bad"].pk, events["ada"].pk]


@pytest.mark.parametrize(
    "text",
    ["Ada@example.com", "Ada@EXAMPLE.com", "  Ada@example.com ", "(727) 287-0426", "+17272870426"],
)
def test_a_whole_email_or_phone_matches_exactly(events, text):
    rows, _ = timeline_page(TimelineFilter(text=text))

    assert ids(rows) == [events["ada"].pk]


def test_a_part_of_an_email_or_phone_matches_too(events):
    by_domain, _ = timeline_page(TimelineFilter(text="example.com"))
    by_digits, _ = timeline_page(TimelineFilter(text="2870"))

    assert ids(by_domain) == [events["ada"].pk, events["grace"].pk]
    assert ids(by_digits) == [events["ada"].pk]


def test_pages_follow_each_other_without_gaps_or_repeats(events):
    entry = events["entries"][0]
    same_moment = NOON + timedelta(days=1)
    IntakeEventFactory.create_batch(5, entry=entry, created_at=same_moment)

    seen, cursor = [], None
    while True:
        rows, cursor = timeline_page(TimelineFilter(), after=cursor, size=2)
        seen += ids(rows)
        if cursor is None:
            break
        cursor = Cursor.decode(cursor.encode())  # as it travels in the URL

    assert len(seen) == 8 and len(set(seen)) == 8


def test_the_page_shows_fields_and_errors_and_keeps_the_filter_in_its_links(
    marketer_client, events
):
    IntakeEventFactory.create_batch(55, entry=events["entries"][0], created_at=NOON)

    response = marketer_client.get(URL, {"status": "accepted", "q": "example"})

    assert response.status_code == 200
    page = response.content.decode()
    assert len(response.context["rows"]) == 50
    assert "status=accepted&amp;q=example&amp;after=" in page
    assert 'href="/admin/ingest/intakeevent/export.csv?status=accepted&amp;q=example"' in page

    invalid = marketer_client.get(URL, {"status": "invalid"}).content.decode()
    assert "Email is not a valid email address." in invalid
    assert "firstname: Bob" in invalid


def test_the_timeline_is_for_staff_only(client):
    assert client.get(URL)["Location"].startswith("/admin/login/")
    client.force_login(User.objects.create_user("vendor", password="x"))
    assert client.get(URL)["Location"].startswith("/admin/login/")
