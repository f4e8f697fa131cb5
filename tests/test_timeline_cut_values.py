"""The timeline says plainly that a logged value was cut, and stays small (issue 15).

The log keeps each posted value cut to 1,000 characters with a marker (ingest/eventlog.py); a
500,000-character first name once made the timeline page grow from 18 KB to 541 KB. The marker
alone sat at the end of 1,000 unbroken characters, inside a collapsed box: a "cut" badge on the
event's row and a plain line, on the list and on the event's page, say which value was cut.
"""

from __future__ import annotations

import html
import re

import pytest

from ingest.models import IntakeEvent

pytestmark = pytest.mark.django_db

MARKER = "…[cut: 500,000 characters]"
SMALL = 60_000  # bytes; the list was 18 KB before a long value, 541 KB with one


@pytest.fixture
def cut_event(entry, post_contact) -> IntakeEvent:
    answer = post_contact(entry, {"email": "long@example.com", "firstname": "A" * 500_000})
    assert answer.status_code == 200
    return IntakeEvent.objects.get()


def text(response) -> str:
    """The page as text: tags dropped, entities unescaped, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_the_timeline_list_shows_the_cut_and_stays_small(cut_event, marketer_client):
    response = marketer_client.get("/admin/ingest/intakeevent/")

    assert response.status_code == 200
    assert len(response.content) < SMALL
    page = response.content.decode()
    row = page[page.index(f'data-event-id="{cut_event.pk}"') :]
    # The status cell: the one holding the status badge (a selection column may come first).
    start = row.index('<td><span class="cs-badge cs-status-')
    status_cell = row[start : row.index("</td>", start)]
    assert '<span class="cs-badge cs-cut"' in status_cell
    words = text(response)
    assert "cut Logged cut to their first 1,000 characters: firstname (500,000 characters " in (
        words
    )
    assert MARKER in words


def test_the_events_page_shows_the_cut_and_stays_small(cut_event, marketer_client):
    response = marketer_client.get(f"/admin/ingest/intakeevent/{cut_event.pk}/change/")

    assert response.status_code == 200
    assert len(response.content) < SMALL
    words = text(response)
    assert "Values cut: cut firstname: 500,000 characters posted, the first 1,000 kept" in words
    assert MARKER in words
    # Said before the fields it speaks of.
    assert words.index("Values cut:") < words.index("Fields provided:")


def test_an_event_without_a_cut_value_says_none(entry, post_contact, marketer_client):
    post_contact(entry, {"email": "short@example.com", "firstname": "Ada"})
    event = IntakeEvent.objects.get()

    listing = marketer_client.get("/admin/ingest/intakeevent/").content.decode()
    page = text(marketer_client.get(f"/admin/ingest/intakeevent/{event.pk}/change/"))

    assert "cs-cut" not in listing
    assert "Values cut: none" in page
