# The hourly intake stats, moved here from the ingest app with their tables
# (ingest_intakestathour, ingest_intakestatrollup): the database is not touched, only Django's
# state, and the content types follow.

import django.db.models.deletion
from django.db import migrations, models


MOVED = ("intakestathour", "intakestatrollup")


def content_types_move(apps, schema_editor):
    """The content types move with the models, and with them the permissions granted on them
    (a marketer's "add contact import") and the admin's history. A fresh database has none yet:
    Django creates them after the migrations."""
    content_type = apps.get_model("contenttypes", "ContentType")
    rows = content_type.objects.using(schema_editor.connection.alias)
    for model in MOVED:
        if not rows.filter(app_label="reports", model=model).exists():
            rows.filter(app_label="ingest", model=model).update(app_label="reports")


def content_types_move_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    rows = content_type.objects.using(schema_editor.connection.alias)
    for model in MOVED:
        if not rows.filter(app_label="ingest", model=model).exists():
            rows.filter(app_label="reports", model=model).update(app_label="ingest")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('campaigns', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('ingest', '0004_move_imports_and_stats_out'),
        ('sources', '0003_source_category'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='IntakeStatRollup',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=32, unique=True)),
                        ('rolled_until', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'db_table': 'ingest_intakestatrollup',
                    },
                ),
                migrations.CreateModel(
                    name='IntakeStatHour',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('hour', models.DateTimeField()),
                        ('status', models.CharField(choices=[('accepted', 'Accepted'), ('scrubbed', 'Scrubbed'), ('rejected', 'Rejected'), ('duplicate', 'Duplicate'), ('limited', 'Limited'), ('invalid', 'Invalid'), ('error', 'Error')], max_length=16)),
                        ('events', models.PositiveIntegerField(default=0)),
                        ('cost', models.DecimalField(decimal_places=4, default=0, max_digits=16)),
                        ('revenue', models.DecimalField(decimal_places=4, default=0, max_digits=16)),
                        ('campaign', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='campaigns.campaign')),
                        ('source', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='sources.source')),
                    ],
                    options={
                        'db_table': 'ingest_intakestathour',
                        'indexes': [models.Index(fields=['hour'], name='stathour_hour_idx'), models.Index(fields=['source', 'hour'], name='stathour_source_idx'), models.Index(fields=['campaign', 'hour'], name='stathour_campaign_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_move, content_types_move_back),
    ]
