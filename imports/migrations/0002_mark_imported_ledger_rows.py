# Ledger rows that CSV imports wrote before imports marked theirs with the memo "imported"
# (finance.services.IMPORTED_MEMO) get that memo now, so a cap's recount leaves them out as it
# leaves out the new ones (docs/caps-and-finance.md).
#
# The link is the one every import has written since imports exist: each imported row's
# IntakeEvent carries the import's public id as its request id, and the contact it created.
# Only the rows written with the contact (cost and revenue) and still without a memo are marked;
# reversals and anything that already has a memo are left alone. A contact deleted since has
# lost its event's link: its rows stay as they are (never a guess).

from django.db import migrations

IMPORTED_MEMO = "imported"  # finance.services.IMPORTED_MEMO, as it was when this was written


def imported_ledger_rows_mark(apps, schema_editor):
    alias = schema_editor.connection.alias
    contact_import = apps.get_model("imports", "ContactImport")
    intake_event = apps.get_model("ingest", "IntakeEvent")
    ledger_entry = apps.get_model("finance", "LedgerEntry")
    imported_contacts = (
        intake_event.objects.using(alias)
        .filter(
            request_id__in=contact_import.objects.using(alias).values("public_id"),
            contact_id__isnull=False,
        )
        .values("contact_id")
    )
    ledger_entry.objects.using(alias).filter(
        contact_id__in=imported_contacts, kind__in=["cost", "revenue"], memo=""
    ).update(memo=IMPORTED_MEMO)


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_initial"),
        ("ingest", "0004_move_imports_and_stats_out"),
        ("finance", "0002_ledgerentry_contact_id"),
    ]

    operations = [
        # Backwards: nothing to undo that can be told apart (new imports write the memo too).
        migrations.RunPython(imported_ledger_rows_mark, migrations.RunPython.noop, elidable=True),
    ]
