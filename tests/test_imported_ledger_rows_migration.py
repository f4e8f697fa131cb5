"""Ledger rows that imports wrote before they were marked "imported" are marked by a data
migration (imports 0002), so a cap's recount leaves them out as it leaves out the new ones.

The test takes the database back to before the migration, imports a file and posts a contact
with today's code, blanks the imported rows' memo (as imports left it then), migrates forward
and checks which rows were marked: the imported contacts' cost and revenue rows, nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from finance.models import Cap, CapCounter, LedgerEntry
from finance.services import IMPORTED_MEMO, cap_save, ledger_reverse_contact
from imports.models import ContactImport, ImportStatus
from imports.services import contact_import_create, contact_import_run_chunk
from ingest.models import IntakeEvent
from sources.models import SourceCampaign
from tests.factories import CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("imports", "0001_initial")]
MIGRATION = ("imports", "0002_mark_imported_ledger_rows")


@pytest.fixture
def executor() -> Iterator[MigrationExecutor]:
    executor = MigrationExecutor(connection)
    yield executor
    # Whatever happened, leave the database at the latest schema for the tests after this one.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


def _import(entry: SourceCampaign, emails: list[str]) -> ContactImport:
    """A CSV import run to its end by today's code (queued directly: no Celery here)."""
    content = "email\n" + "".join(f"{email}\n" for email in emails)
    imp = contact_import_create(
        source=entry.source, campaign=entry.campaign, filename="old.csv", content=content.encode()
    )
    ContactImport.objects.filter(pk=imp.pk).update(mapping=imp.mapping, status=ImportStatus.QUEUED)
    while contact_import_run_chunk(import_id=imp.pk):
        pass
    return imp


def _memos(contact_ids: set[int]) -> set[tuple[str, str]]:
    rows = LedgerEntry.objects.filter(contact_id__in=contact_ids)
    return set(rows.values_list("kind", "memo"))


def test_it_marks_the_rows_old_imports_wrote_and_nothing_else(executor, post_contact):
    executor.migrate(BEFORE)
    entry: SourceCampaign = SourceCampaignFactory.create(
        cost=Decimal("1.00"), campaign__timezone="UTC"
    )
    CampaignFieldFactory(campaign=entry.campaign, key="email", type="email", required=True)
    imp = _import(entry, [f"old{n}@example.com" for n in range(3)])
    imported = set(
        IntakeEvent.objects.filter(request_id=imp.public_id).values_list("contact_id", flat=True)
    )
    assert len(imported) == 3
    # As imports wrote them before they were marked.
    assert LedgerEntry.objects.filter(memo=IMPORTED_MEMO).update(memo="") == 6
    returned, corrected = sorted(imported)[:2]
    ledger_reverse_contact(contact_id=returned, memo="return 1: not interested")
    LedgerEntry.objects.filter(contact_id=corrected, kind="revenue").update(memo="by hand")
    assert post_contact(entry, {"email": "live@example.com"}).status_code == 200
    posted = set(
        IntakeEvent.objects.filter(contact__isnull=False).values_list("contact", flat=True)
    )
    posted -= imported

    executor.loader.build_graph()
    executor.migrate([MIGRATION])

    others = imported - {returned, corrected}
    assert _memos(others) == {("cost", IMPORTED_MEMO), ("revenue", IMPORTED_MEMO)}
    # A memo already written is never replaced.
    assert _memos({corrected}) == {("cost", IMPORTED_MEMO), ("revenue", "by hand")}
    assert _memos({returned}) == {
        ("cost", IMPORTED_MEMO),
        ("revenue", IMPORTED_MEMO),
        ("reversal", "return 1: not interested"),
    }
    assert _memos(posted) == {("cost", ""), ("revenue", "")}

    # What the marking is for: a new cap's recount counts the posted contact only.
    cap = cap_save(
        cap=Cap(campaign=entry.campaign, source=entry.source, limit=Decimal("3"), duration="PT1H")
    )
    assert sum(c.used for c in CapCounter.objects.filter(cap=cap)) == 1
