"""An import task reads its next chunk while the current one is written: the rows, problems and
events come out as they do chunk by chunk, and a read ahead is dropped when what it depended on
changed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from imports import services as import_services
from imports.models import ContactImport, ContactImportProblem
from imports.services import (
    ChunkReader,
    contact_import_create,
    contact_import_run_chunk,
    contact_import_start,
)
from ingest.models import Contact, IntakeEvent
from tests.factories import CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db

# Good rows, invalid ones, a duplicate of an earlier chunk's row, a warned one, blank lines and
# a quoted value over two lines, so that chunk boundaries fall on each kind.
ROWS = [
    "ada@example.com,Ada,33602",
    "not-an-email,Bob,33602",
    "grace@example.com,Grace,hello",
    "",
    'linus@example.com,"Linus\nTorvalds",33602',
    "ada@example.com,Ada again,33602",
    ",Nobody,33602",
    *[f"p{i}@example.com,P{i},3360{i % 10}" for i in range(23)],
    "",
    "ADA@example.com,Ada thrice,33602",
]
TEXT = "E-mail,First Name,Zip\n" + "\n".join(ROWS) + "\n"


def an_entry():
    entry = SourceCampaignFactory(cost=Decimal("2.50"), campaign__revenue=Decimal("6.00"))
    CampaignFieldFactory(campaign=entry.campaign, key="email", type="email", required=True)
    CampaignFieldFactory(campaign=entry.campaign, key="firstname", type="text")
    CampaignFieldFactory(campaign=entry.campaign, key="zipcode", type="zipcode")
    return entry


def started(entry) -> ContactImport:
    imp = contact_import_create(
        source=entry.source, campaign=entry.campaign, filename="leads.csv", content=TEXT.encode()
    )
    contact_import_start(contact_import=imp, mapping=imp.mapping)
    return imp


def outcome(imp: ContactImport):
    imp.refresh_from_db()
    contacts = Contact.objects.filter(campaign=imp.campaign).order_by("pk")
    events = IntakeEvent.objects.filter(campaign=imp.campaign).order_by("pk")
    problems = ContactImportProblem.objects.filter(contact_import=imp).order_by("row_number")
    return (
        (imp.status, imp.offset, imp.rows_processed, imp.rows_imported),
        (imp.rows_invalid, imp.rows_duplicate, imp.rows_warned),
        [(c.email, c.firstname, c.zipcode, c.status) for c in contacts],
        [(e.batch_index, e.status, e.fields_provided, e.fields_stored, e.errors) for e in events],
        [(p.row_number, p.outcome, p.values, p.errors, p.contact_id is None) for p in problems],
    )


def run(imp: ContactImport, reader: ChunkReader | None, rows: int = 4) -> None:
    for _ in range(100):
        if not contact_import_run_chunk(import_id=imp.pk, rows=rows, reader=reader):
            return


def test_an_import_read_ahead_stores_what_one_read_chunk_by_chunk_stores(monkeypatch):
    slices = []
    real = import_services.contact_import_bytes

    def counted(**kwargs):
        slices.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(import_services, "contact_import_bytes", counted)
    plain, ahead = started(an_entry()), started(an_entry())

    run(plain, None)
    read_plain = len(slices)
    run(ahead, ChunkReader())

    assert outcome(ahead) == outcome(plain)
    assert outcome(plain)[0][2] == len([r for r in ROWS if r])
    assert read_plain > 5 and len(slices) - read_plain == 1  # the whole file in one slice


def test_a_read_ahead_is_dropped_when_the_campaign_fields_change():
    plain, ahead = started(an_entry()), started(an_entry())
    reader = ChunkReader()
    assert contact_import_run_chunk(import_id=plain.pk, rows=4)
    assert contact_import_run_chunk(import_id=ahead.pk, rows=4, reader=reader)
    assert reader.ahead is not None

    for imp in (plain, ahead):
        CampaignFieldFactory(campaign=imp.campaign, key="phone", type="tel", required=True)
    run(plain, None)
    run(ahead, reader)

    assert outcome(ahead) == outcome(plain)
    assert outcome(plain)[0][3] == 3  # the first chunk's; every row after it lacks a phone


def test_a_read_ahead_is_dropped_when_another_delivery_ran_a_chunk_meanwhile():
    plain, ahead = started(an_entry()), started(an_entry())
    reader = ChunkReader()
    assert contact_import_run_chunk(import_id=ahead.pk, rows=4, reader=reader)
    assert contact_import_run_chunk(import_id=ahead.pk, rows=4)  # a second delivery

    run(ahead, reader)
    run(plain, None)

    assert outcome(ahead) == outcome(plain)
