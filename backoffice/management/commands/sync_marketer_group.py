"""Create or refresh the "marketer" group's permissions (migrate does this too)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from backoffice.marketer import MARKETER_GROUP, marketer_group_sync


class Command(BaseCommand):
    help = (
        'Create the "marketer" group or reset its permissions to the ones in '
        "backoffice/marketer.py."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        group = marketer_group_sync()
        count = group.permissions.count()
        self.stdout.write(f'Group "{MARKETER_GROUP}" has {count} permissions.')
