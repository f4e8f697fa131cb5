"""The back office: project-wide wiring that reaches every app, kept out of the apps themselves.

The admin site's own pages and the panels it adds to other apps' pages, the "marketer" group,
the demo data and the benchmark's baseline endpoint. It sits above every other app (the
import-linter contract in pyproject.toml) and no app imports it.
"""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_marketer_group(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from backoffice.marketer import marketer_group_sync

    marketer_group_sync(using=using)


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = "Back office"

    def ready(self) -> None:
        # Setup, not domain flow: keeps the "marketer" group's permissions in step with the
        # models after every migrate (see backoffice/marketer.py for why not a data migration).
        post_migrate.connect(_sync_marketer_group, sender=self, dispatch_uid="marketer-group")
