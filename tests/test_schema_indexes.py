"""The tables an accepted post writes carry no index that another index already covers.

Each index is one more entry written per row. A plain one-column index is redundant where
another index of the same table starts with that column (same operator class, no condition):
that one serves the same lookups, and a foreign key's checks too. A post writes the tables
below (docs/benchmarks.md, session 7: 54 index entries per post before, 45 after).
"""

from __future__ import annotations

import pytest
from django.db import connection

from finance.models import CapCounter, LedgerEntry
from ingest.models import Contact, IntakeEvent
from subscriptions.models import CallbackDelivery, Person, Subscription

WRITTEN_BY_A_POST = [
    Contact,
    IntakeEvent,
    LedgerEntry,
    CapCounter,
    Person,
    Subscription,
    CallbackDelivery,
]

REDUNDANT = """
SELECT t.relname, i.relname, o.relname
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_index y ON y.indrelid = x.indrelid AND y.indexrelid <> x.indexrelid
    AND y.indnatts > 1 AND y.indpred IS NULL AND y.indexprs IS NULL
    AND y.indkey[0] = x.indkey[0] AND y.indclass[0] = x.indclass[0]
JOIN pg_class o ON o.oid = y.indexrelid
WHERE t.relname = ANY(%s) AND x.indnatts = 1 AND NOT x.indisunique
    AND x.indpred IS NULL AND x.indexprs IS NULL
ORDER BY 1, 2
"""


@pytest.mark.django_db
def test_no_index_on_a_posts_tables_is_covered_by_another() -> None:
    tables = [model._meta.db_table for model in WRITTEN_BY_A_POST]
    with connection.cursor() as cursor:
        cursor.execute(REDUNDANT, [tables])
        redundant = cursor.fetchall()

    assert redundant == []


@pytest.mark.django_db
def test_the_query_finds_a_covered_index() -> None:
    # The check itself: an index the composite covers is found (then dropped with the test's
    # transaction).
    with connection.cursor() as cursor:
        cursor.execute('CREATE INDEX "covered_probe" ON "finance_ledgerentry" ("source_id")')
        cursor.execute(REDUNDANT, [["finance_ledgerentry"]])
        found = cursor.fetchall()

    assert found == [("finance_ledgerentry", "covered_probe", "ledger_source_time_idx")]
