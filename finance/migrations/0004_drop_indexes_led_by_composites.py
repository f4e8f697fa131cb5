# Columns indexed twice: on their own and as the first column of a composite index that
# serves every query the single-column one did. Every insert wrote both. Only the
# single-column indexes go (contactsource.migrationops.indexes_dropped).

import django.db.models.deletion
from django.db import migrations, models

from contactsource.migrationops import indexes_dropped


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0001_initial'),
        ('finance', '0003_cap_full_signal'),
        ('sources', '0005_sourcechange_returns_digest'),
    ]

    operations = [
        indexes_dropped(
            [
                migrations.AlterField(
                    model_name='capcounter',
                    name='cap',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='counters', to='finance.cap'),
                ),
                migrations.AlterField(
                    model_name='ledgerentry',
                    name='campaign',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='ledger_entries', to='campaigns.campaign'),
                ),
                migrations.AlterField(
                    model_name='ledgerentry',
                    name='source',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='ledger_entries', to='sources.source'),
                ),
            ],
            [
                ('finance_capcounter', 'finance_capcounter_cap_id_1bddc119', 'cap_id'),  # capcounter_unique
                ('finance_ledgerentry', 'finance_ledgerentry_campaign_id_82a7c32c', 'campaign_id'),  # ledger_campaign_time_idx
                ('finance_ledgerentry', 'finance_ledgerentry_source_id_8bad19cd', 'source_id'),  # ledger_source_time_idx
            ],
        ),
    ]
