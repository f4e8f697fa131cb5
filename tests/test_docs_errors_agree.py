"""The docs page's errors table and the intake's real answers agree, both ways (issue 15).

The table is read from the rendered page of a real source (as a partner sees it), and every row
is produced by a real request to the intake: the status code, the status, the error key and the
message must match the row (text in <angle brackets> stands for what varies). The other way
round, every refusal in the catalogue (ingest/errors.py) has a request here that produces it,
or a reason below why none can; and every answer those requests get is a row of the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from contactsource.auth_failures import local_blocks_clear
from ingest import errors
from tests.factories import CampaignFieldFactory
from tests.intake_refusals import BATCH, SCENARIOS, SINGLE, Answer, World, an_entry

# Real transactions: the 500 is a real server-side error that rolls back the intake's own
# transaction, and the 503 is a real refused connection.
pytestmark = pytest.mark.django_db(transaction=True)

# Refusals of the catalogue that no request here produces, and why. Empty: every one is made.
EXCLUDED: dict[str, str] = {}

# The page's tables of errors: every refusal, and the batch route's own.
TABLES = {"errors-table": SINGLE, "batch-errors-table": BATCH}


@dataclass(frozen=True)
class Row:
    route: str  # the table it is in: SINGLE (any route) or BATCH (the batch route only)
    http_status: int
    status: str
    key: str
    message: str


class _Tables(HTMLParser):
    """The body rows of the tables with the given ids, each cell's text unescaped."""

    def __init__(self, ids: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.ids = ids
        self.table: str | None = None
        self.in_body = False
        self.rows: list[tuple[str, list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and dict(attrs).get("id") in self.ids:
            self.table = dict(attrs)["id"]
        elif self.table and tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append((self.table or "", []))
        elif self.in_body and tag == "td":
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if self.cell is not None and tag == "td":
            self.rows[-1][1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table":
            self.table, self.in_body = None, False

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def rendered_rows(page: str) -> list[Row]:
    parser = _Tables(set(TABLES))
    parser.feed(page)
    assert {table for table, _ in parser.rows} == set(TABLES), "an errors table is missing"
    return [Row(TABLES[table], int(cells[0]), *cells[1:]) for table, cells in parser.rows]


def _pattern(text: str) -> re.Pattern[str]:
    """A row's text as a pattern: each <placeholder> stands for any non-empty text."""
    parts = re.split(r"<[^<>]+>", text)
    return re.compile(".+?".join(re.escape(part) for part in parts), re.S)


def agrees(row: Row, answer: Answer) -> bool:
    if (row.http_status, row.status) != (answer.http_status, answer.status):
        return False
    if row.route == BATCH and answer.route != BATCH:
        return False
    key, message = _pattern(row.key), _pattern(row.message)
    return any(
        key.fullmatch(k) and message.fullmatch(str(m)) for k, m in (answer.errors or {}).items()
    )


@pytest.fixture
def world(client: Client, settings: Any) -> Iterator[World]:
    settings.PUBLIC_BASE_URL = "https://leads.example.com"
    yield World(client, an_entry())
    local_blocks_clear()


def page_rows(w: World) -> list[Row]:
    response = w.client.get(f"/source/{w.entry.source_id}", headers={"token": w.token})
    assert response.status_code == 200
    return rendered_rows(response.content.decode())


def test_every_row_of_the_table_is_the_answer_of_a_real_request(world: World) -> None:
    rows = page_rows(world)
    answers = {}
    for code, how, scenario in SCENARIOS:
        world.entry = an_entry()  # each request starts from a fresh entry
        answers[(code, how)] = scenario(world)

    unmatched_rows = [row for row in rows if not any(agrees(row, a) for a in answers.values())]
    unlisted = {
        name: answer
        for name, answer in answers.items()
        if sum(agrees(row, answer) for row in rows) != 1
    }
    assert not unmatched_rows, f"rows no request answers: {unmatched_rows}"
    assert not unlisted, f"answers not exactly one row of the table: {unlisted}"


def test_every_refusal_of_the_catalogue_is_made_here_or_excluded_with_a_reason() -> None:
    catalogue = {r.code for r in (*errors.ALL_REFUSALS, *errors.BATCH_REFUSALS)}
    made = {code for code, _, _ in SCENARIOS}
    assert not made & set(EXCLUDED)
    assert catalogue - set(EXCLUDED) <= made, catalogue - made - set(EXCLUDED)
    assert made <= catalogue


def test_a_changed_row_no_longer_agrees(world: World) -> None:
    """The comparison itself: a row whose message or code is edited matches no answer."""
    answer = world.post({})
    row = next(r for r in page_rows(world) if agrees(r, answer))
    assert agrees(row, answer)
    assert not agrees(replace(row, message=row.message + " Sorry."), answer)
    assert not agrees(replace(row, http_status=400), answer)
    assert not agrees(replace(row, key="empty"), answer)
    assert not agrees(replace(row, route=BATCH), answer)


def test_each_campaigns_invalid_value_messages_are_the_real_answers(client: Client) -> None:
    """A required field with an invalid value answers its own message, not the table's
    "… is required.": each campaign lists them, and they are what the intake answers."""
    entry = an_entry()
    campaign = entry.campaign
    CampaignFieldFactory(campaign=campaign, key="vehicle_year", type="number", required=True)
    CampaignFieldFactory(campaign=campaign, key="notes", type="text")
    CampaignFieldFactory(campaign=campaign, key="roof", type="select", choices=["tile", "metal"])
    w = World(client, entry)
    table = f"field-errors-{campaign.pk}"
    parser = _Tables({table})
    response = client.get(f"/source/{entry.source_id}", headers={"token": w.token})
    parser.feed(response.content.decode())
    rows = [cells for _, cells in parser.rows]
    assert {key for key, _, _ in rows} == {"email", "vehicle_year", "notes", "roof"}

    for n, (key, shown, message) in enumerate(rows):
        valid = {"email": f"ada{n}@example.com", "vehicle_year": 2019}
        # A long value is shown by its start and length ("xxxxxxxxxxxx… (300 characters)").
        long = re.fullmatch(r"(.)\1*… \((\d+) characters\)", shown)
        sent = long.group(1) * int(long.group(2)) if long else shown
        answer = w.post({**valid, key: sent})
        assert answer.errors.get(key) == message, (key, answer)
        assert answer.http_status == (422 if key in valid else 200)
