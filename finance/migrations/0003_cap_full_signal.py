"""finance_cap_full(): the intake's counters statement calls it when a cap had no room, so the
statement fails and a COMMIT pipelined behind it does not run (finance.services
counters_take_statements)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION finance_cap_full() RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'CS429',
        MESSAGE = 'a cap has no room for this contact (the transaction rolls back)';
END
$$
"""

DROP = "DROP FUNCTION IF EXISTS finance_cap_full()"


class Migration(migrations.Migration):
    dependencies = [("finance", "0002_ledgerentry_contact_id")]

    operations = [migrations.RunSQL(CREATE, DROP)]
