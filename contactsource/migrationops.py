"""Migration operations the apps share."""

from __future__ import annotations

from django.db import migrations
from django.db.migrations.operations.base import Operation


def indexes_dropped(
    state_operations: list[Operation], indexes: list[tuple[str, str, str]]
) -> migrations.SeparateDatabaseAndState:
    """A column's own index dropped (`db_index=False` in `state_operations`), nothing else.

    `indexes`: (table, index, column). Django's AlterField would also drop and re-add the
    column's foreign key constraint, which checks every row again under a lock: here only the
    index goes, and reversing creates it again."""
    return migrations.SeparateDatabaseAndState(
        state_operations=state_operations,
        database_operations=[
            migrations.RunSQL(
                f'DROP INDEX IF EXISTS "{index}"',
                f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("{column}")',
            )
            for table, index, column in indexes
        ],
    )
