from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from contactsource.tokens import token_matches
from ingest.services import source_token_valid
from sources.models import Source, SourceCampaign
from tests.factories import (
    CapFactory,
    IntakeEventFactory,
    SourceCampaignFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def noon():
    """Mid-day, so "today" and the last days' buckets cannot change under the test."""
    with time_machine.travel("2026-03-10 12:00:00+00:00"):
        yield


LIST = "/admin/sources/source/"


class FormValues(HTMLParser):
    """What a browser would submit for a rendered admin form (inputs, selects, textareas)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, Any] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and name and a.get("type") not in ("submit", "file", "checkbox"):
            self.values[name] = a.get("value", "")
        elif tag == "input" and name and "checked" in a:
            self.values[name] = "on"
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        self._select = None if tag == "select" else self._select
        self._textarea = None if tag == "textarea" else self._textarea


def form_values(client, url: str) -> dict[str, Any]:
    parser = FormValues()
    parser.feed(client.get(url).content.decode())
    return parser.values


def shown_token(page: str, source_id: int | None = None) -> str:
    where = f'id="source-token-{source_id}"' if source_id else 'class="cs-token"'
    match = re.search(where + r"[^>]*>([^<]+)</p>", page)
    assert match, "the page shows no token"
    return match[1]


def test_the_list_shows_todays_accepted_rejected_and_cost(marketer_client):
    entry: SourceCampaign = SourceCampaignFactory.create(cost=Decimal("2.50"))
    IntakeEventFactory.create_batch(2, entry=entry)
    IntakeEventFactory(entry=entry, status="duplicate")
    IntakeEventFactory(entry=entry, created_at=timezone.now() - timedelta(days=2))
    quiet: Source = SourceFactory.create()

    response = marketer_client.get(LIST)

    rows = {source.pk: source.today for source in response.context["cl"].result_list}
    assert (rows[entry.source_id].accepted, rows[entry.source_id].rejected) == (2, 1)
    assert rows[entry.source_id].cost == Decimal("5.00")
    assert rows[quiet.pk].total == 0
    page = response.content.decode()
    assert "accepted today" in page and "5.00" in page


def test_the_list_filters_by_published_category_and_campaign_and_finds_ids(marketer_client):
    social: Source = SourceFactory.create(category="Social", name="Facebook leads")
    SourceFactory(category="Affiliates", is_published=False, name="Old affiliate")
    fed: SourceCampaign = SourceCampaignFactory.create(source__name="Fed")
    SourceCampaignFactory(source=social)  # a second campaign, so the filter is offered

    def names(**params):
        return {s.name for s in marketer_client.get(LIST, params).context["cl"].result_list}

    assert names(category="Social") == {"Facebook leads"}
    assert names(is_published__exact="0") == {"Old affiliate"}
    assert names(entries__campaign__id__exact=fed.campaign_id) == {"Fed"}
    assert names(q="facebook") == {"Facebook leads"}
    assert names(q=str(social.pk)) >= {"Facebook leads"}


def test_a_new_sources_token_is_shown_once_on_the_page(marketer_client):
    values = form_values(marketer_client, f"{LIST}add/")
    values.update(name="Vendor X", category="Affiliates")

    response = marketer_client.post(f"{LIST}add/", values)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    source = Source.objects.get(name="Vendor X")
    token = shown_token(response.content.decode())
    assert token_matches(token, source.token_hash)
    # Nothing kept it: the next page (and the session's messages) does not show it again.
    assert token not in marketer_client.get(f"{LIST}{source.pk}/change/").content.decode()


def test_rotation_shows_the_new_token_and_keeps_the_old_one_for_the_grace_period(
    marketer_client,
):
    source: Source = SourceFactory.create()
    url = f"{LIST}{source.pk}/rotate-token/"
    assert 'value="24"' in marketer_client.get(url).content.decode()  # the setting's default

    response = marketer_client.post(url, {"grace_hours": "2"})

    token = shown_token(response.content.decode())
    source.refresh_from_db()
    now = timezone.now()
    assert source_token_valid(source, token, now)
    assert source_token_valid(source, source.token, now + timedelta(hours=1))  # type: ignore[attr-defined]
    assert not source_token_valid(source, source.token, now + timedelta(hours=3))  # type: ignore[attr-defined]
    assert "keeps working for 2 hours" in response.content.decode()


def test_the_rotate_action_shows_every_new_token(marketer_client):
    first: Source = SourceFactory.create()
    second: Source = SourceFactory.create()

    response = marketer_client.post(
        LIST, {"action": "rotate_token", "_selected_action": [first.pk, second.pk]}
    )

    page = response.content.decode()
    assert page.count('class="cs-token"') == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert token_matches(shown_token(page, first.pk), first.token_hash)
    assert token_matches(shown_token(page, second.pk), second.token_hash)


def test_the_source_page_has_its_charts_caps_docs_link_and_shortcuts(marketer_client):
    entry: SourceCampaign = SourceCampaignFactory.create()
    CapFactory(campaign=entry.campaign, source=entry.source, limit=Decimal("10"))

    page = marketer_client.get(f"{LIST}{entry.source_id}/change/").content.decode()

    assert "/admin/charts/intake/?start=" in page and f"source={entry.source_id}" in page
    assert 'data-chart-kind="campaign"' in page
    assert 'class="cs-cap cs-cap-ok"' in page and "0 / 10" in page
    assert f'href="/source/{entry.source_id}"' in page
    assert f"/admin/imports/contactimport/add/?source={entry.source_id}" in page
    assert f"/admin/sources/source/{entry.source_id}/rotate-token/" in page


def test_staff_without_permissions_cannot_rotate_tokens(client):
    source: Source = SourceFactory.create()
    client.force_login(User.objects.create_user("intern", password="x", is_staff=True))

    assert client.post(f"{LIST}{source.pk}/rotate-token/", {"grace_hours": "0"}).status_code == 403
    source.refresh_from_db()
    assert source.token_rotated_at is None
