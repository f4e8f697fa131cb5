"""Moving models between apps (DESIGN §2 layers) keeps every row and every granted permission.

The CSV imports moved from ingest to imports, the hourly stats to reports, and the ledger's link
to a contact became a plain id. The test takes a database back to the schema before the move,
fills it as the app did then, migrates forward and compares.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from finance.models import LedgerEntry
from imports.models import ContactImport, ContactImportProblem
from ingest.models import Contact
from reports.models import IntakeStatHour, IntakeStatRollup
from sources.models import SourceCampaign
from tests.factories import CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_THE_MOVE: list[tuple[str, str | None]] = [
    ("ingest", "0003_idempotency_scope"),
    ("finance", "0001_caps_counters_ledger"),
    ("imports", None),
    ("reports", None),
]
MOVED_TABLES = [
    "ingest_contactimport",
    "ingest_contactimportproblem",
    "ingest_intakestathour",
    "ingest_intakestatrollup",
    "finance_ledgerentry",
    "ingest_contact",
]


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (fixed table names)
        return int(cursor.fetchone()[0])


@pytest.fixture
def executor() -> Iterator[MigrationExecutor]:
    executor = MigrationExecutor(connection)
    yield executor
    # Whatever happened, leave the database at the latest schema for the tests after this one.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


def _fill_as_before(executor: MigrationExecutor, post_contact) -> dict[str, int]:
    """Rows written with the models as they were before the move."""
    old = executor.loader.project_state(
        [(app, name) for app, name in BEFORE_THE_MOVE if name is not None]
    ).apps
    entry: SourceCampaign = SourceCampaignFactory.create()
    CampaignFieldFactory(campaign=entry.campaign, key="email", type="email", required=False)
    # Today's intake posts these contacts; the function its write calls came after the move.
    write_refused = importlib.import_module("ingest.migrations.0005_write_refused_signal")
    with connection.cursor() as cursor:
        cursor.execute(write_refused.CREATE)
    for n in range(3):
        assert post_contact(entry, {"email": f"lead{n}@example.com"}).status_code == 200
    contact = Contact.objects.order_by("pk").first()
    assert contact is not None

    old_import = old.get_model("ingest", "ContactImport")
    old_problem = old.get_model("ingest", "ContactImportProblem")
    imp = old_import.objects.create(
        source_id=entry.source_id,
        campaign_id=entry.campaign_id,
        filename="leads.csv",
        content=b"email\nx@example.com\n",
        size=21,
        columns=["email"],
        status="done",
    )
    old_problem.objects.create(
        contact_import=imp, row_number=2, outcome="warned", values={}, contact_id=contact.pk
    )
    old_problem.objects.create(contact_import=imp, row_number=3, outcome="invalid", values={})
    hour = datetime(2026, 1, 1, 10, tzinfo=UTC)
    old.get_model("ingest", "IntakeStatHour").objects.create(
        hour=hour, source_id=entry.source_id, campaign_id=entry.campaign_id, status="accepted"
    )
    old.get_model("ingest", "IntakeStatRollup").objects.create(name="intake", rolled_until=hour)
    return {table: _count(table) for table in MOVED_TABLES}


def test_it_keeps_every_row_of_the_moved_tables(executor, post_contact):
    executor.migrate(BEFORE_THE_MOVE)
    before = _fill_as_before(executor, post_contact)
    assert before["finance_ledgerentry"] == 6  # cost and revenue for each of 3 contacts

    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    after = {table: _count(table) for table in MOVED_TABLES}
    assert after == before
    # Read through the models in their new apps.
    assert ContactImport.objects.get().filename == "leads.csv"
    assert ContactImportProblem.objects.count() == 2
    assert ContactImportProblem.objects.filter(contact__isnull=False).count() == 1
    assert IntakeStatHour.objects.get().status == "accepted"
    assert IntakeStatRollup.objects.get().name == "intake"
    contact_ids = set(Contact.objects.values_list("pk", flat=True))
    assert set(LedgerEntry.objects.values_list("contact_id", flat=True)) == contact_ids


def test_the_ledger_keeps_its_contact_column_and_index_without_the_foreign_key(executor):
    executor.migrate(BEFORE_THE_MOVE)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "finance_ledgerentry")
    on_contact = [c for c in constraints.values() if c["columns"] == ["contact_id"]]
    assert any(c["index"] for c in on_contact)
    assert not any(c["foreign_key"] for c in on_contact)


def test_a_permission_granted_before_the_move_still_opens_the_import_page(executor, client):
    executor.migrate(BEFORE_THE_MOVE)
    ContentType.objects.clear_cache()
    user = User.objects.create_user("importer", password="importer-password", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="ingest", codename="add_contactimport")
    )
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()

    assert User.objects.get(pk=user.pk).has_perm("imports.add_contactimport")
    assert not ContentType.objects.filter(app_label="ingest", model="contactimport").exists()
    client.force_login(user)
    assert client.get("/admin/imports/contactimport/add/").status_code == 200
