"""ingest_write_refused(reason): the intake's one write statement calls it when its contact is a
duplicate, or its person has to be merged, so the statement fails and the counters and the
COMMIT pipelined behind it do not run (ingest.services.write); the caller rolls back and takes
the careful path."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION ingest_write_refused(reason text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'CS409',
        MESSAGE = reason;
END
$$
"""

DROP = "DROP FUNCTION IF EXISTS ingest_write_refused(text)"


class Migration(migrations.Migration):
    dependencies = [("ingest", "0004_move_imports_and_stats_out")]

    operations = [migrations.RunSQL(CREATE, DROP)]
