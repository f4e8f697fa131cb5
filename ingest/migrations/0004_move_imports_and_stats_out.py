# The CSV imports moved to the imports app and the hourly stats to the reports app, with their
# tables: only Django's record of which app owns them changes here, the database not at all
# (imports/migrations/0001_initial.py and reports/migrations/0001_initial.py take them over).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('ingest', '0003_idempotency_scope'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='ContactImportProblem'),
                migrations.DeleteModel(name='ContactImport'),
                migrations.DeleteModel(name='IntakeStatHour'),
                migrations.DeleteModel(name='IntakeStatRollup'),
            ],
            database_operations=[],
        ),
    ]
