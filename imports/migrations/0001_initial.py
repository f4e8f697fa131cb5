# The CSV imports, moved here from the ingest app with their tables (ingest_contactimport,
# ingest_contactimportproblem): the database is not touched, only Django's state, and the
# content types follow so that granted permissions keep working.

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


MOVED = ("contactimport", "contactimportproblem")


def content_types_move(apps, schema_editor):
    """The content types move with the models, and with them the permissions granted on them
    (a marketer's "add contact import") and the admin's history. A fresh database has none yet:
    Django creates them after the migrations."""
    content_type = apps.get_model("contenttypes", "ContentType")
    rows = content_type.objects.using(schema_editor.connection.alias)
    for model in MOVED:
        if not rows.filter(app_label="imports", model=model).exists():
            rows.filter(app_label="ingest", model=model).update(app_label="imports")


def content_types_move_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    rows = content_type.objects.using(schema_editor.connection.alias)
    for model in MOVED:
        if not rows.filter(app_label="ingest", model=model).exists():
            rows.filter(app_label="imports", model=model).update(app_label="ingest")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('campaigns', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('ingest', '0004_move_imports_and_stats_out'),
        ('sources', '0003_source_category'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ContactImport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('filename', models.CharField(max_length=255)),
                        ('content', models.BinaryField()),
                        ('size', models.PositiveBigIntegerField(default=0)),
                        ('encoding', models.CharField(default='utf-8', max_length=16)),
                        ('delimiter', models.CharField(default=',', max_length=1)),
                        ('columns', models.JSONField(default=list)),
                        ('mapping', models.JSONField(blank=True, default=dict)),
                        ('status', models.CharField(choices=[('mapping', 'Waiting for the column mapping'), ('queued', 'Queued'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='mapping', max_length=16)),
                        ('data_start', models.PositiveBigIntegerField(default=0)),
                        ('offset', models.PositiveBigIntegerField(default=0, help_text='Bytes of the file read so far.')),
                        ('rows_processed', models.PositiveIntegerField(default=0)),
                        ('rows_imported', models.PositiveIntegerField(default=0)),
                        ('rows_invalid', models.PositiveIntegerField(default=0)),
                        ('rows_duplicate', models.PositiveIntegerField(default=0)),
                        ('rows_warned', models.PositiveIntegerField(default=0, help_text='Imported rows that had a value dropped (an invalid optional field).')),
                        ('error', models.TextField(blank=True, help_text='Why the import as a whole failed.')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('started_at', models.DateTimeField(blank=True, null=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='imports', to='campaigns.campaign')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
                        ('source', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='imports', to='sources.source')),
                    ],
                    options={
                        'db_table': 'ingest_contactimport',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='ContactImportProblem',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('row_number', models.PositiveIntegerField()),
                        ('outcome', models.CharField(choices=[('invalid', 'Not imported: invalid'), ('duplicate', 'Not imported: duplicate'), ('warned', 'Imported, with a value dropped')], max_length=16)),
                        ('values', models.JSONField(default=dict, help_text='The row as uploaded, by column name.')),
                        ('errors', models.JSONField(default=dict)),
                        ('contact', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to='ingest.contact')),
                        ('contact_import', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='problems', to='imports.contactimport')),
                    ],
                    options={
                        'db_table': 'ingest_contactimportproblem',
                        'ordering': ['contact_import_id', 'row_number'],
                    },
                ),
                migrations.AddIndex(
                    model_name='contactimport',
                    index=models.Index(fields=['status', 'updated_at'], name='import_status_idx'),
                ),
                migrations.AddIndex(
                    model_name='contactimportproblem',
                    index=models.Index(fields=['contact_import', 'row_number'], name='importproblem_row_idx'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_move, content_types_move_back),
    ]
