# LedgerEntry.contact, a foreign key to ingest.Contact, becomes a plain contact_id: finance sits
# below ingest (DESIGN §2) and never links to its tables. The column and its index stay as they
# are; only the foreign key constraint is dropped (ingest's admin keeps refusing to delete a
# contact the ledger names).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('finance', '0001_caps_counters_ledger'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name='ledgerentry', name='contact'),
                migrations.AddField(
                    model_name='ledgerentry',
                    name='contact_id',
                    field=models.BigIntegerField(blank=True, db_index=True, null=True),
                ),
            ],
            database_operations=[
                # The same column and index, without the constraint.
                migrations.AlterField(
                    model_name='ledgerentry',
                    name='contact',
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name='ledger_entries',
                        to='ingest.contact',
                    ),
                ),
            ],
        ),
    ]
