# Columns indexed twice: on their own and as the first column of a composite index that
# serves every query the single-column one did. Every insert wrote both. Only the
# single-column indexes go (contactsource.migrationops.indexes_dropped).

import django.db.models.deletion
from django.db import migrations, models

from contactsource.migrationops import indexes_dropped


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0001_initial'),
        ('ingest', '0005_write_refused_signal'),
        ('sources', '0005_sourcechange_returns_digest'),
    ]

    operations = [
        indexes_dropped(
            [
                migrations.AlterField(
                    model_name='contact',
                    name='source',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='contacts', to='sources.source'),
                ),
                migrations.AlterField(
                    model_name='intakeevent',
                    name='campaign',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='events', to='campaigns.campaign'),
                ),
                migrations.AlterField(
                    model_name='intakeevent',
                    name='source',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='events', to='sources.source'),
                ),
            ],
            [
                ('ingest_contact', 'ingest_contact_source_id_7d312bfd', 'source_id'),  # contact_duplicate_idx
                ('ingest_intakeevent', 'ingest_intakeevent_campaign_id_055dd7ba', 'campaign_id'),  # event_campaign_time_idx
                ('ingest_intakeevent', 'ingest_intakeevent_source_id_7b48ce22', 'source_id'),  # event_source_time_idx
            ],
        ),
    ]
